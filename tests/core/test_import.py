"""`trainer import` end to end: real fixture files copied to tmp_path, the real deck, log and writes."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pytest
import yaml

from trainer.deck import Deck
from trainer.importers import ImportRefused, run_import
from trainer.importers import anki
from trainer.reviewlog import ReviewLog

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
TODAY = dt.date(2024, 2, 1)
MTIME = dt.datetime(2024, 1, 15, 12, 0).timestamp()


@pytest.fixture
def src(tmp_path: Path) -> Path:
    """The fixtures, copied, with a fixed mtime (so ``created`` is known)."""
    out = tmp_path / "src"
    shutil.copytree(FIXTURES, out)
    for p in out.rglob("*"):
        os.utime(p, (MTIME, MTIME))
    return out


@pytest.fixture
def deck(tmp_path: Path) -> Deck:
    d = tmp_path / "deck"
    d.mkdir()
    return Deck(d)


def imp(deck: Deck, sources, **kw):
    kw.setdefault("today", TODAY)
    return run_import(deck, [Path(s) for s in sources], **kw)


def snapshot(root: Path) -> dict[str, tuple[bytes | None, int]]:
    """Every path under root (state folder included) with its bytes and mtime_ns."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = os.lstat(p)
            data = p.read_bytes() if p.is_file() and not p.is_symlink() else None
            out[p.relative_to(root).as_posix()] = (data, st.st_mtime_ns)
    return out


def front(data: bytes) -> dict:
    text = data.decode("utf-8-sig")
    return yaml.safe_load(text.split("---", 2)[1].replace("\r\n", "\n"))


def body_bytes(data: bytes) -> bytes:
    """Bytes after the closing frontmatter line."""
    nl = b"\r\n" if b"\r\n" in data[:200] else b"\n"
    close = data.index(nl + b"---" + nl, 3)
    return data[close + len(nl + b"---" + nl) :]


# ---------------------------------------------------------------- markdown


def test_markdown_folder_byte_level(src: Path, deck: Deck):
    report = imp(deck, [src / "markdown"], into="notes")
    assert report.ok
    assert [s.kind for s in report.sources] == ["folder"]
    assert sorted(e.target for e in report.imported) == [
        "notes/crlf-bom.md",
        "notes/flow.md",
        "notes/nested/deeper/中文笔记.md",
        "notes/plain.md",
        "notes/scheduled.md",
        "notes/with-frontmatter.md",
    ]
    root = deck.root
    assert not (root / "notes/.hidden").exists()

    # no frontmatter: one is added, body byte for byte, due on import day
    out = (root / "notes/plain.md").read_bytes()
    source = (src / "markdown/plain.md").read_bytes()
    assert out == (
        b"---\ncreated: '2024-01-15'\nlast_reviewed: null\nnext_review: '2024-02-01'\nreview_count: 0\n"
        b"difficulty: medium\nmastery_level: 0.0\ntags: []\nrelated_outlines: []\n---\n" + source
    )

    # existing frontmatter kept in place, same bytes, missing keys appended at the end
    source = (src / "markdown/with-frontmatter.md").read_bytes()
    out = (root / "notes/with-frontmatter.md").read_bytes()
    head, _, rest = source.partition(b"---\n#")
    assert out == head + (
        b"last_reviewed: null\nnext_review: '2024-02-01'\nreview_count: 0\nmastery_level: 0.0\nrelated_outlines: []\n"
    ) + b"---\n#" + rest
    fm = front(out)
    assert fm["created"] == "2025-01-02" and fm["difficulty"] == "easy" and fm["custom_key"] == "kept"

    # CRLF and BOM preserved
    source = (src / "markdown/crlf-bom.md").read_bytes()
    out = (root / "notes/crlf-bom.md").read_bytes()
    assert out.startswith(b"\xef\xbb\xbf---\r\ntitle: windows\r\ncreated: '2024-01-15'\r\n")
    assert body_bytes(out) == body_bytes(source)
    assert b"\n" not in out.replace(b"\r\n", b"")

    # flow mapping: keys inside the braces, still valid YAML
    out = (root / "notes/flow.md").read_bytes()
    assert out.startswith(b'---\n{"title": "Published", "tags": ["pub"], created: \'2024-01-15\', ')
    assert front(out)["tags"] == ["pub"] and front(out)["next_review"] == "2024-02-01"

    # a note that carries a schedule keeps it, untouched
    assert (root / "notes/scheduled.md").read_bytes() == (src / "markdown/scheduled.md").read_bytes()

    # CJK path and content kept
    assert (root / "notes/nested/deeper/中文笔记.md").read_bytes().endswith((src / "markdown/nested/deeper/中文笔记.md").read_bytes())

    # the deck reads everything back without a problem
    scan = deck.scan(TODAY)
    assert not scan.problems
    assert len(scan.notes) == 6


