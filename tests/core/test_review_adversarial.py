"""A second look at write-back safety (issue #11): planted state, odd paths and FSRS keys
against every write path, on real files and real processes."""

from __future__ import annotations

import json
import pickle
import shutil
import zlib

import pytest

# one wrong value per record, each in a record the load-time spot check does not sample
_BAD_VALUES = {
    9: "2026-01-01",  # next_review as text
    2: ("tag", 1),  # a tag that is no string
    5: (("only a path",),),  # a problem of the wrong shape
    11: "x",  # mastery_level as text
    4: None,  # present keys
    8: "2026-01-01",  # last_reviewed as text
    15: "1.0",  # stability as text
}


def _plant(deck, values):
    """Rewrite the scan cache with a right checksum and one wrong value in each of several
    records that the load-time sample (every n//128-th record) skips."""
    cache = deck / ".trainer" / "scan-cache.pickle"
    header, _, payload = cache.read_bytes().partition(b"\n")
    magic, version, stamps, records = pickle.loads(payload)
    step = max(1, len(records) // 128)
    assert step >= 2
    unsampled = [i for i in range(len(records) - 1) if i % step][: len(values)]
    for i, (field, value) in zip(unsampled, values.items()):
        records[i] = tuple(value if j == field else v for j, v in enumerate(records[i]))
    payload = pickle.dumps((magic, version, stamps, records))
    cache.write_bytes(header[:-8] + b"%08x" % zlib.crc32(payload) + b"\n" + payload)
    return [stamps[i][0] for i in unsampled]


@pytest.fixture
def big_deck(tmp_path, seed, write_note):
    d = tmp_path / "deck"
    for i in range(300):
        write_note(d / f"n{i:03d}.md", seed(f"Q{i}", next_review=f"2026-11-{1 + i % 28:02d}"))
    return d


def test_wrong_typed_cache_records_outside_the_sample_are_read_again(big_deck, cli, tmp_path):
    clean = tmp_path / "clean"
    shutil.copytree(big_deck, clean)
    assert cli(big_deck, "due").returncode == 0
    planted = _plant(big_deck, _BAD_VALUES)
    for args in (("due", "--json"), ("stats", "--json"), ("check",), ("schedule", "--dry-run", "--json")):
        r, want = cli(big_deck, *args), cli(clean, "--no-cache", *args)
        assert (r.returncode, r.stdout) == (want.returncode, want.stdout), args
    assert cli(big_deck, "schedule").returncode == cli(clean, "--no-cache", "schedule").returncode == 0
    for rel in planted:  # the notes behind the bad records were written as from a fresh parse
        assert (big_deck / rel).read_bytes() == (clean / rel).read_bytes(), rel
    r, want = cli(big_deck, "due", "--json"), cli(clean, "--no-cache", "due", "--json")
    assert json.loads(r.stdout) == json.loads(want.stdout)
