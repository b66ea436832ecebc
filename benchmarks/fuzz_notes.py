"""Fuzz campaign for reading and writing notes (hypothesis).

    python benchmarks/fuzz_notes.py --examples 5000 [--seed 0] [--skip-adversarial]

Categories (each runs --examples inputs):

* ``bytes``      — arbitrary bytes (and arbitrary bytes after a ``---`` line) into ``parse_note``:
                   it must never raise;
* ``yaml``       — structured frontmatter (known and unknown keys, dates quoted or bare, wrong
                   types, block and flow lists, nested maps, comments, anchors, CRLF, BOM,
                   flow-mapping frontmatter) into ``parse_note``; and the frontmatter through
                   trainer's loader vs ``yaml.load`` with a plain CSafeLoader carrying the same
                   constructors (no speed-ups): same data, or both fail;
* ``update``     — ``update_note`` on such a note in a temp folder with random scheduling
                   updates: only NoteError/WriteError may escape; no other file changes; on
                   success the body bytes are kept and the note reads back the new values; on
                   failure the note is byte-identical.

Then adversarial inputs, each in its own process with time and peak RSS reported: an alias
bomb, a 50 MB note, a 100k-line frontmatter, 10k-deep nesting (flow and block).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from trainer.notes.model import SCHEDULING_KEYS  # noqa: E402
from trainer.notes.parse import NoteError, load_yaml, parse_note, split_frontmatter, decode  # noqa: E402
from trainer.notes.store import update_note  # noqa: E402
from trainer.notes.write import WriteError  # noqa: E402

KNOWN = ["created", "last_reviewed", "next_review", "review_count", "difficulty", "mastery_level", "tags",
         "related_outlines", "ease_factor", "interval", "repetitions", "demos", "title", "aliases"]
counts: Counter[str] = Counter()
failures: list[str] = []


# ---------------------------------------------------------------- strategies

dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31))
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
plain_word = st.from_regex(r"[A-Za-z\u4e00-\u9fff][A-Za-z0-9_/\- \u4e00-\u9fff]{0,15}", fullmatch=True)


def _scalar_src(draw) -> str:
    kind = draw(st.sampled_from(["date_q", "date", "datetime", "int", "float", "null", "bool", "word", "quoted",
                                 "dquoted", "weird", "nan", "empty"]))
    if kind == "date_q":
        return f"'{draw(dates).isoformat()}'"
    if kind == "date":
        return draw(dates).isoformat()
    if kind == "datetime":
        return f"{draw(dates).isoformat()} {draw(st.integers(0, 23)):02d}:{draw(st.integers(0, 59)):02d}:00"
    if kind == "int":
        return str(draw(st.integers(-10**20, 10**20)))
    if kind == "float":
        return repr(draw(st.floats(allow_nan=False, allow_infinity=True, width=32)))
    if kind == "null":
        return draw(st.sampled_from(["null", "~", "Null", ""]))
    if kind == "bool":
        return draw(st.sampled_from(["true", "false", "yes", "no", "on", "True"]))
    if kind == "word":
        return draw(plain_word).strip() or "x"
    if kind == "quoted":
        return "'" + draw(text).replace("'", "''") + "'"
    if kind == "dquoted":
        return json.dumps(draw(text), ensure_ascii=draw(st.booleans()))
    if kind == "nan":
        return draw(st.sampled_from([".nan", ".inf", "-.inf", "0x1F", "0o17", "1_000", "1e3", "2025-02-30"]))
    if kind == "empty":
        return ""
    return draw(st.sampled_from(["someday", "insane", "-3", "7", "[]", "{}", "'2025-13-01'", "!!binary aGVsbG8=",
                                 "!!str 5", "!!python/object:os.system {}", "*undefined", "&a 1", "|\n  block",
                                 ">\n  folded"]))


@st.composite
def frontmatter(draw) -> str:
    """YAML source for a frontmatter block (without the --- lines)."""
    nl = "\n"
    lines = []
    flow = draw(st.integers(0, 9)) == 0
    keys = draw(st.lists(st.one_of(st.sampled_from(KNOWN), plain_word), max_size=12))
    anchors = []
    if flow:
        items = [f'{json.dumps(k, ensure_ascii=False)}: {_scalar_src(draw) or "null"}' for k in keys]
        return "{" + ", ".join(items) + "}" + nl
    for k in keys:
        shape = draw(st.integers(0, 9))
        if draw(st.integers(0, 15)) == 0:
            lines.append("# " + draw(text).replace("\n", " "))
        if shape <= 5:
            v = _scalar_src(draw)
            if v.startswith("&") or (v.startswith("*") and anchors):
                v = f"*{anchors[0]}" if anchors and v.startswith("*") else v
                if v.startswith("&a"):
                    anchors.append("a")
            lines.append(f"{k}: {v}".rstrip() if "\n" not in v else f"{k}: {v}")
        elif shape <= 7:
            items = draw(st.lists(st.one_of(plain_word, st.builds(lambda: None)), max_size=4))
            lines.append(f"{k}:")
            indent = draw(st.sampled_from(["", "  "]))
            lines += [f"{indent}- {(i or '').strip() or 'x'}" for i in items]
        elif shape == 8:
            items = draw(st.lists(plain_word, max_size=4))
            lines.append(f"{k}: [" + ", ".join((i.strip() or "x") for i in items) + "]")
        else:
            lines.append(f"{k}:")
            lines.append(f"  inner: {_scalar_src(draw) or 'null'}")
            lines.append(f"  deeper: {{a: [1, 2, {{b: c}}]}}")
    return nl.join(lines) + (nl if lines else "")


@st.composite
def note_bytes(draw) -> bytes:
    fm = draw(frontmatter())
    body = draw(st.sampled_from([
        "# 问题：为什么？\n\n## 面试标准答案\n\n答案。\n\n## 详细\n\n```\n# not a heading\n```\n",
        "# Question?\n\nNo answer section.\n",
        "",
        "no heading at all\n",
    ])) + draw(text)
    closing = draw(st.sampled_from(["---", "---", "...", "--- "]))
    src = f"---\n{fm}{closing}\n{body}" if draw(st.integers(0, 9)) else body
    if draw(st.booleans()):
        src = src.replace("\n", "\r\n")
    raw = src.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 9)) == 0:
        raw = b"\xef\xbb\xbf" + raw
    return raw


update_values = st.fixed_dictionaries({}, optional={
    "last_reviewed": st.one_of(st.none(), dates),
    "next_review": dates,
    "review_count": st.integers(0, 10**6),
    "mastery_level": st.floats(0, 1).map(lambda x: round(x, 2)),
    "ease_factor": st.floats(1.3, 5).map(lambda x: round(x, 2)),
    "interval": st.integers(0, 36500),
    "repetitions": st.integers(0, 1000),
})


# ---------------------------------------------------------------- checks


def _norm(x):
    """Comparable data: NaN equal to NaN, containers recursively."""
    if isinstance(x, float) and math.isnan(x):
        return "<nan>"
    if isinstance(x, dict):
        return {repr(_norm(k)): _norm(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_norm(i) for i in x]
    return (type(x).__name__, x) if not isinstance(x, (str, int)) or isinstance(x, bool) else x


def check_parse(raw: bytes, category: str) -> None:
    counts[category] += 1
    try:
        note = parse_note(raw, "fuzz/note.md", mtime_ns=1_700_000_000_000_000_000, size=len(raw))
    except Exception as exc:  # noqa: BLE001
        failures.append(f"{category}: parse_note raised {type(exc).__name__}: {exc} on {raw[:120]!r}")
        return
    if note.fatal:
        counts[f"{category}:fatal"] += 1


_REF = None


def reference_loader():
    """Plain CSafeLoader with the constructors trainer registers (e.g. its lenient timestamps),
    but none of its speed-ups (resolver memo, direct construction): what the fast path must equal."""
    global _REF
    if _REF is None:
        import yaml

        from trainer.notes.parse import loader_class

        class Ref(yaml.CSafeLoader):
            pass

        Ref.yaml_constructors = dict(loader_class().yaml_constructors)
        _REF = Ref
    return _REF


def check_loader_agrees(raw: bytes) -> None:
    import yaml

    try:
        text, _ = decode(raw)
        split = split_frontmatter(text)
    except NoteError:
        return
    if split is None:
        return
    counts["yaml:compared"] += 1
    try:
        ours = _norm(load_yaml(split.yaml)[0])
    except NoteError:
        ours = "<error>"
    try:
        ref = _norm(yaml.load(split.yaml, Loader=reference_loader()))
    except Exception:  # noqa: BLE001
        ref = "<error>"
    if ours != ref and not (ours == "<error>" and "&" in split.yaml):  # alias budget may refuse
        failures.append(f"yaml: trainer's loader and CSafeLoader differ on {split.yaml[:200]!r}: {ours!r} vs {ref!r}")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def check_update(raw: bytes, updates: dict, workdir: Path) -> None:
    counts["update"] += 1
    folder = Path(tempfile.mkdtemp(dir=workdir))
    try:
        note = folder / "note.md"
        note.write_bytes(raw)
        (folder / "other.md").write_bytes(b"---\ncreated: '2025-01-01'\n---\n# other\n")
        (folder / "sub").mkdir()
        (folder / "sub" / "x.md").write_bytes(b"# x\n")
        before = snapshot(folder)
        try:
            w = update_note(note, dict(updates))
        except (NoteError, WriteError) as exc:
            counts["update:refused"] += 1
            if note.read_bytes() != raw:
                failures.append(f"update: refused ({exc}) but the note changed: {raw[:120]!r}")
            w = None
        except Exception as exc:  # noqa: BLE001
            failures.append(f"update: raised {type(exc).__name__}: {exc} on {raw[:120]!r} with {updates}")
            return
        after = snapshot(folder)
        others = {k for k in set(before) | set(after) if k != "note.md" and before.get(k) != after.get(k)}
        if others:
            failures.append(f"update: other files changed: {sorted(others)}")
        if w is None:
            return
        new = note.read_bytes()
        if not w.changed:
            counts["update:unchanged"] += 1
            if new != raw:
                failures.append("update: reported unchanged but the file changed")
            return
        counts["update:written"] += 1
        old_text, _ = decode(raw)
        new_text, _ = decode(new)
        old_split, new_split = split_frontmatter(old_text), split_frontmatter(new_text)
        old_body = old_text[old_split.body_start:] if old_split else old_text
        new_body = new_text[new_split.body_start:] if new_split else new_text
        if old_body != new_body:
            failures.append(f"update: body changed for {raw[:120]!r}")
        if raw.startswith(b"\xef\xbb\xbf") != new.startswith(b"\xef\xbb\xbf"):
            failures.append("update: BOM not kept")
        reread = parse_note(new, "note.md")
        if reread.fatal:
            failures.append(f"update: wrote a note that does not parse: {new[:200]!r}")
            return
        for k, v in updates.items():
            got = getattr(reread.schedule, k)
            if isinstance(v, float) and abs(got - v) > 1e-9 or not isinstance(v, float) and got != v:
                failures.append(f"update: {k} reads back {got!r}, wanted {v!r}: {new[:300]!r}")
    finally:
        for p in sorted(folder.rglob("*"), reverse=True):
            p.unlink() if p.is_file() else p.rmdir()
        folder.rmdir()


# ---------------------------------------------------------------- adversarial inputs

ADVERSARIAL = {
    "alias bomb (billion laughs)": "lambda: ('---\\na: &a [x,x,x,x,x,x,x,x,x]\\n' + ''.join("
                                  "f'{chr(98+i)}: &{chr(98+i)} [' + ','.join(['*' + chr(97+i)]*9) + ']\\n' for i in range(9))"
                                  " + '---\\n# q\\n').encode()",
    "50 MB note (body)": "lambda: b'---\\nreview_count: 1\\n---\\n# big\\n' + b'\\xe4\\xb8\\xad line of text\\n' * 2_900_000",
    "50 MB frontmatter value": "lambda: b'---\\ntitle: ' + b'x' * 50_000_000 + b'\\n---\\n# q\\n'",
    "100k-line frontmatter": "lambda: b'---\\n' + b''.join(b'k%d: %d\\n' % (i, i) for i in range(100_000)) + b'---\\n# q\\n'",
    "60k-line frontmatter (under the size cap)": "lambda: b'---\\n' + b''.join(b'k%d: %d\\n' % (i, i) for i in range(60_000)) + b'---\\n# q\\n'",
    "10k-deep flow nesting": "lambda: b'---\\na: ' + b'[' * 10_000 + b']' * 10_000 + b'\\n---\\n# q\\n'",
    "10k-deep block nesting": "lambda: b'---\\na:\\n' + b'- ' * 10_000 + b'x\\n---\\n# q\\n'",
    "no closing ---, 5 MB": "lambda: b'---\\n' + b'a: b\\n' * 1_000_000",
}

ADV_CHILD = r"""
import resource, sys, time, json
sys.path.insert(0, sys.argv[2])
from trainer.notes.parse import parse_note
raw = (%s)()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
note = parse_note(raw, 'adv.md', mtime_ns=1, size=len(raw))
el = time.perf_counter() - t0
print(json.dumps({"seconds": round(el, 3), "input_mb": round(len(raw) / 2**20, 1),
                  "rss_before_mb": round(base / 1024, 1),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                  "fatal": note.fatal, "problem": str(note.problems[0]) if note.problems else None}))
