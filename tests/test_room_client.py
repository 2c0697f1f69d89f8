"""The room benchmark's websocket visitor keeps speaking Streamlit's protocol: one visitor opens
one cheap page on a real server and gets its script_finished and its images' bytes."""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from _room_client import Visitor  # noqa: E402

from tests.e2e.browser import streamlit_server  # noqa: E402


def test_one_visitor_opens_the_convolution_page():
    async def visit(url):
        async with Visitor(url, "smoke") as v:
            return await v.open("convolution", timeout=60), v

    with streamlit_server(env={"CNNLAB_OFFLINE": "1", "CNNLAB_WARMUP": "0"}) as url:
        view, v = asyncio.run(visit(url))
    assert view.status == "ok", view.status
    assert view.exceptions == [] and view.errors == []
    assert "Convolution lab" in view.texts
    assert any(s == 0 for _, _, s in v.finished)          # FINISHED_SUCCESSFULLY came
    assert len(view.images) >= 1 and view.image_bytes > 1000
    assert all(len(h) == 64 for h in view.images)         # sha256 of real bytes, not "HTTP 404"