def test_sources_are_never_modified(src: Path, deck: Deck):
    before = snapshot(src)
    imp(deck, [src / "vault", src / "markdown", src / "anki"], drop_foreign_keys=True)
    assert snapshot(src) == before


# ---------------------------------------------------------------- Obsidian


def test_obsidian_vault(src: Path, deck: Deck):
    log = ReviewLog.open(deck.root)
    report = imp(deck, [src / "vault"], into="obsidian", log=log)
    assert [(s.kind, s.notes) for s in report.sources] == [("Obsidian vault", 11)]
    lines = report.render_lines()
    assert lines[0].startswith("Obsidian vault ")
    assert lines[1] == "imported 9, updated 0, skipped 1, failed 1 (1 possible duplicate flagged)"
    assert [e.source.rsplit("/", 1)[-1] for e in report.failed] == ["broken-yaml.md"]
    assert "YAML does not parse" in report.failed[0].reason
    assert report.skipped[0].reason == "duplicate of obsidian/training/warmup.md"
    assert [f.other for f in report.flagged] == ["obsidian/inbox/front-1.md"]
    root = deck.root / "obsidian"
    assert not (root / "broken-yaml.md").exists()
    assert not list(deck.root.rglob("deleted.md"))  # .trash is hidden

    # YYYY-MM-DD, 250 → 2.5; sr keys kept; existing keys untouched
    out = (root / "attention/self-attention.md").read_bytes()
    source = (src / "vault/attention/self-attention.md").read_bytes()
    assert body_bytes(out) == body_bytes(source)
    assert out.startswith(source[: source.index(b"sr-ease: 250\n") + len(b"sr-ease: 250\n")])
    fm = front(out)
    assert fm["next_review"] == "2024-01-31"
    assert fm["interval"] == 12 and fm["ease_factor"] == 2.5 and fm["repetitions"] == 2
    assert fm["review_count"] == 2 and fm["last_reviewed"] == "2024-01-19"
    assert fm["tags"] == ["attention", "transformer/core"] and fm["sr-due"] == dt.date(2024, 1, 31)

    # DD-MM-YYYY; comment kept
    fm = front((root / "attention/multi-head.md").read_bytes())
    assert (fm["next_review"], fm["interval"], fm["ease_factor"], fm["repetitions"]) == ("2024-01-31", 3, 2.3, 1)
    assert b"# a comment the import must keep\n" in (root / "attention/multi-head.md").read_bytes()

    # "ddd MMM DD YYYY"; ease 120 clamped to 1.3
    fm = front((root / "attention/kv-cache.md").read_bytes())
    assert (fm["next_review"], fm["ease_factor"], fm["last_reviewed"]) == ("2024-01-31", 1.3, "2023-12-22")

    # a datetime; existing difficulty kept
    fm = front((root / "training/warmup.md").read_bytes())
    assert (fm["next_review"], fm["interval"], fm["difficulty"], fm["last_reviewed"]) == ("2024-02-10", 1, "hard", None)

    # CRLF, created kept (a bare YAML date)
    out = (root / "training/crlf-note.md").read_bytes()
    assert out.startswith(b"---\r\ncreated: 2023-05-01\r\nsr-due: 2024-03-01\r\n")
    assert b"\n" not in out.replace(b"\r\n", b"")
    assert body_bytes(out) == body_bytes((src / "vault/training/crlf-note.md").read_bytes())

    # tags as a string becomes a list; inline #tags become tags when the note has none
    assert front((root / "training/dropout.md").read_bytes())["tags"] == ["ml", "regularisation"]
    assert front((root / "training/label-smoothing.md").read_bytes())["tags"] == ["regularisation", "ml/tricks"]

    # the deck agrees, and the log has one import row per note
    scan = deck.scan(TODAY)
    assert not scan.problems
    notes = scan.by_rel()
    sa = notes["obsidian/attention/self-attention.md"].schedule
    assert (sa.next_review, sa.ease_factor, sa.interval, sa.review_count) == (dt.date(2024, 1, 31), 2.5, 12, 2)
    assert not sa.is_new
    assert notes["obsidian/training/dropout.md"].schedule.is_new
    rows = list(log.rows(kinds=("import",)))
    assert sorted(r.note for r in rows) == sorted(e.target for e in report.imported)
    assert all(r.day == TODAY for r in rows)
    by = {r.note: r for r in rows}
    assert by["obsidian/attention/self-attention.md"].after["next_review"] == "2024-01-31"


