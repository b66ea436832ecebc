"""The palette's deck search reads full-width letters and digits (a Chinese input method types
ＫＶ, and Chinese notes often hold them) as the half-width ones: ``kv`` finds ``ＫＶ缓存`` and ``ｋｖ``
finds ``KV cache``; the matched characters are highlighted where they stand."""

from __future__ import annotations

from tuihelp import TODAY, loaded, palette_hits

from trainer.tui.app import make_app, open_deck


async def _hits(pilot, query: str) -> dict:
    return {h.text: h for h in await palette_hits(pilot, query)}


def _styled(hit) -> str:
    """The characters of a hit's prompt that carry a style (the highlighted match)."""
    prompt = hit.match_display
    return "".join(prompt.plain[s.start:s.end] for s in prompt.spans)


async def test_full_width_letters_match_half_width_ones_both_ways(tmp_path, seed, write_note):
    root = tmp_path / "deck"
    write_note(root / "zh.md", seed("ＫＶ缓存为什么能加速解码？", tags=("推理",)))
    write_note(root / "en.md", seed("What is a KV cache?", tags=("Inference",)))
    write_note(root / "other.md", seed("层归一化放在哪里？", tags=("Transformer",)))
    app = make_app(open_deck(root, TODAY, None))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        found = await _hits(pilot, "kv")
        assert "ＫＶ缓存为什么能加速解码？" in found and "What is a KV cache?" in found
        assert _styled(found["ＫＶ缓存为什么能加速解码？"]) == "ＫＶ"
        assert "层归一化放在哪里？" not in found
        await pilot.press("escape")
        await pilot.pause()
        found = await _hits(pilot, "ｋｖ")  # typed with a Chinese input method's full-width letters
        assert "What is a KV cache?" in found and "ＫＶ缓存为什么能加速解码？" in found
        assert _styled(found["What is a KV cache?"]) == "KV"
