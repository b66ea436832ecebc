"""An Anki text export that is not UTF-8 (a spreadsheet saved it in GBK) fails as a file, with its key."""

from __future__ import annotations


def test_a_gbk_export_fails_as_a_file_and_writes_nothing(tmp_path, cli, write_note):
    deck = tmp_path / "deck"
    write_note(deck / "a.md", "# What is attention?\n\nWeights.\n")
    before = {p: p.read_bytes() for p in deck.rglob("*") if p.is_file()}
    src = tmp_path / "src" / "gbk.txt"
    src.parent.mkdir()
    raw = "#separator:tab\n什么是注意力\t加权求和\n".encode("gbk")
    src.write_bytes(raw)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = exc.start
    r = cli(deck, "import", str(src))
    assert r.returncode == 1
    assert r.stderr.decode().strip() == f"{src}: file: not valid UTF-8 (byte {bad}); save the file as UTF-8"
    assert b"failed 1" in r.stdout
    assert {p: p.read_bytes() for p in deck.rglob("*") if p.is_file() and ".trainer" not in p.parts} == before
    src.write_bytes("#separator:tab\n什么是注意力\t加权求和\n".encode("utf-8"))  # saved as UTF-8: it imports
    r = cli(deck, "import", str(src))
    assert r.returncode == 0, r.stderr
    assert [p.name for p in deck.rglob("*.md") if p.name != "a.md"] == ["什么是注意力.md"]