def test_drop_foreign_keys(src: Path, deck: Deck):
    report = imp(deck, [src / "vault/attention/multi-head.md"], drop_foreign_keys=True)
    assert report.ok
    out = (deck.root / "multi-head.md").read_bytes()
    assert b"sr-" not in out
    assert out.startswith(b"---\n# a comment the import must keep\ntitle: \"Multi-head attention\"\n")
    assert front(out)["next_review"] == "2024-01-31"


# ---------------------------------------------------------------- Anki


def test_anki_export(src: Path, deck: Deck):
    report = imp(deck, [src / "anki/transformers.txt", src / "anki/semicolon.txt"], into="anki")
    assert report.ok, report.render_lines()
    assert [(s.kind, s.notes) for s in report.sources] == [("Anki export", 7), ("Anki export", 2)]
    # each row into its Anki deck's folder (`#deck column:`, `ML::Transformers`); no deck: --into itself
    names = sorted(p.relative_to(deck.root / "anki").as_posix() for p in (deck.root / "anki").rglob("*.md"))
    assert names == sorted(
        [
            *(f"ML/Transformers/{n}" for n in (
                "What is attention.md",
                "Field with a tab and quotes.md",
                "什么是自注意力？.md",
                "What-is a bad name CON.md",
                "anki-5.md",
                "The capital of France is [city].md",
                "-..-etc-passwd.md",
            )),
            "Plain question one.md",
            "Question; with semicolon.md",
        ]
    )
    t = deck.root / "anki/ML/Transformers"
    out = (t / "What is attention.md").read_text("utf-8")
    assert out == (
        "---\ncreated: '2024-01-15'\nlast_reviewed: null\nnext_review: '2024-02-01'\nreview_count: 0\n"
        "difficulty: medium\nmastery_level: 0.0\ntags: [ml/attention, transformer]\nrelated_outlines: []\n---\n"
        "# What is attention?\n\n## Answer\n\nA weighted *average* of values.\\\nWeights come from softmax.\n\n"
        "New paragraph & more text.\n"
    )
    out = (t / "Field with a tab and quotes.md").read_text("utf-8")
    assert '# Field with a tab and "quotes"\n' in out
    assert "Answer over\ntwo lines\n\n- one\n- two\n" in out
    out = (t / "什么是自注意力？.md").read_text("utf-8")
    assert "# 什么是自注意力？\n\n## Answer\n\n每个词元的输出是所有值向量的加权平均。\n" in out
    assert front(out.encode())["tags"] == ["zh/ml"]
    out = (t / "The capital of France is [city].md").read_text("utf-8")
    assert "The capital of France is **Paris**.\n\nExtra info" in out
    out = (deck.root / "anki/Plain question one.md").read_text("utf-8")
    assert "## Extra\n\nSome extra notes\n" in out and front(out.encode())["tags"] == ["imported", "anki/plain"]
    out = (deck.root / "anki/Question; with semicolon.md").read_text("utf-8")
    assert 'Answer with "quotes"' in out
    # the traversal attempts stayed data: a file name inside the deck, tags as plain strings
    assert front((t / "-..-etc-passwd.md").read_bytes())["tags"] == ["../../../evil", "../.."]
    assert not (deck.root.parent / "evil").exists()
    scan = deck.scan(TODAY)
    assert not scan.problems
    q = {n.rel: n.question for n in scan.notes}
    assert q["anki/ML/Transformers/anki-5.md"] == "anki-5"


