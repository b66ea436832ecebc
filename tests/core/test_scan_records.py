"""The scan cache's compact records: notes built from them equal notes parsed from disk, and
the queue built straight from records is exactly ``scheduler.due_queue`` over the notes."""

from __future__ import annotations

import datetime as dt
import pickle
from xxhash import xxh3_64_intdigest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainer import scheduler
from trainer.deck import Deck

TODAY = dt.date(2026, 11, 25)

_DAYS = st.integers(-40, 40).map(lambda d: TODAY + dt.timedelta(days=d))


@st.composite
def note_texts(draw) -> str:
    """Frontmatter in the seed's format, with the cases the queue cares about."""
    lines = []
    kind = draw(st.sampled_from(["new-no-date", "new-dated", "review", "broken", "bad-value"]))
    if kind == "broken":
        return "---\n- a list, not a mapping\n---\n# broken\n"
    if kind != "new-no-date":
        lines.append(f"next_review: {draw(_DAYS).isoformat()}")
    if kind == "review":
        lines.append(f"last_reviewed: {(TODAY - dt.timedelta(days=draw(st.integers(1, 30)))).isoformat()}")
        lines.append(f"review_count: {draw(st.integers(1, 9))}")
    if kind == "bad-value":
        lines.append("mastery_level: 7")
    lines.append(f"difficulty: {draw(st.sampled_from(['easy', 'medium', 'hard', 'weird']))}")
    tags = draw(st.lists(st.sampled_from(["A", "A/B", "B", "注意力", "注意力/多头"]), max_size=2, unique=True))
    lines.append("tags: [" + ", ".join(tags) + "]")
    question = draw(st.text(alphabet="abc 问题", min_size=1, max_size=8)).strip() or "q"
    return "---\n" + "\n".join(lines) + f"\n---\n# {question}\n"


def _write_deck(root, texts):
    for i, text in enumerate(texts):
        folder = root / f"d{i % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"n{i:03d}.md").write_text(text, encoding="utf-8")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(note_texts(), min_size=1, max_size=25), limit=st.integers(0, 6), seen=st.integers(0, 3),
       tag=st.sampled_from([None, "A", "注意力"]), touched=st.integers(0, 24))
def test_queue_from_records_equals_due_queue_over_notes(tmp_path_factory, texts, limit, seen, tag, touched):
    root = tmp_path_factory.mktemp("deck")
    _write_deck(root, texts)
    deck = Deck(root)
    parsed = deck.scan(TODAY)  # every note parsed
    # one note changed on disk: the next scan mixes cached records with a freshly parsed note
    changed = sorted(root.rglob("*.md"))[touched % len(texts)]
    changed.write_text(changed.read_text(encoding="utf-8") + "\nmore body\n", encoding="utf-8")
    mixed = deck.scan(TODAY)
    cached = deck.scan(TODAY)
    assert (parsed.parsed, mixed.parsed, cached.parsed) == (len(texts), 1, 0)

    def keep(tags, difficulty):
        return tag is None or any(t == tag or t.startswith(tag + "/") for t in tags)

    reference_notes = [n for n in Deck(root).scan(TODAY, use_cache=False).notes if keep(n.tags, n.difficulty)]
    expected = scheduler.due_queue(reference_notes, TODAY, new_limit=limit, new_seen_today=seen)
    for scan in (mixed, cached):
        got = scan.due_queue(new_limit=limit, new_seen_today=seen, keep=None if tag is None else keep)
        assert got == expected
        assert all(n.root == deck.root for n in got)
    # and the whole deck, built from records, equals the deck parsed from disk
    assert sorted(cached.notes, key=lambda n: n.rel) == sorted(Deck(root).scan(TODAY, use_cache=False).notes,
                                                               key=lambda n: n.rel)
    assert sorted(map(str, cached.problems)) == sorted(map(str, parsed.problems))


