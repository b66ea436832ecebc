"""Links in notes open from the app only when they are http(s) links (issue #11)."""

from __future__ import annotations

import pytest
from tuihelp import loaded


@pytest.mark.parametrize("url", ["file:///etc/passwd", "javascript:alert(1)", "vscode://open?x=1", "/etc/hosts", " FILE:///x"])
async def test_a_link_that_is_not_http_is_not_opened(make, url):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        app.open_url(url)
        await pilot.pause()
        assert any("not an http(s) link" in n.message for n in app._notifications)