def test_anki_export_rows_go_into_their_decks_folders(tmp_path: Path, deck: Deck):
    """`#deck column:` (Anki's export with deck names) puts each note in its deck's folder, `A::B` as
    `A/B`, as a package's cards go; a `#deck:` header is the deck of the rows without one. A deck
    name never leads out of the deck or into a hidden folder."""
    src = tmp_path / "export.txt"
    src.write_text(
        "#separator:tab\n#html:false\n#deck:Default\n#deck column:3\n"
        "What is a gradient?\tThe slope.\tML::Basics\n"
        "什么是注意力？\t加权平均。\t机器学习::注意力\n"
        "No deck of its own\tdefault\t\n"
        "Climbing out\tnever\t../..::.git\n",
        encoding="utf-8",
    )
    report = imp(deck, [src], into="anki")
    assert report.ok and len(report.imported) == 4, report.render_lines()
    got = sorted(p.relative_to(deck.root).as_posix() for p in deck.root.rglob("*.md"))
    assert got == sorted([
        "anki/ML/Basics/What is a gradient.md", "anki/机器学习/注意力/什么是注意力？.md",
        "anki/Default/No deck of its own.md", "anki/-/git/Climbing out.md",
    ])
    assert not deck.scan(TODAY).problems


def test_anki_headers_and_csv_quoting(tmp_path: Path):
    raw = (
        '#separator:comma\n#html:false\n#tags column:3\n# vim: a comment line\n'
        'q1,"a, with comma\nand newline",tag1 a::b\n'
        '"q ""2""",plain,\n'
    ).encode()
    export = anki.read_export(raw)
    assert export.separator == "," and export.html is False
    assert [r.fields for r in export.rows] == [["q1", "a, with comma\nand newline"], ['q "2"', "plain"]]
    assert export.rows[0].tags == ["tag1", "a/b"]
    assert [r.line for r in export.rows] == [5, 7]
    assert anki.read_export(b"#separator:Pipe\na|b\n").rows[0].fields == ["a", "b"]
    assert anki.read_export(b"no header\tat all\n").rows[0].fields == ["no header", "at all"]
    assert anki.to_line("a<br>b&nbsp;c <b>d</b>e", True) == "a b c de"
    assert anki.to_markdown("x<br><br>y<br>z&lt;", True) == "x\n\ny\\\nz<"


# ---------------------------------------------------------------- re-import, dry run


def test_reimport_changes_nothing(src: Path, deck: Deck):
    sources = [src / "vault", src / "markdown", src / "anki/transformers.txt"]
    first = imp(deck, sources, into="in")
    assert len(first.imported) == 9 + 6 + 7
    before = snapshot(deck.root)
    for mode in ("skip", "update", "rename"):
        again = imp(deck, sources, into="in", on_conflict=mode)
        assert not again.imported and not again.updated, (mode, again.render_lines())
        assert len(again.skipped) == len(first.skipped) + len(first.imported)
        assert snapshot(deck.root) == before


def test_dry_run_writes_nothing(src: Path, deck: Deck):
    (deck.root / "plain.md").write_text("# Something else\n\nother body\n")
    before = snapshot(deck.root)
    report = imp(deck, [src / "vault", src / "markdown", src / "anki"], dry_run=True, on_conflict="rename")
    assert snapshot(deck.root) == before
    assert not (deck.root / ".trainer").exists()
    assert report.dry_run and report.render_lines()[0].startswith("dry run")
    real = imp(deck, [src / "vault", src / "markdown", src / "anki"], on_conflict="rename")
    assert [e.to_dict() for e in report.entries] == [e.to_dict() for e in real.entries]
    assert ("import", str(src / "markdown/plain.md"), "plain (2).md", "") in report.rows()