def test_queue_after_notes_were_built_uses_them(tmp_path, seed, write_note):
    write_note(tmp_path / "d" / "a.md", seed("A", next_review="2026-11-20"))
    write_note(tmp_path / "d" / "b.md", seed("B", next_review="2026-11-21", difficulty="hard"))
    deck = Deck(tmp_path / "d")
    deck.scan(TODAY)
    scan = deck.scan(TODAY)
    notes = scan.notes  # built: the queue must now come from these objects
    queue = scan.due_queue(new_limit=20)
    assert [n.rel for n in queue] == ["a.md", "b.md"] and all(any(n is m for m in notes) for n in queue)


def _rewrite_cache(root, mutate):
    """Change the cache's contents and write it back with a valid checksum (as a bug would)."""
    path = root / ".trainer" / "scan-cache.pickle"
    header, _, payload = path.read_bytes().partition(b"\n")
    data = list(pickle.loads(payload))
    mutate(data)
    payload = pickle.dumps(tuple(data))
    path.write_bytes(header[:-16] + b"%016x\n" % xxh3_64_intdigest(payload) + payload)


def test_cache_of_the_wrong_shape_is_ignored(tmp_path, seed, write_note):
    for name in ("a", "b"):
        write_note(tmp_path / "d" / f"{name}.md", seed(name))
    deck = Deck(tmp_path / "d")
    deck.scan(TODAY)
    mutations = [
        lambda d: d.__setitem__(3, [r[:-1] for r in d[3]]),  # records one field short
        lambda d: d.__setitem__(3, d[3][:1]),  # fewer records than stamps
        lambda d: d.__setitem__(2, [[list(s)] for s in d[2]]),  # unhashable stamps
        lambda d: d.__setitem__(1, 999),  # another version
        lambda d: d.__setitem__(3, ["not a record"] * len(d[3])),
    ]
    for mutate in mutations:
        deck.scan(TODAY)
        _rewrite_cache(deck.root, mutate)
        scan = deck.scan(TODAY)
        assert scan.parsed == 2 and sorted(n.rel for n in scan.notes) == ["a.md", "b.md"]
        assert deck.scan(TODAY).parsed == 0  # rewritten whole


def test_planted_cache_cannot_run_code(tmp_path, seed, write_note):
    write_note(tmp_path / "d" / "a.md", seed("a"))
    deck = Deck(tmp_path / "d")
    deck.scan(TODAY)
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    (deck.root / ".trainer" / "scan-cache.pickle").write_bytes(pickle.dumps(("trainer scan cache", 5, [], [Evil()])))
    scan = deck.scan(TODAY)
    assert not marker.exists() and scan.parsed == 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_cache_bytes_never_crash_or_mislead(tmp_path_factory, data):
    """Flipped bytes and torn files: the checksum throws the cache away; the notes are the disk's."""
    root = tmp_path_factory.mktemp("deck")
    _write_deck(root, [f"---\nnext_review: 2026-11-{10 + i}\ndifficulty: hard\ntags: [A]\n---\n# q{i}\n"
                       for i in range(6)])
    deck = Deck(root)
    truth = sorted(Deck(root).scan(TODAY, use_cache=False).notes, key=lambda n: n.rel)
    deck.scan(TODAY)
    path = root / ".trainer" / "scan-cache.pickle"
    blob = bytearray(path.read_bytes())
    if data.draw(st.booleans(), label="truncate"):
        blob = blob[: data.draw(st.integers(0, len(blob) - 1), label="cut")]
    else:
        for _ in range(data.draw(st.integers(1, 3), label="flips")):
            i = data.draw(st.integers(0, len(blob) - 1), label="at")
            blob[i] ^= data.draw(st.integers(1, 255), label="xor")
    path.write_bytes(bytes(blob))
    scan = deck.scan(TODAY)
    assert sorted(scan.notes, key=lambda n: n.rel) == truth
    assert [n.rel for n in scan.due_queue(new_limit=20)] == [n.rel for n in scheduler.due_queue(truth, TODAY)]
