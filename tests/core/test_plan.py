"""trainer plan: the per-day cap, the readiness it buys, SM-2 and FSRS decks, the CLI."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest

from trainer import planning
from trainer.config import Settings
from trainer.deck import Deck

TODAY = dt.date(2026, 11, 25)


def _note(i: int, rng: random.Random) -> str:
    if i % 5 == 0:
        return f"---\ntags: [new/{i % 2}]\n---\n# New {i}?\n"
    last = TODAY - dt.timedelta(days=rng.randint(1, 40))
    ivl = rng.randint(1, 60)
    extra = f"stability: {rng.uniform(1, 50):.2f}\nfsrs_difficulty: {rng.uniform(2, 9):.2f}\n" if i % 3 == 0 else ""
    return (f"---\nlast_reviewed: '{last}'\nnext_review: '{last + dt.timedelta(days=ivl)}'\nreview_count: 3\n"
            f"ease_factor: {rng.uniform(1.5, 2.8):.2f}\ninterval: {ivl}\nrepetitions: 3\n{extra}"
            f"tags: [ml/t{i % 3}]\n---\n# Q{i}?\n")


@pytest.fixture
def deck(tmp_path, write_note):
    rng = random.Random(4)
    root = tmp_path / "deck"
    for i in range(60):
        write_note(root / f"d{i % 4}" / f"n{i}.md", _note(i, rng))
    return root


def _notes(root):
    return Deck(root).scan(TODAY).notes


@pytest.mark.parametrize("algorithm", ["sm2", "fsrs"])
@pytest.mark.parametrize("per_day", [0, 1, 7])
def test_cap_and_gain(deck, algorithm, per_day):
    settings = Settings(algorithm=algorithm)
    interview = TODAY + dt.timedelta(days=12)
    p = planning.plan(_notes(deck), TODAY, interview, per_day, settings)
    assert [d for d, _ in p.days] == [TODAY + dt.timedelta(days=i) for i in range(12)]
    assert all(len(notes) <= per_day for _, notes in p.days)
    assert all(len(set(notes)) == len(notes) for _, notes in p.days)
    assert len(p.cards) == 60
    for _, without, with_ in p.cards:
        assert with_ >= without - 1e-12 and 0 <= without <= 1 and 0 <= with_ <= 1
    if per_day == 0:
        assert p.with_plan == p.without_plan and not any(n for _, n in p.days)
    else:
        assert p.with_plan > p.without_plan
        placed = sum(len(n) for _, n in p.days)
        assert placed == 12 if per_day == 1 else placed > 12  # scarce places are all used
    new = [c for c in p.cards if c[0].endswith(("n0.md", "n5.md", "n10.md"))]
    assert all(w == 0 for _, w, _ in new)  # never studied: nothing recalled without the plan


@pytest.mark.parametrize("algorithm", ["sm2", "fsrs"])
def test_plan_beats_random_plans_of_the_same_size(deck, algorithm):
    settings = Settings(algorithm=algorithm)
    interview = TODAY + dt.timedelta(days=10)
    notes = _notes(deck)
    p = planning.plan(notes, TODAY, interview, 4, settings)
    model = planning._Model(settings, interview)
    cards = {}
    for n in notes:
        from trainer import memory

        start = (memory.stored(n.schedule) or memory.from_sm2(n.schedule, settings.weights)) if algorithm == "fsrs" else None
        cards[n.rel] = planning._Card(n.rel, n.tags, n.schedule, start)
    rng = random.Random(0)
    days = [TODAY + dt.timedelta(days=i) for i in range(10)]
    for _ in range(20):
        chosen: dict[str, list[dt.date]] = {}
        for d in days:
            for rel in rng.sample(sorted(cards), 4):
                chosen.setdefault(rel, []).append(d)
        score = sum(model.outcome(c, sorted(chosen.get(rel, []))) for rel, c in cards.items()) / len(cards)
        assert p.with_plan >= score


def test_tags_include_parents(deck):
    p = planning.plan(_notes(deck), TODAY, TODAY + dt.timedelta(days=5), 3, Settings())
    tags = {t: n for t, n, _, _ in p.tags}
    assert tags["ml"] == tags["ml/t0"] + tags["ml/t1"] + tags["ml/t2"] and tags["new"] == 12


def test_cli_plan_json_and_errors(deck, cli):
    r = cli(deck, "plan", "--interview", "2026-12-01", "--per-day", "2", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["interview"] == "2026-12-01" and data["per_day"] == 2
    assert [d["date"] for d in data["days"]] == [f"2026-11-{d}" for d in range(25, 31)]
    assert all(len(d["notes"]) <= 2 and all(n.startswith("d") and n.endswith(".md") for n in d["notes"]) for d in data["days"])
    assert set(data["readiness"]) == {"without_plan", "with_plan"}
    assert data["readiness"]["with_plan"] > data["readiness"]["without_plan"]
    assert {"note", "without_plan", "with_plan"} == set(data["cards"][0])
    human = cli(deck, "plan", "--interview", "2026-12-01")
    assert human.returncode == 0 and b"Readiness on 2026-12-01" in human.stdout and b"passes (Good)" in human.stdout
    assert cli(deck, "plan").returncode == 2  # no day given, none in trainer.toml
    r = cli(deck, "plan", "--interview", "2026-11-25")
    assert r.returncode == 2 and b"must be after today" in r.stderr
    (deck / "trainer.toml").write_text('[scheduler]\nnew_per_day = 3\n[interview]\ndate = 2026-11-28\n', encoding="utf-8")
    data = json.loads(cli(deck, "plan", "--json").stdout)
    assert data["interview"] == "2026-11-28" and data["per_day"] == 3 and len(data["days"]) == 3


def test_a_session_on_a_plan_day_takes_the_plans_cards_first(deck):
    from trainer.opendeck import OpenDeck
    from trainer.reviewlog import ReviewLog
    from trainer.session import StudySession

    d = Deck(deck)
    log = ReviewLog.open(deck)
    try:
        book = OpenDeck(d, TODAY, new_per_day=4, log=log)
        plain = [n.rel for n in StudySession.start(book, d.scan(TODAY).notes).queue]
        (deck / "trainer.toml").write_text('[scheduler]\nnew_per_day = 4\n[interview]\ndate = 2026-12-01\n', encoding="utf-8")
        todays = planning.todays_plan(d.scan(TODAY).notes, TODAY, Settings(new_per_day=4, interview=dt.date(2026, 12, 1)))
        assert 0 < len(todays) <= 4
        book = OpenDeck(d, TODAY, new_per_day=4, log=log)  # trainer.toml is read when the deck opens
        queue = [n.rel for n in StudySession.start(book, d.scan(TODAY).notes).queue]
        assert queue[: len(todays)] == todays
        assert queue[len(todays):] == [rel for rel in plain if rel not in todays]
        (deck / "trainer.toml").write_text('[interview]\ndate = 2026-11-25\n', encoding="utf-8")  # the day itself: no plan
        book = OpenDeck(d, TODAY, new_per_day=4, log=log)
        assert [n.rel for n in StudySession.start(book, d.scan(TODAY).notes).queue] == plain
    finally:
        log.close()


def test_sm2_outcome_is_the_schedulers_own(deck):
    from trainer import memory, scheduler

    interview = TODAY + dt.timedelta(days=20)
    model = planning._Model(Settings(), interview)
    for n in _notes(deck)[:15]:
        days = [TODAY + dt.timedelta(days=k) for k in (0, 3, 9)]
        s = n.schedule
        for d in days:
            s = scheduler.review(s, 4, d)
        want = memory.sm2_curve((interview - s.last_reviewed).days, s.interval)
        assert model.outcome(planning._Card(n.rel, n.tags, n.schedule, None), days) == pytest.approx(want)