def test_progress_and_json(src: Path, deck: Deck):
    seen = []
    report = imp(deck, [src / "anki/semicolon.txt", src / "nope.md"], progress=lambda d, t: seen.append((d, t)))
    assert seen == [(0, 2), (1, 2), (2, 2)]
    data = json.loads(report.to_json())
    assert data["counts"] == {"imported": 2, "updated": 0, "skipped": 0, "failed": 1, "flagged": 0}
    assert data["failed"] == [{"source": str(src / "nope.md"), "reason": "not found"}]
    assert not report.ok


# ---------------------------------------------------------------- duplicates and conflicts


def test_duplicates_in_deck_and_in_run(tmp_path: Path, deck: Deck):
    (deck.root / "cards").mkdir()
    (deck.root / "cards/x.md").write_text("---\ntags: []\n---\n# Q\n\nSame   body\nhere.\n")
    s = tmp_path / "s"
    s.mkdir()
    (s / "a.md").write_text("# Q\nSame body here.\n")  # same as cards/x.md once normalised
    (s / "b.md").write_text("# Q\n\nA different body.\n")  # same question: flagged
    (s / "c.md").write_text("---\ndifficulty: hard\n---\n# Q\n\nA different body.\n")  # same body as b.md
    report = imp(deck, [s])
    assert [(e.action, e.target, e.reason) for e in report.entries] == [
        ("skipped", "cards/x.md", "duplicate of cards/x.md"),
        ("imported", "b.md", ""),
        ("skipped", "b.md", "duplicate of b.md"),
    ]
    assert [(f.target, f.other) for f in report.flagged] == [("b.md", "cards/x.md")]
    assert "  flagged  " in "\n".join(report.render_lines())


def test_on_conflict_modes(tmp_path: Path, deck: Deck):
    existing = "---\ncreated: '2023-01-01'\nnext_review: '2024-05-05'\nreview_count: 4\ntags: [old]\n---\n# Q\n\nDeck body.\n"
    (deck.root / "n.md").write_text(existing)
    s = tmp_path / "s"
    s.mkdir()
    (s / "n.md").write_text("---\ntags: [new, more]\nsource: web\n---\n# Q\n\nSource body.\n")

    r = imp(deck, [s / "n.md"])
    assert [(e.action, e.reason) for e in r.entries] == [
        ("skipped", "n.md already exists with different content (--on-conflict update or rename)")
    ]
    assert (deck.root / "n.md").read_text() == existing

    r = imp(deck, [s / "n.md"], on_conflict="update", dry_run=True)
    assert [(e.action, e.reason) for e in r.entries] == [("updated", "keys tags, source")]
    assert (deck.root / "n.md").read_text() == existing

    r = imp(deck, [s / "n.md"], on_conflict="update")
    assert [(e.action, e.target) for e in r.entries] == [("updated", "n.md")]
    assert (deck.root / "n.md").read_text() == existing.replace("tags: [old]\n", "tags: [new, more]\nsource: web\n")
    r = imp(deck, [s / "n.md"], on_conflict="update")
    assert [e.action for e in r.entries] == ["skipped"]

    r = imp(deck, [s / "n.md"], on_conflict="rename")
    assert [(e.action, e.target) for e in r.entries] == [("imported", "n (2).md")]
    assert body_bytes((deck.root / "n (2).md").read_bytes()) == b"# Q\n\nSource body.\n"
    assert [f.other for f in r.flagged] == ["n.md"]
    # the renamed copy is now the duplicate: a second rename run does nothing
    r = imp(deck, [s / "n.md"], on_conflict="rename")
    assert [(e.action, e.reason) for e in r.entries] == [("skipped", "duplicate of n (2).md")]