"""


def run_adversarial() -> list[dict]:
    out = []
    for name, src in ADVERSARIAL.items():
        code = ADV_CHILD % src
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, "-c", code, "x", str(REPO)], capture_output=True, text=True, timeout=300)
        row = {"input": name, "rc": r.returncode, "wall_s": round(time.perf_counter() - t0, 2)}
        if r.returncode == 0:
            row.update(json.loads(r.stdout))
        else:
            row["stderr"] = r.stderr.strip()[-300:]
            failures.append(f"adversarial {name}: child exited {r.returncode}: {row['stderr']}")
        if row.get("seconds", 0) > 30 or row.get("peak_rss_mb", 0) > 1024:
            failures.append(f"adversarial {name}: unbounded ({row})")
        out.append(row)
    return out


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="fuzz parse_note / update_note")
    ap.add_argument("--examples", type=int, default=2000, help="examples per category (default 2000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-adversarial", action="store_true")
    ap.add_argument("--json", dest="json_out", metavar="OUT")
    a = ap.parse_args(argv)
    cfg = settings(max_examples=a.examples, deadline=None, database=None, derandomize=False,
                   suppress_health_check=list(HealthCheck))
    import random

    random.seed(a.seed)
    t0 = time.perf_counter()
    times = {}

    @cfg
    @given(st.one_of(st.binary(max_size=400), st.binary(max_size=400).map(lambda b: b"---\n" + b),
                     st.binary(max_size=400).map(lambda b: b"---\n" + b + b"\n---\n")))
    def fuzz_bytes(raw):
        check_parse(raw, "bytes")

    @cfg
    @given(note_bytes())
    def fuzz_yaml(raw):
        check_parse(raw, "yaml")
        check_loader_agrees(raw)

    work = Path(tempfile.mkdtemp(prefix="trainer-fuzz-"))

    @cfg
    @given(note_bytes(), update_values)
    def fuzz_update(raw, updates):
        check_update(raw, updates, work)

    try:
        for name, fn in (("bytes", fuzz_bytes), ("yaml", fuzz_yaml), ("update", fuzz_update)):
            t1 = time.perf_counter()
            try:
                fn()
            except Exception as exc:  # noqa: BLE001 - hypothesis re-raises the first failure
                failures.append(f"{name}: {type(exc).__name__}: {exc}")
            times[name] = round(time.perf_counter() - t1, 1)
    finally:
        os.rmdir(work) if not any(work.iterdir()) else None
    adversarial = [] if a.skip_adversarial else run_adversarial()
    result = {"examples_per_category": a.examples, "inputs": dict(counts), "seconds": times,
              "total_seconds": round(time.perf_counter() - t0, 1), "adversarial": adversarial,
              "failures": len(failures)}
    print("fuzz:", json.dumps({k: v for k, v in result.items() if k != "adversarial"}, ensure_ascii=False))
    for row in adversarial:
        print("  adversarial:", json.dumps(row, ensure_ascii=False))
    for f in failures[:20]:
        print("  FAILURE", f[:600])
    if a.json_out:
        Path(a.json_out).write_text(json.dumps({**result, "failure_list": failures}, indent=2, ensure_ascii=False))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
