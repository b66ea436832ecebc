"""The bundled interview deck (cards/): one shape for every card, honest numbers, code that runs.

These tests read the repository's own cards/ (never the shared seed notes) and fail on a card that
drifts from the seed's shape: the mock interview matches answers against the bold terms of
the short answer's key points, so the shape is part of the product.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from trainer.notes.parse import parse_note

CARDS = Path(__file__).resolve().parents[2] / "cards"
PATHS = sorted(CARDS.rglob("*.md"))
IDS = [p.relative_to(CARDS).as_posix() for p in PATHS]
SEED_KEYS = ["created", "last_reviewed", "next_review", "review_count", "difficulty", "mastery_level", "tags",
             "related_outlines"]
_CJK = re.compile(r"[\u4e00-\u9fff]")
_FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def _split(path: Path) -> tuple[str, str]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    end = text.index("\n---\n", 4)
    return text[4:end], text[end + 5 :]


def _sections(body: str) -> list[tuple[str, str]]:
    """(heading, text) of every ``## `` section outside code fences."""
    plain = _FENCE.sub("", body)
    parts = re.split(r"^(## .*)$", plain, flags=re.M)
    return [(parts[i].strip(), parts[i + 1]) for i in range(1, len(parts) - 1, 2)]


def test_deck_size():
    assert len(PATHS) >= 60


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_card_shape(path: Path):
    fm, body = _split(path)
    note = parse_note(path.read_bytes(), path.relative_to(CARDS).as_posix())
    assert not note.problems, note.problems
    zh = bool(_CJK.search(note.question))
    # the file name is in the card's language
    assert bool(_CJK.search(path.stem)) == zh, path.name
    heads = [h for h, _ in _sections(body)]
    expected = ["## 面试标准答案", "## 详细技术解析"] if zh else ["## Interview answer", "## Details"]
    assert heads[:2] == expected, heads
    short = _sections(body)[0][1]
    items = [line for line in short.splitlines() if re.match(r"^(\d+\.|-) ", line)]
    assert len(items) >= 3, "the short answer is a list of key points"
    other = [line for line in short.splitlines() if line.strip() and line not in items]
    assert not other, f"text outside the key-point list: {other[:1]}"
    for item in items:
        bold = re.findall(r"\*\*([^*]+)\*\*", item)
        assert bold, f"key point without a bold term: {item[:60]}"
        for term in bold:  # a term someone can say aloud: no TeX, not a sentence
            assert "$" not in term and len(term) <= 40, term
    details = _sections(body)[1][1]
    assert re.search(r"^### ", details, re.M), "follow-ups as ### headings"
    # the seed's frontmatter keys, in the seed's order
    keys = [m.group(1) for m in re.finditer(r"^([a-z_]+):", fm, re.M)]
    assert [k for k in keys if k in SEED_KEYS] == SEED_KEYS


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_links_resolve_and_new_cards_are_fresh(path: Path):
    stems = {p.stem for p in PATHS}
    fm, body = _split(path)
    note = parse_note(path.read_bytes(), path.relative_to(CARDS).as_posix())
    for rel in re.findall(r"^- (.+)$", fm.split("related_outlines:")[1].split("\n", 1)[1].split("demos:")[0], re.M):
        assert rel in stems, rel
    for link in re.findall(r"\[\[([^\]]+)\]\]", body):
        assert link in stems, link
    if "created: '2026-12-01'" in fm:  # a card added in this release: never studied
        s = note.schedule
        assert s.last_reviewed is None and s.review_count == 0 and s.mastery_level == 0.0
        assert s.next_review.isoformat() == "2026-12-01"


@pytest.mark.parametrize("path", [p for p in PATHS if "```python" in p.read_text(encoding="utf-8")],
                         ids=lambda p: p.name)
def test_card_code_runs(path: Path):
    for code in re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.S):
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(code, path.name, "exec"), {})  # noqa: S102 - our own cards, in a test


def _card(name: str) -> str:
    (path,) = [p for p in PATHS if p.stem == name]
    return path.read_text(encoding="utf-8").replace("{,}", ",")  # TeX's 524{,}288 reads as 524,288


def test_numbers_quoted_from_demos_match_the_demos():
    """Every figure a card quotes from a demo is what the demo computes today."""
    from trainer.demos import dpo, kvcache, precision, qkv, rope, speculative

    kv = {p["name"]: p for p in kvcache.figures(seed=0)["presets"]}
    assert f"{kv['llama-2-7b']['bytes_per_token']:,}" in _card("kv-cache")  # 524,288
    assert f"{kv['llama-3-8b']['bytes_per_token']:,}" in _card("MQA与GQA")  # 131,072
    assert f"{kv['deepseek-v2']['bytes_per_token']:,}" in _card("mla-multi-head-latent-attention")

    d = dpo.figures(seed=0)
    beta = {b["beta"]: b for b in d["betas"]}
    text = _card("dpo-direct-preference-optimization")
    assert f"{d['corr_logratio_reward']:.4f}" in text
    assert f"{beta[0.05]['kl_to_ref']:.2f}" in text and f"{beta[2.0]['kl_to_ref']:.2f}" in text

    s = speculative.figures(seed=0)
    text = _card("speculative-decoding")
    for key, fmt in (("tv_distance", ".4f"), ("acceptance", ".4f"), ("expected_acceptance", ".4f"),
                     ("expected_tokens_per_round", ".2f"), ("tv_draft_only", ".2f")):
        assert format(s[key], fmt) in text, key

    m = precision.figures(seed=0)
    text = _card("mixed-precision-bf16-fp16")
    assert f"{m['gradients']['fp16_underflow_share']:.1%}" in text
    assert m["updates"]["bf16"] == 1.0 and m["updates"]["bf16_with_fp32_master"] == 2.0

    r = rope.figures(seed=0)["extension"]
    text = _card("context-extension-pi-ntk-yarn")
    assert f"{r['unwrapped_pairs']} of {r['pairs']} pairs" in text
    for key in ("none", "position_interpolation", "ntk_scaling"):
        share = r["out_of_range_share"][key]
        assert f"{share:.1%}" in text or f"{share:.2%}" in text, key

    e = qkv.figures(seed=0)["experiment"]
    text = _card("为什么QKV要用三个不同的投影矩阵")
    assert f"{e['shared']['acc']:.1%}" in text and f"{e['shared']['loss']:.2f}" in text
    assert f"{e['controls']['shared_causal']['loss']:.2f}" in text
    assert f"{e['uniform_loss']:.2f}" in text