def test_empty_body_reimport_with_rename_is_stable(tmp_path: Path, deck: Deck):
    (tmp_path / "only-frontmatter.md").write_text("---\ntitle: x\n---\n")
    first = imp(deck, [tmp_path / "only-frontmatter.md"], on_conflict="rename")
    assert [e.target for e in first.imported] == ["only-frontmatter.md"]
    again = imp(deck, [tmp_path / "only-frontmatter.md"], on_conflict="rename")
    assert [e.action for e in again.entries] == ["skipped"]
    assert sorted(p.name for p in deck.root.iterdir() if p.suffix == ".md") == ["only-frontmatter.md"]


def test_same_name_twice_in_one_run_is_numbered(tmp_path: Path, deck: Deck):
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "note.md").write_text(f"# {d}\n\nbody {d}\n")
    r = imp(deck, [tmp_path / "a", tmp_path / "b"])
    assert [e.target for e in r.imported] == ["note.md", "note (2).md"]


def test_broken_sources_fail_and_the_rest_is_imported(tmp_path: Path, deck: Deck):
    s = tmp_path / "s"
    s.mkdir()
    (s / "ok.md").write_text("# fine\n\nbody\n")
    (s / "unclosed.md").write_text("---\ntags: [a]\n# no closing line\n")
    (s / "dupkey.md").write_text("---\ntags: [a]\ntags: [b]\n---\n# d\n")
    (s / "list.md").write_text("---\n- a\n- b\n---\n# l\n")
    (s / "latin1.md").write_bytes("# caf\xe9\n".encode("latin-1"))
    (s / "bomb.md").write_text("---\na: &a [1, 1]\nb: !!python/object:os.system ls\n---\n# x\n")
    (s / "notes.pdf").write_bytes(b"%PDF")
    r = imp(deck, [s, s / "notes.pdf"])
    failed = {Path(e.source).name: e.reason for e in r.failed}
    assert set(failed) == {"unclosed.md", "dupkey.md", "list.md", "latin1.md", "bomb.md", "notes.pdf"}
    assert "not closed" in failed["unclosed.md"]
    assert "more than once" in failed["dupkey.md"]
    assert "UTF-8" in failed["latin1.md"]
    assert [e.target for e in r.imported] == ["ok.md"]
    assert sorted(p.name for p in deck.root.iterdir() if not p.name.startswith(".")) == ["ok.md"]
    assert any(line.startswith("  failed   ") and "unclosed.md" in line for line in r.render_lines())


# ---------------------------------------------------------------- safety


@pytest.mark.parametrize("into", ["..", "../out", "a/../../out", "/tmp/x", "..\\..\\x", "C:\\x", "c:/x", ".trainer", "a/.git"])
def test_into_must_stay_inside(tmp_path: Path, deck: Deck, into: str):
    (tmp_path / "n.md").write_text("# n\n\nbody\n")
    with pytest.raises(ImportRefused):
        imp(deck, [tmp_path / "n.md"], into=into)
    assert sorted(os.listdir(deck.root)) == []


def test_source_inside_deck_is_refused(deck: Deck):
    (deck.root / "sub").mkdir()
    (deck.root / "sub/n.md").write_text("# n\n")
    for s in (deck.root, deck.root / "sub", deck.root / "sub/n.md"):
        with pytest.raises(ImportRefused, match="deck"):
            imp(deck, [s])


def test_deck_inside_source_is_not_walked(tmp_path: Path):
    (tmp_path / "notes/deck").mkdir(parents=True)
    (tmp_path / "notes/deck/old.md").write_text("# old\n\nold body\n")
    (tmp_path / "notes/new.md").write_text("# new\n\nnew body\n")
    deck = Deck(tmp_path / "notes/deck")
    r = imp(deck, [tmp_path / "notes"], into="in")
    assert [e.target for e in r.imported] == ["in/new.md"]


