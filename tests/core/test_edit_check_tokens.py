"""The edit's check read token by token (#17, trainer.notes.write): when a grade only swaps one-line
values for numbers or quoted dates, or appends such lines at the end of a block mapping, the new
frontmatter is not parsed again; these tests hold that shortcut to PyYAML's own reading of the
text written, on generated frontmatter with every shape around the edited lines."""

from __future__ import annotations

import datetime as dt

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.notes import parse, write

KEYS = ("last_reviewed", "next_review", "review_count", "mastery_level", "ease_factor", "interval", "repetitions")

AROUND = [  # other keys, before, between and after the edited lines (the last one matters most for appends)
    ["title: \"a: b 'c' # not a comment\""],
    ["作者: 张三"],
    ["nested:", "  interval: 99", "  deeper:", "    next_review: 2020-01-01"],
    ["aliases:", "- one", "- 'two: 2'"],
    ["indented_seq:", "  - x", "  - y"],
    ["flow: [a, b, {c: d}]"],
    ["keep: |+", "  kept text", "  # not a comment", "", ""],
    ["strip: >-", "  folded", "  text"],
    ["literal: |2", "    deeper indented", "  text"],
    ["plain: a plain scalar", "  spread over lines"],
    ["# own-line comment"],
    ["url: https://example.com/a?b=c#frag"],
    ["empty_key:"],
    ["count: 3 # trailing comment"],
    ["created: 2025-10-19 08:30:00"],
    ["tags:", "- Transformer", "- Python/LayerNorm（#38755）.md"],
    ["multi_flow: [a,", "  b]"],
    ["quoted_multi: 'one", "  two'"],
]

values = st.one_of(
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2099, 12, 31)),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300).map(lambda f: round(f, 2)),
)  # a note keeps two decimals (write.format_value), as a grade writes them
old_sources = st.sampled_from(["'2026-10-08'", "2026-10-08", '"2026-10-08"', "3", "2.5", "0.41", "null", "~", "x", "1e3"])


def _normal(v):
    """A read value in one form: dates as dates (a quoted date reads as text), floats rounded."""
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v)
        except ValueError:
            return v
    if isinstance(v, float):
        return round(v, 2)
    return v


@given(values)
def test_a_token_reads_as_pyyaml_reads_it(value):
    token = write.format_value(value)
    read = write._token_value(token)
    if read is not write._Missing:
        expected = yaml.safe_load(f"v: {token}\n")["v"]
        assert type(read) is type(expected) and read == expected, (token, read, expected)


@st.composite
def frontmatters(draw):
    indent = draw(st.sampled_from(["", "", "  "]))
    present = draw(st.lists(st.sampled_from(KEYS), unique=True, max_size=len(KEYS)))
    blocks = [[f"{k}: {draw(old_sources)}" + draw(st.sampled_from(["", "", " # c"]))] for k in present]
    blocks += draw(st.lists(st.sampled_from(AROUND), unique_by=lambda b: b[0], max_size=5))
    blocks = draw(st.permutations(blocks))
    lines = [indent + line if line else line for b in blocks for line in b]
    if not lines:
        lines = [indent + "title: x"]
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    end = draw(st.sampled_from([nl, nl, ""]))
    return nl.join(lines) + end, nl


@settings(max_examples=300, deadline=None)
@given(frontmatters(), st.dictionaries(st.sampled_from(KEYS), values, min_size=1))
def test_an_edit_reads_back_as_pyyaml_reads_the_text_written(fm_nl, updates):
    fm, nl = fm_nl
    text = f"---{nl}{fm}{'' if fm.endswith(nl) or not fm else nl}---{nl}body{nl}"
    split = parse.split_frontmatter(text)
    before = yaml.safe_load(split.yaml) or {}
    edit = write.edit_frontmatter(text, updates)
    new_split = parse.split_frontmatter(edit.text)
    after = yaml.safe_load(new_split.yaml)
    assert edit.text[new_split.body_start :] == "body" + nl
    for key, value in before.items():
        if key not in updates:
            assert after[key] == value, key  # every other key reads as before, by PyYAML itself
    for key, value in updates.items():
        assert _normal(after[key]) == _normal(value), (key, after[key], value)


def test_a_grade_of_a_plain_note_is_checked_without_a_second_parse():
    """The shortcut is taken for what a grade writes into a note of the seed's shape (keys swapped
    and keys appended after a tag list); the text is the one a whole parse would have accepted."""
    fm = ("created: '2026-04-26'\nlast_reviewed: '2026-11-25'\nnext_review: '2027-03-23'\nreview_count: 6\n"
          "mastery_level: 0.7\ntags:\n- Python\n- Python/LayerNorm（#38755）.md\nrelated_outlines: []\n")
    text = f"---\n{fm}---\n# Q\n"
    parse._recent.clear()
    updates = {"last_reviewed": dt.date(2026, 12, 1), "next_review": dt.date(2026, 12, 7), "review_count": 7,
               "mastery_level": 0.79, "ease_factor": 2.6, "interval": 6, "repetitions": 1}
    node = parse.compose(parse.split_frontmatter(text).yaml)
    assert write._swappable(parse.split_frontmatter(text).yaml, node)
    swapped = write._swap({}, "review_count", "", "7")
    assert swapped == {"review_count": 7}
    assert write._appended(swapped, {"interval": 6, "ease_factor": 2.6}) == {"review_count": 7, "interval": 6,
                                                                               "ease_factor": 2.6}
    edit = write.edit_frontmatter(text, updates)
    after = yaml.safe_load(parse.split_frontmatter(edit.text).yaml)
    assert after["interval"] == 6 and after["ease_factor"] == 2.6 and after["last_reviewed"] == "2026-12-01"
    assert after["tags"] == ["Python", "Python/LayerNorm（#38755）.md"]
    assert edit.added == ("ease_factor", "interval", "repetitions")


def test_what_the_shortcut_leaves_to_a_whole_parse():
    yaml_of = lambda t: parse.split_frontmatter(t).yaml  # noqa: E731
    for text in ("---\na: &x 1\nb: *x\n---\n", "---\n{a: 1}\n---\n", "---\na: !!str 1\n---\n", "---\n<<: {a: 1}\n---\n"):
        assert not write._swappable(yaml_of(text), parse.compose(yaml_of(text))), text
    assert write._swap({}, "k", "|", "3") is None  # a block scalar's old value
    assert write._swap({}, "k", "", "'x'") is None  # a new token that is not a number or a date
    assert write._swap({}, "k", "", "07") is None  # YAML 1.1 reads a leading zero as octal
    assert write._appended({}, {"null": 1}) is None  # a key YAML would not read as text
    assert write._appended({}, {"a b": 1}) is None
    assert write._appended({}, {"k": write.Raw(" 3")}) is None
