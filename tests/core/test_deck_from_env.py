"""A deck folder from $TRAINER_DECK that is not there says where the path came from (set once in a
shell profile, the variable is easily forgotten)."""

from __future__ import annotations


def test_a_missing_deck_names_trainer_deck_when_it_came_from_there(tmp_path, cli):
    missing = tmp_path / "gone"
    r = cli(None, "due", env={"TRAINER_DECK": str(missing)})
    assert r.returncode == 2
    assert r.stderr.decode().strip() == f"trainer due: deck folder not found: {missing} (from $TRAINER_DECK)"
    r = cli(None, "due", "--deck", str(missing), env={"TRAINER_DECK": str(tmp_path / "other")})  # --deck wins
    assert r.returncode == 2 and r.stderr.decode().strip() == f"trainer due: deck folder not found: {missing}"
    r = cli(None, "due", cwd=tmp_path)  # neither: ./cards, and how to give one
    assert r.returncode == 2
    assert r.stderr.decode().strip() == "trainer due: deck folder not found: cards (use --deck PATH or set TRAINER_DECK)"
