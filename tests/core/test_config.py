"""trainer.toml: reading, validation (`trainer.toml: key: problem`, exit 2), the surgical write of parameters."""

from __future__ import annotations

import datetime as dt
import json
import tomllib

import pytest
from hypothesis import given, settings, strategies as st

from trainer import config

GOOD = """\
# deck settings, shared through git
[scheduler]
algorithm = "fsrs"   # chosen after `trainer eval`
desired_retention = 0.85
new_per_day = 7
max_interval = 200

[interview]
date = 2026-12-15
"""


def test_defaults_without_file(tmp_path):
    s = config.load(tmp_path)
    assert (s.algorithm, s.desired_retention, s.parameters, s.new_per_day, s.max_interval, s.interview) == (
        "sm2", 0.9, None, 20, 36500, None)
    assert len(s.weights) == 21


def test_reads_every_key(tmp_path):
    (tmp_path / "trainer.toml").write_text(GOOD, encoding="utf-8")
    s = config.load(tmp_path)
    assert (s.algorithm, s.desired_retention, s.new_per_day, s.max_interval, s.interview) == (
        "fsrs", 0.85, 7, 200, dt.date(2026, 12, 15))


@pytest.mark.parametrize("text, key", [
    ('[scheduler]\nalgorithm = "anki"\n', "scheduler.algorithm"),
    ("[scheduler]\ndesired_retention = 1.5\n", "scheduler.desired_retention"),
    ("[scheduler]\ndesired_retention = true\n", "scheduler.desired_retention"),
    ("[scheduler]\nnew_per_day = -1\n", "scheduler.new_per_day"),
    ("[scheduler]\nmax_interval = 2.5\n", "scheduler.max_interval"),
    ("[scheduler]\nparameters = [1, 2]\n", "scheduler.parameters"),
    ("[scheduler]\nparameters = [" + ", ".join(["0.0"] * 21) + "]\n", "scheduler.parameters"),
    ("[scheduler]\nspeed = 3\n", "scheduler.speed"),
    ('[interview]\ndate = "soon"\n', "interview.date"),
    ("[interview]\ndate = 2026-12-15T10:00:00\n", "interview.date"),
    ("[schedular]\n", "schedular"),
    ("[scheduler\n", "syntax"),
])
def test_bad_values_name_the_key(tmp_path, text, key):
    (tmp_path / "trainer.toml").write_text(text, encoding="utf-8")
    with pytest.raises(config.ConfigError) as e:
        config.load(tmp_path)
    assert str(e.value).startswith(f"trainer.toml: {key}: ")


@pytest.mark.parametrize("text, shown", [
    ("[scheduler]\nnew_per_day = true\n", "got true"),
    ('[scheduler]\nalgorithm = "anki"\n', 'got "anki"'),
    ('[scheduler]\ndesired_retention = "0.9"\n', 'got "0.9"'),
    ("[scheduler]\nmax_interval = [1]\n", "got [1]"),
    ("[interview]\ndate = 2026-12-15T10:00:00\n", "got 2026-12-15T10:00:00"),
    ("[interview]\ndate = 10:00:00\n", "got 10:00:00"),
    ('[interview]\ndate = "\\u001b[31m"\n', 'got "\\u001b[31m"'),
])
def test_bad_value_shown_as_toml_writes_it(tmp_path, text, shown):
    """The value in the message is what the user typed in TOML, not Python's repr (True, datetime.datetime(...))."""
    (tmp_path / "trainer.toml").write_text(text, encoding="utf-8")
    with pytest.raises(config.ConfigError) as e:
        config.load(tmp_path)
    assert str(e.value).endswith(shown)


def test_cli_config_and_bad_file_exit_2(tmp_path, cli, write_note, seed):
    deck = tmp_path / "deck"
    write_note(deck / "a.md", seed())
    (deck / "trainer.toml").write_text(GOOD, encoding="utf-8")
    r = cli(deck, "config", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["algorithm"] == "fsrs" and data["new_per_day"] == 7 and data["interview"] == "2026-12-15"
    assert data["parameters_source"] == "fsrs-rs defaults" and len(data["parameters"]) == 21
    r = cli(deck, "config")
    assert r.returncode == 0 and b"scheduler.algorithm" in r.stdout and b"fsrs" in r.stdout
    (deck / "trainer.toml").write_text("[scheduler]\nnew_per_day = 'many'\n", encoding="utf-8")
    for cmd in (["config"], ["due"]):
        r = cli(deck, *cmd)
        assert r.returncode == 2
        assert b"trainer.toml: scheduler.new_per_day: expected a whole number" in r.stderr


def test_new_per_day_limits_due(tmp_path, cli, write_note, seed):
    deck = tmp_path / "deck"
    for i in range(5):
        write_note(deck / f"n{i}.md", seed(f"Q{i}?"))
    r = cli(deck, "due", "--json")
    assert len(json.loads(r.stdout)) == 5
    (deck / "trainer.toml").write_text("[scheduler]\nnew_per_day = 2\n", encoding="utf-8")
    assert len(json.loads(cli(deck, "due", "--json").stdout)) == 2
    assert len(json.loads(cli(deck, "due", "--json", "--new-limit", "4").stdout)) == 4  # the flag wins


W = [round(0.1 + i * 0.01, 4) for i in range(21)]


def test_write_parameters_keeps_comments_and_crlf(tmp_path):
    text = GOOD.replace("new_per_day = 7\n", "parameters = [\n  1.0, 2.0, # tuned by hand\n  3.0,\n]  # old\nnew_per_day = 7\n")
    path = tmp_path / "trainer.toml"
    path.write_bytes(text.replace("\n", "\r\n").encode())
    config.write_parameters(tmp_path, W)
    new = path.read_bytes().decode()
    assert new == text.replace("\n", "\r\n").replace(
        "[\r\n  1.0, 2.0, # tuned by hand\r\n  3.0,\r\n]", config.format_parameters(W))
    assert config.load(tmp_path).parameters == tuple(W)


@pytest.mark.parametrize("text", ["", "# only a comment\n", "[interview]\ndate = 2026-12-15", GOOD,
                                  '[scheduler]\nalgorithm = "fsrs"\n[interview]\ndate = 2026-12-15\n'])
def test_write_parameters_adds_key_or_table(tmp_path, text):
    (tmp_path / "trainer.toml").write_text(text, encoding="utf-8")
    config.write_parameters(tmp_path, W)
    new = (tmp_path / "trainer.toml").read_text(encoding="utf-8")
    for line in text.splitlines():
        assert line in new
    loaded = tomllib.loads(new)
    assert loaded["scheduler"]["parameters"] == W


_comment = st.text(st.characters(codec="utf-8", exclude_characters="\r\n\x00", exclude_categories=("Cs", "Cc")), max_size=20)


@settings(max_examples=60, deadline=None)
@given(before=_comment, after=_comment, other=st.integers(0, 1000), crlf=st.booleans())
def test_write_parameters_changes_only_the_value(before, after, other, crlf):
    nl = "\r\n" if crlf else "\n"
    text = nl.join([f"#{before}", "[scheduler]", f"new_per_day = {other}  #{after}",
                    "parameters = [1.0, 2.0]", f"#{after}", ""])
    new = config.with_parameters(text, W)
    assert new.replace(config.format_parameters(W), "[1.0, 2.0]") == text
