"""The mock interview's core: key points, matching, the suggested grade, card choice, transcripts, storage.

Notes are real files (tests/fixtures/interview_deck, copied to a temp dir); the log is real SQLite.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from trainer import grading
from trainer.deck import Deck
from trainer.interview import store
from trainer.interview.keypoints import KeyPoint, follow_ups, key_points
from trainer.interview.matching import match_answer, needed_units, units
from trainer.interview.select import select_cards
from trainer.interview.session import Card, InterviewSession
from trainer.interview.suggest import suggested_grade
from trainer.interview.transcript import Transcript, missed_most, to_markdown
from trainer.reviewlog import ReviewLog

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "interview_deck"
TODAY = dt.date(2026, 11, 25)
EN = "attention/scaled-dot-product.md"
ZH = "attention/为什么要除以根号dk.md"


@pytest.fixture
def deck(tmp_path: Path) -> Deck:
    dst = tmp_path / "deck"
    shutil.copytree(FIXTURE, dst)
    return Deck(dst)


@pytest.fixture
def notes(deck: Deck) -> dict:
    return deck.scan(TODAY).by_rel()


def card(notes: dict, rel: str) -> Card:
    return Card.of(notes[rel])


# ---------------------------------------------------------------- key points


def test_numbered_list_with_bold_terms(notes):
    c = card(notes, EN)
    assert [p.bold for p in c.points] == [("Variance grows with d_k",), ("Softmax saturation",), ("unit variance",)]
    assert c.points[0].text.startswith("Variance grows with d_k: with unit-variance")
    assert "**" not in "".join(p.text for p in c.points)
    # the paragraph after the list is not a point; ### inside a code fence is not a follow-up
    assert len(c.points) == 3
    assert c.follow_ups == ["Deriving the variance", "What happens without the scale?", "Why not divide by d_k?"]


def test_chinese_numbered_list(notes):
    c = card(notes, ZH)
    assert [p.bold for p in c.points] == [("方差随维度增大",), ("softmax 饱和",), ("缩放回单位方差",)]
    assert c.follow_ups == ["方差是怎么推出来的？", "不缩放会怎样？"]


def test_bulleted_list_and_partial_bold(notes):
    c = card(notes, "architecture/layernorm.md")
    assert [p.bold for p in c.points] == [("gain and bias",), ("per token",), ()]


def test_sentences_when_there_is_no_list(notes):
    zh = card(notes, "architecture/残差连接.md")
    assert [p.text for p in zh.points] == [
        "残差连接让每个子层只学习输入上的增量。",
        "梯度可以沿着恒等路径直接传回浅层，缓解深层网络的梯度消失！",
        "它也让很深的堆叠更容易优化。",
    ]
    en = card(notes, "inference/kv-cache.md")
    assert len(en.points) == 3 and en.points[2].text.startswith("Memory grows linearly")


def test_no_short_answer_means_no_points(notes):
    c = card(notes, "misc/no-short-answer.md")
    assert c.points == [] and c.follow_ups == []
    assert suggested_grade(0, len(c.points), False) is None


def test_wrapped_items_and_first_list_only():
    text = "Intro.\n\n- **alpha** first\n  continued here\n- beta\n\nAfter.\n\n1. other list\n"
    assert key_points(text) == [KeyPoint("alpha first continued here", ("alpha",)), KeyPoint("beta", ())]


def test_follow_ups_strip_numbering():
    assert follow_ups("### 1. 反证法\n#### not this\n### 2) Why?\n") == ["反证法", "Why?"]


# ---------------------------------------------------------------- matching


def covered(notes, rel: str, answer: str) -> list[bool]:
    return [m.covered for m in match_answer(card(notes, rel).points, answer)]


def test_english_answer_by_stems_and_bold(notes):
    answer = ("The dot product of q and k sums d_k terms, so its variance is d_k. "
              "Large scores saturate the softmax and the gradient vanishes.")
    ms = match_answer(card(notes, EN).points, answer)
    assert [m.covered for m in ms] == [True, True, False]
    assert ms[0].how == "words" and ms[0].matched == ("dot", "product", "variance")
    assert ms[1].how == "bold" and set(ms[1].matched) == {"softmax", "saturate"}  # stems: saturation ~ saturate
    for m in ms:
        for s, e in m.spans:
            assert answer[s:e] in m.matched


def test_english_answer_that_says_nothing(notes):
    assert covered(notes, EN, "I don't know, something about numerical stability.") == [False, False, False]


def test_chinese_answer_by_bigrams_and_bold(notes):
    ms = match_answer(card(notes, ZH).points, "点积的方差等于 d_k，维度越大方差越大。打分太大时 softmax 饱和，梯度消失。")
    assert [m.covered for m in ms] == [True, True, False]
    assert ms[0].how == "words" and "点积" in ms[0].matched
    assert ms[1].how == "bold" and set(ms[1].matched) == {"softmax", "饱和"}
    assert ms[2].found < ms[2].needed  # 方差, 维度, 打分 said, but not the scaling


def test_chinese_paraphrase_of_third_point(notes):
    assert covered(notes, ZH, "除以根号 d_k 以后，打分的方差回到 1。") == [False, False, True]


def test_chinese_sentences_point(notes):
    answer = "每个子层只需要学习增量；梯度能通过恒等路径传回浅层，不容易梯度消失。"
    assert covered(notes, "architecture/残差连接.md", answer) == [True, True, False]


def test_bold_term_is_needed_whole():
    point = KeyPoint("功能分工：各司其职", ("功能分工",))
    assert not match_answer([point], "功能不同")[0].covered
    assert match_answer([point], "三个矩阵功能分工明确")[0].how == "bold"


def test_bold_term_without_content_units_matches_as_written():
    point = KeyPoint("Q is the query", ("Q",))
    assert match_answer([point], "the q vector")[0].covered
    assert not match_answer([point], "the key vector")[0].covered


def test_thresholds_stated():
    assert needed_units(["aa", "bb"]) == 2  # at least two…
    assert needed_units(["aa"]) == 1  # …or all, when fewer
    assert needed_units([f"w{i}" for i in range(9)]) == 5  # half of the English stems, rounded up
    assert needed_units([chr(0x4E00 + i) * 2 for i in range(16)]) == 4  # a quarter of the CJK bigrams


def test_units_drop_stopwords_and_function_characters():
    assert set(units("The heads of the attention").where) == {"head", "attent"}
    assert set(units("点积的方差").where) == {"点积", "方差"}


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300), st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=4))
def test_matching_never_fails_and_spans_lie_in_the_answer(answer, texts):
    points = [KeyPoint(t, (t.strip(),) if t.strip() else ()) for t in texts]
    for m in match_answer(points, answer):
        for s, e in m.spans:
            assert 0 <= s < e <= len(answer)
        assert m.covered == (m.how != "")
        if m.how == "words":
            assert m.found >= m.needed


# ---------------------------------------------------------------- suggested grade


@pytest.mark.parametrize(
    ("covered_", "points", "overtime", "grade"),
    [(3, 3, False, 5), (3, 3, True, 4), (0, 3, False, 0), (0, 3, True, 0), (2, 3, False, 3),
     (1, 2, False, 3), (1, 3, False, 2), (2, 3, True, 2), (1, 10, False, 1), (0, 0, False, None)],
)
def test_suggested_grade(covered_, points, overtime, grade):
    assert suggested_grade(covered_, points, overtime) == grade


# ---------------------------------------------------------------- selection


def test_due_and_weak_first_mixed_across_tags(notes):
    chosen = [n.rel for n in select_cards(notes.values(), TODAY, 6)]
    # due cards first (weakest first, one per tag group before a group's second), then the rest
    assert chosen == [
        "misc/no-short-answer.md",  # mastery 0.0, Misc
        "architecture/残差连接.md",  # 0.10, Architecture
        ZH,  # 0.20, Attention
        "inference/kv-cache.md",  # 0.50, Inference
        EN,  # 0.35, Attention's second
        "architecture/layernorm.md",  # not due
    ]


def test_tag_and_difficulty_filters(notes):
    assert [n.rel for n in select_cards(notes.values(), TODAY, 5, tag="transformer/attention")] == [ZH, EN]
    assert [n.rel for n in select_cards(notes.values(), TODAY, 5, difficulty="hard")] == [ZH]
    assert select_cards(notes.values(), TODAY, 5, tag="Nope") == []
    assert len(select_cards(notes.values(), TODAY, 2)) == 2


def test_weakness_is_pluggable(notes):
    recall = {EN: 0.01}
    chosen = select_cards(notes.values(), TODAY, 1, tag="Transformer/Attention", weakness=lambda n: recall.get(n.rel, 1.0))
    assert [n.rel for n in chosen] == [EN]


def test_predicted_recall_ranks_the_longest_unseen_first(notes):
    from trainer.config import Settings
    from trainer.interview.select import predicted_recall

    weakness = predicted_recall(TODAY, Settings())  # SM-2: 0.9 ** (days since the review / interval)
    by_recall = select_cards(notes.values(), TODAY, 5, tag="Transformer", weakness=weakness)
    # all four due cards have interval 3; last reviewed 10, 8, 6 and 2 days ago
    assert [n.rel for n in by_recall] == ["inference/kv-cache.md", EN, ZH, "architecture/残差连接.md",
                                          "architecture/layernorm.md"]
    by_mastery = select_cards(notes.values(), TODAY, 4, tag="Transformer")
    assert [n.rel for n in by_mastery] == ["architecture/残差连接.md", ZH, EN, "inference/kv-cache.md"]
    assert weakness(notes["misc/no-short-answer.md"]) == 0.0  # never studied: no recall, mastery 0


# ---------------------------------------------------------------- session, grades and storage


def test_interview_grade_schedules_like_a_study_grade(deck, notes, tmp_path):
    # the same card graded 4 in a study path on a copy of the deck…
    twin_root = tmp_path / "twin"
    shutil.copytree(deck.root, twin_root)
    twin = Deck(twin_root)
    twin_log = ReviewLog.open(twin.root)
    study = grading.grade(twin, twin_log, twin.scan(TODAY).by_rel()[EN], 4, TODAY)
    twin_log.close()
    # …and in an interview
    log = ReviewLog.open(deck.root)
    session = InterviewSession(deck, log, TODAY, [notes[EN]], minutes=3)
    fb = session.answer("Large scores saturate the softmax.", 42.0)
    assert fb.suggested == 2 and not fb.overtime
    g = session.grade(4)
    assert g.after == study.after
    assert (deck.root / EN).read_bytes() == (twin_root / EN).read_bytes()
    row = log.last_undoable()
    assert row is not None and row.id == g.log_id and row.grade == 4 and row.duration_ms == 42000
    assert store.interview_review_ids(log) == {g.log_id}
    log.close()


def test_undo_restores_the_note_and_the_transcript(deck, notes):
    before = (deck.root / ZH).read_bytes()
    log = ReviewLog.open(deck.root)
    session = InterviewSession(deck, log, TODAY, [notes[ZH]])
    session.answer("不知道", 400.0)
    assert session.feedback.overtime and session.feedback.suggested == 0
    session.grade(1)
    assert (deck.root / ZH).read_bytes() != before
    session.undo()
    assert (deck.root / ZH).read_bytes() == before
    assert session.transcript.questions[0].grade is None
    assert store.interview_review_ids(log) == set()
    session.grade(2)  # graded again after the undo
    assert store.last(log).questions[0].grade == 2
    log.close()


def test_transcript_saved_in_the_log_database_and_read_back(deck, notes):
    log = ReviewLog.open(deck.root)
    session = InterviewSession(deck, log, TODAY, [notes[EN], notes["misc/no-short-answer.md"]])
    session.answer("variance of the dot product is d_k", 61.5)
    session.grade(3)
    session.next()
    fb = session.answer("constant on average", 10)
    assert fb.matches == [] and fb.suggested is None
    session.grade(4)
    session.next()
    assert session.finished
    t = session.finish()
    log.close()
    log = ReviewLog.open(deck.root, readonly=True)
    stored = store.last(log)
    log.close()
    data = stored.to_json()
    assert set(data) == {"started", "finished", "questions"}
    q = data["questions"][0]
    assert set(q) == {"note", "question", "seconds", "overtime", "answer", "key_points", "suggested_grade", "grade"}
    assert q["note"] == EN and q["seconds"] == 61.5 and q["grade"] == 3
    assert set(q["key_points"][0]) == {"text", "covered", "matched"}
    assert data == json.loads(json.dumps(t.to_json()))
    assert data["questions"][1]["key_points"] == [] and data["questions"][1]["suggested_grade"] is None


def test_tables_are_added_to_an_existing_log_in_place(deck):
    log = ReviewLog.open(deck.root)
    log.begin("x.md", "review", TODAY, grade=3, pending=False)
    log.close()
    db = deck.root / ".trainer" / "trainer.db"
    log = ReviewLog.open(deck.root)
    store.create(log, Transcript("2026-11-25T10:00:00+00:00"))
    log.close()
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT note, grade FROM reviews").fetchall() == [("x.md", 3)]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT COUNT(*) FROM interviews").fetchone()[0] == 1
    conn.close()


def test_reading_a_log_that_never_held_an_interview(deck):
    log = ReviewLog.open(deck.root, readonly=True)  # no database yet: an empty in-memory log
    assert store.history(log) == [] and store.last(log) is None and store.interview_review_ids(log) == set()
    log.close()


def test_markdown_and_missed_most(deck, notes):
    log = ReviewLog.open(deck.root)
    session = InterviewSession(deck, log, TODAY, [notes[ZH]])
    session.answer("除以根号 d_k 以后，打分的方差回到 1。\n\n第二段。", 200.0)
    session.grade(2)
    t = session.finish()
    log.close()
    md = to_markdown(t)
    assert "## 1. 为什么注意力打分要除以根号 d_k？" in md
    assert "(overtime)" in md and "> 第二段。" in md
    assert "- [x] 缩放回单位方差" in md and "- [ ] 方差随维度增大" in md
    assert missed_most([t, t])[0] == (t.questions[0].key_points[0].text, 2)


# ---------------------------------------------------------------- the bundled deck's real notes


def test_thresholds_on_the_bundled_deck(bundled_deck):
    """Every note of cards/ has key points; its own short answer covers all of them, while another
    note's short answer covers few (the rules separate a right answer from a wrong one)."""
    cards = [Card.of(n) for n in Deck(bundled_deck).scan(TODAY).notes if not n.fatal]
    with_points = [c for c in cards if c.points]
    assert len(with_points) >= 0.9 * len(cards) > 0
    for c in with_points:
        assert all(m.covered for m in match_answer(c.points, c.body.answer)), c.note.rel
    cross = [
        sum(m.covered for m in match_answer(a.points, b.body.answer)) / len(a.points)
        for a in with_points for b in with_points if a is not b
    ]
    assert sum(cross) / len(cross) < 0.10


