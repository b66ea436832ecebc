"""Reading notes (SPEC §1): question/answer/details, frontmatter cut, defaults, problems by key."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainer.notes.parse import NEW_CARD_DUE, parse_note, read_body, split_body

MTIME = dt.datetime(2024, 5, 6, 12, 0, 0).timestamp()
MTIME_NS = int(MTIME * 1e9)


def parse(text: str | bytes, rel: str = "topic/note.md", **kw):
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return parse_note(raw, rel, mtime_ns=kw.pop("mtime_ns", MTIME_NS), **kw)


def keys(note) -> dict[str, str]:
    return {p.key: p.message for p in note.problems}


# ---------------------------------------------------------------- question / answer / details


def test_question_is_first_h1_outside_fences():
    body = "```\n# not this\n```\n~~~\n# nor this\n~~~\nintro\n# The question\n# second h1\n"
    assert parse("---\na: 1\n---\n" + body).question == "The question"
    assert parse(body).question == "The question"


def test_question_falls_back_to_file_stem():
    assert parse("no heading here\n## only h2\n", rel="attention/为什么要除以根号dk.md").question == "为什么要除以根号dk"
    assert parse("#not-a-heading\n    # indented code\n", rel="a/b/stem.md").question == "stem"
    assert parse(b"", rel="empty.md").question == "empty"


def test_closing_hashes_and_spaces_are_not_part_of_the_title():
    assert parse("#   Why divide by sqrt(d_k)?   ##\n").question == "Why divide by sqrt(d_k)?"
    assert parse("   # up to three spaces\n").question == "up to three spaces"


def test_answer_is_first_h2_section_details_the_rest():
    body = split_body("# Q\n\nintro\n\n## 面试标准答案\n\n短答案。\n\n## 详细解析\n\n细节。\n### 小节\n", "stem")
    assert body.question == "Q"
    assert body.answer_title == "面试标准答案"
    assert body.answer == "短答案。"
    assert body.details.startswith("## 详细解析")
    assert "### 小节" in body.details


def test_no_h2_means_whole_body_after_question_is_the_answer():
    body = split_body("# Q\nline one\n### sub\nline two\n", "stem")
    assert body.question == "Q"
    assert body.answer_title == ""
    assert body.answer == "line one\n### sub\nline two"
    assert body.details == ""


@pytest.mark.parametrize("fence", ["```", "~~~", "````"])
def test_headings_inside_fences_are_not_headings(fence):
    text = f"# Q\n## A\nanswer\n{fence}python\n## not a section\n# not a question\n{fence}\nmore answer\n## D\ndetails\n"
    body = split_body(text, "stem")
    assert body.question == "Q"
    assert body.answer_title == "A"
    assert "## not a section" in body.answer and body.answer.endswith("more answer")
    assert body.details == "## D\ndetails"


def test_read_body_skips_frontmatter_bom_crlf(tmp_path):
    p = tmp_path / "n.md"
    p.write_bytes("\ufeff---\r\nreview_count: 1\r\n---\r\n# 问题\r\n## 答\r\n答案\r\n".encode())
    body = read_body(p)
    assert body.question == "问题"
    assert body.answer_title == "答"
    assert body.answer == "答案"


# ---------------------------------------------------------------- frontmatter cut


@pytest.mark.parametrize(
    "raw",
    [
        b"---\nreview_count: 3\n---\n# Q\n",
        b"---\nreview_count: 3\n...\n# Q\n",
        b"---\r\nreview_count: 3\r\n---\r\n# Q\r\n",
        b"\xef\xbb\xbf---\nreview_count: 3\n---\n# Q\n",
        b"\xef\xbb\xbf---\r\nreview_count: 3\r\n...\r\n# Q\r\n",
        b"--- \nreview_count: 3\n---  \n# Q\n",
    ],
)
def test_frontmatter_forms(raw):
    n = parse(raw)
    assert not n.problems and not n.fatal
    assert n.schedule.review_count == 3
    assert n.question == "Q"
    assert "review_count" in n.present


def test_body_dashes_after_frontmatter_are_body():
    n = parse("---\nreview_count: 2\n---\n# Q\n---\nreview_count: 9\n---\n")
    assert n.schedule.review_count == 2 and not n.problems


def test_four_dashes_is_not_frontmatter():
    n = parse("----\nreview_count: 2\n---\n# Q\n")
    assert not n.fatal and n.schedule.review_count == 0 and "review_count" not in n.present


# ---------------------------------------------------------------- defaults and values


def test_defaults_of_every_key():
    n = parse("---\nother: 1\n---\n# Q\n")
    s = n.schedule
    assert s.created == dt.date.fromtimestamp(MTIME)  # the file's mtime date
    assert s.last_reviewed is None
    assert s.next_review == NEW_CARD_DUE  # "today", resolved by the deck for the day asked
    assert (s.review_count, s.mastery_level, s.ease_factor, s.interval, s.repetitions) == (0, 0.0, 2.5, 0, 0)
    assert n.difficulty == "medium" and n.tags == () and n.demos == ()
    assert n.is_new and not n.problems


def test_seed_note_values(seed):
    n = parse(seed(tags=("Transformer", "Transformer/Attention"), difficulty="hard"))
    assert not n.problems
    s = n.schedule
    assert s.created == dt.date(2026, 3, 9) and s.next_review == dt.date(2026, 3, 9)
    assert s.last_reviewed is None and s.review_count == 0
    assert n.difficulty == "hard" and n.tags == ("Transformer", "Transformer/Attention")


@pytest.mark.parametrize(
    "src",
    ["'2025-10-19'", '"2025-10-19"', "2025-10-19", "2025-10-19 08:30:00", "2025-10-19T23:59:59+08:00",
     "'2025-10-19T08:30:00Z'", "'2025-10-19 08:30:00'"],
)
def test_dates_quoted_bare_and_datetimes_count_by_date(src):
    n = parse(f"---\nnext_review: {src}\nlast_reviewed: {src}\ncreated: {src}\n---\n")
    assert not n.problems, n.problems
    assert n.schedule.next_review == dt.date(2025, 10, 19)
    assert n.schedule.last_reviewed == dt.date(2025, 10, 19)
    assert n.schedule.created == dt.date(2025, 10, 19)


@pytest.mark.parametrize(
    "line, key",
    [
        ("review_count: -3", "review_count"),
        ("review_count: 1.5", "review_count"),
        ("review_count: 'three'", "review_count"),
        ("mastery_level: 7", "mastery_level"),
        ("mastery_level: -0.1", "mastery_level"),
        ("mastery_level: .nan", "mastery_level"),
        ("mastery_level: true", "mastery_level"),
        ("next_review: someday", "next_review"),
        ("next_review: 2025-02-30", "next_review"),
        ("next_review: '2025-13-01'", "next_review"),
        ("next_review: null", "next_review"),
        ("last_reviewed: yesterday", "last_reviewed"),
        ("created: 12", "created"),
        ("difficulty: insane", "difficulty"),
        ("difficulty: 3", "difficulty"),
        ("tags: 5", "tags"),
        ("tags: [a, 3]", "tags"),
        ("tags: {a: b}", "tags"),
        ("related_outlines: 7", "related_outlines"),
        ("ease_factor: 1.0", "ease_factor"),
        ("ease_factor: x", "ease_factor"),
        ("interval: -1", "interval"),
        ("interval: 2.5", "interval"),
        ("repetitions: -2", "repetitions"),
        ("demos: qkv", "demos"),
    ],
)
def test_wrong_value_is_a_problem_with_its_key_and_default_is_used(line, key):
    n = parse(f"---\nreview_count: 4\n{line}\nother: kept\n---\n# Q\n" if not line.startswith("review_count")
              else f"---\n{line}\nother: kept\n---\n# Q\n")
    assert not n.fatal
    assert list(keys(n)) == [key], n.problems
    p = n.problems[0]
    assert p.path == "topic/note.md"
    assert str(p).startswith(f"topic/note.md: {key}: ")
    defaults = {"review_count": 0, "mastery_level": 0.0, "ease_factor": 2.5, "interval": 0, "repetitions": 0,
                "last_reviewed": None, "next_review": NEW_CARD_DUE, "created": dt.date.fromtimestamp(MTIME)}
    if key in defaults:
        assert getattr(n.schedule, key) == defaults[key]
    if key == "difficulty":
        assert n.difficulty == "medium"
    if key == "tags":
        assert n.tags == ()
    if not line.startswith("review_count"):
        assert n.schedule.review_count == 4  # the other keys still load


def test_difficulty_case_and_spaces_accepted():
    assert parse("---\ndifficulty: ' Hard '\n---\n").difficulty == "hard"


def test_duplicate_key_is_reported():
    n = parse("---\nreview_count: 1\ntags: [a]\nreview_count: 2\n---\n# Q\n")
    assert not n.fatal
    assert list(keys(n)) == ["review_count"]
    assert "more than once" in n.problems[0].message


@pytest.mark.parametrize(
    "fm, what",
    [
        ("- a\n- b\n", "list"),
        ("just a scalar\n", "str"),
        ("42\n", "int"),
        ("key: [unclosed\n", "parse"),
        ("key: value\n  bad: indent\n", "parse"),
        ("? [a, b]\n: 1\n", ""),
    ],
)
def test_frontmatter_that_is_not_a_mapping_is_fatal(fm, what):
    n = parse(f"---\n{fm}---\n# Q\n")
    assert n.fatal
    assert list(keys(n)) == ["frontmatter"]
    assert what in n.problems[0].message
    assert n.question == "Q"  # still listed under its question


def test_unclosed_frontmatter_is_fatal():
    for text in ("---\nreview_count: 1\n# Q\n", "---\nreview_count: 1", "---"):
        n = parse(text)
        assert n.fatal and "not closed" in n.problems[0].message


def test_bad_encoding_and_binary_are_fatal_not_raised():
    assert "UTF-8" in parse(b"---\ntitle: caf\xe9\n---\n").problems[0].message
    assert "binary" in parse(b"\x89PNG\r\n\x1a\n\x00\x00\x00").problems[0].message


def test_bytes_that_are_no_text_are_said_where_they_are():
    """A bad byte is reported under the part it is in: `frontmatter` or `body` (a note's title
    was said to have a frontmatter problem); NUL bytes, not text at all, under `file`."""
    cases = {b"---\ntags: [a]\n---\n# Caf\xe9\n": "body", b"# Caf\xe9\n": "body",
             b"---\ntitle: caf\xe9\n---\n# Q\n": "frontmatter", b"---\ntitle: caf\xe9\n# Q\n": "frontmatter",
             "\ufeff---\ntags: [a]\n---\n# Q\n".encode() + b"\xe9": "body",
             b"\x89PNG\r\n\x1a\n\x00\x00\x00": "file"}
    for raw, key in cases.items():
        note = parse(raw)
        assert note.fatal and [p.key for p in note.problems] == [key], raw
    assert [p.key for p in parse(b"---\ntags: [a\n---\n# Q\n").problems] == ["frontmatter"]
    assert parse(b"\xff\xfe#\x00 \x00Q\x00").fatal


def test_empty_frontmatter_and_empty_file():
    assert not parse("---\n---\n# Q\n").problems
    n = parse(b"", rel="e.md")
    assert not n.problems and n.question == "e" and n.is_new


def test_unknown_keys_and_nested_scheduling_names_do_not_count():
    n = parse("---\nnested:\n  review_count: 9\nreview-count: 8\n作者: 张三\n---\n")
    assert n.schedule.review_count == 0 and not n.problems


def test_mtime_date_default_from_deck_file(tmp_path):
    from trainer.deck import Deck

    p = tmp_path / "d" / "n.md"
    p.parent.mkdir()
    p.write_text("---\nreview_count: 0\n---\n# Q\n", encoding="utf-8")
    os.utime(p, (MTIME, MTIME))
    note = Deck(p.parent).scan(dt.date(2026, 11, 25)).notes[0]
    assert note.schedule.created == dt.date(2024, 5, 6)
    assert note.schedule.next_review == dt.date(2026, 11, 25)  # missing next_review: due today


# ---------------------------------------------------------------- never raises


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_parse_never_raises_on_bytes(raw):
    n = parse_note(raw, "x.md")
    assert isinstance(n.question, str)
    if n.fatal:
        assert n.problems


yamlish = st.lists(
    st.one_of(
        st.sampled_from(["a: 1", "- x", "b: [1, {c: d}", "&x y: *x", "!!binary Zm9v", "? k", ": v", "{", "}",
                         "review_count: -1", "next_review: 2025-02-30", "'", '"', "|", ">-", "  nested: 1",
                         "tags:", "  - t", "!!python/object/apply:os.system ['true']", "%YAML 1.1", "...",
                         "mastery_level: 1e999", "created: 0001-01-01", "interval: 99999999999999999999",
                         "*undefined", "<<: {a: 1}", "key: !!int x", "ease_factor: !!float inf"]),
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20),
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=yamlish, nl=st.sampled_from(["\n", "\r\n"]), body=st.text(max_size=80))
def test_parse_never_raises_on_yamlish_frontmatter(lines, nl, body):
    text = "---" + nl + nl.join(lines) + nl + "---" + nl + body
    n = parse_note(text.encode("utf-8", "surrogatepass"), "x.md")
    assert isinstance(n.schedule.review_count, int) and n.schedule.review_count >= 0
    assert 0.0 <= n.schedule.mastery_level <= 1.0
    assert n.schedule.ease_factor >= 1.3
    assert all(p.path == "x.md" for p in n.problems)