def test_symlinks_are_not_followed_out(tmp_path: Path, deck: Deck):
    outside = tmp_path / "outside"
    outside.mkdir()
    (deck.root / "escape").symlink_to(outside, target_is_directory=True)
    s = tmp_path / "s"
    (s / "escape").mkdir(parents=True)
    (s / "escape/n.md").write_text("# n\n\nbody\n")
    (s / "link.md").symlink_to(s / "escape/n.md")
    r = imp(deck, [s])
    assert sorted((e.action, e.reason) for e in r.entries) == [
        ("failed", "escape/n.md leads outside the deck (a symlink?); refused"),
        ("skipped", "symlink not followed"),
    ]
    with pytest.raises(ImportRefused, match="outside"):
        imp(deck, [s / "escape/n.md"], into="escape")
    assert list(outside.iterdir()) == []
    # an existing note that is a symlink to outside is never updated through
    (outside / "t.md").write_text("# t\n\nold\n")
    (deck.root / "t.md").symlink_to(outside / "t.md")
    (s / "t.md").write_text("---\ntags: [x]\n---\n# t\n\nnew\n")
    r = imp(deck, [s / "t.md"], on_conflict="update")
    assert (outside / "t.md").read_text() == "# t\n\nold\n"
    assert r.entries[0].action in ("skipped", "failed")


def test_odd_source_file_names_stay_inside(tmp_path: Path, deck: Deck):
    s = tmp_path / "s"
    s.mkdir()
    (s / "..\\..\\hidden.md").write_text("# h\n\nstarts with a dot: hidden, skipped\n")
    (s / "x\\..\\..\\evil.md").write_text("# e\n\nwindows traversal\n")
    (s / "CON.md").write_text("# c\n\nreserved\n")
    (s / "a:b*c.md").write_text("# a\n\nodd chars\n")
    r = imp(deck, [s])
    assert r.ok
    targets = sorted(e.target for e in r.imported)
    assert targets == ["CON_.md", "a b c.md", "x-..-..-evil.md"]
    for t in targets:
        assert (deck.root / t).resolve().parent == deck.root


def test_interrupted_import_leaves_no_temp_or_partial_note(src: Path, deck: Deck):
    def stop(done: int, total: int) -> None:
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        imp(deck, [src / "markdown"], progress=stop)
    left = [p for p in deck.root.rglob("*") if p.is_file() and ".trainer" not in p.parts]
    assert left == []  # the batch never reached its link step: no note, no temp file


def test_place_never_replaces_an_existing_file(tmp_path: Path):
    from trainer.importers.run import _place

    (tmp_path / "tmp").write_bytes(b"new")
    (tmp_path / "note.md").write_bytes(b"theirs")
    with pytest.raises(FileExistsError):
        _place(tmp_path / "tmp", tmp_path / "note.md")
    (tmp_path / "dangling.md").symlink_to(tmp_path / "nowhere")
    with pytest.raises(FileExistsError):
        _place(tmp_path / "tmp", tmp_path / "dangling.md")
    assert (tmp_path / "note.md").read_bytes() == b"theirs" and not (tmp_path / "nowhere").exists()


def test_broken_sources_are_said_as_path_key_problem(tmp_path, cli):
    """An import names a broken source as `trainer check` names a broken note (`path: key: problem`);
    it said `broken.md: YAML does not parse …` with no key. The good note still comes in."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "broken.md").write_bytes(b"---\ntags: [a\n---\n# Broken\n")
    (src / "latin.md").write_bytes(b"# Caf\xe9\n")
    (src / "list.md").write_bytes(b"---\n- a\n- b\n---\n# A list\n")
    (src / "good.md").write_bytes(b"# Good\n\n## A\n\nok\n")
    deck = tmp_path / "deck"
    deck.mkdir()
    r = cli(deck, "import", str(src))
    assert r.returncode == 1
    errors = sorted(r.stderr.decode().splitlines())
    assert [line.split(": ")[:2] for line in errors] == [
        [str(src / "broken.md"), "frontmatter"], [str(src / "latin.md"), "body"], [str(src / "list.md"), "frontmatter"]]
    assert "YAML does not parse" in errors[0] and "not valid UTF-8" in errors[1] and "must be a mapping" in errors[2]
    assert [p.name for p in deck.glob("*.md")] == ["good.md"]