_md_line = st.one_of(
    st.text(alphabet=st.sampled_from("ab 中文*_-.。1)#`\\$"), max_size=30),
    st.builds(lambda m, t: f"{m} {t}", st.sampled_from(["-", "*", "+", "1.", "2)", "  -", "###", "```"]),
              st.text(alphabet=st.sampled_from("ab 中文**.。"), max_size=20)),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_md_line, max_size=12))
@example(["****1**"])  # hypothesis found it: the bold term read '**1'
def test_key_points_of_any_markdown(lines):
    text = "\n".join(lines)
    for p in key_points(text):
        assert p.text and p.text == p.text.strip() and "\n" not in p.text
        for term in p.bold:
            assert term and "**" not in term
    for q in follow_ups(text):
        assert q and "\n" not in q


def test_an_interview_left_before_any_answer_is_not_stored(deck, notes):
    log = ReviewLog.open(deck.root)
    InterviewSession(deck, log, TODAY, [notes[EN]]).finish()
    assert store.history(log) == []
    log.close()


def test_key_point_keeps_tex_whole():
    """The `*` and `_` of TeX were taken for emphasis: the bundled DPO card's point read
    `π^∝πrefe^{r/β}` and `βlogπ⁽y|x)` in the interview's feedback and report."""
    short = ("## Interview answer\n\n"
             r"- **Reward from the policy**: from $\pi^*\propto\pi_{\text{ref}}e^{r/\beta}$, "
             r"$r = \beta\log\frac{\pi^*(y|x)}{\pi_{\text{ref}}(y|x)}$ (*et al.*, `code`)." "\n"
             "- costs $5 and *x* or \ue0009\ue001 stays\n")
    first, second = key_points(short)
    assert first.text == (r"Reward from the policy: from $\pi^*\propto\pi_{\text{ref}}e^{r/\beta}$, "
                          r"$r = \beta\log\frac{\pi^*(y|x)}{\pi_{\text{ref}}(y|x)}$ (et al., code).")
    assert first.bold == ("Reward from the policy",)
    assert second.text == "costs $5 and x or \ue0009\ue001 stays"
