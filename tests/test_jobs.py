"""dashboard.jobs.follow: a finished run leaves no dead Stop button, bar or live picture."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _app(keep: bool) -> AppTest:
    def script(keep):
        import numpy as np
        import streamlit as st

        from core.snapshots import Snapshot
        from dashboard import jobs

        def run():
            for i in range(1, 4):
                yield Snapshot(step=i, total=3, loss=float(i), image=np.full((8, 8, 3), 40 * i, np.uint8))

        last = jobs.follow(run(), "t-run", keep=keep)
        st.write(f"finished at step {last.step}")

    return AppTest.from_function(script, kwargs={"keep": keep}, default_timeout=60)


def test_follow_clears_its_stop_button_bar_and_picture_when_the_run_ends():
    at = _app(keep=False).run()
    assert not at.exception
    assert [b.label for b in at.button] == []
    assert at.get("progress") == [] and at.get("image") == []
    assert "finished at step 3" in [m.value for m in at.markdown]


def test_follow_keep_leaves_the_finished_bar_and_last_picture():
    at = _app(keep=True).run()
    assert not at.exception
    assert [b.label for b in at.button] == []           # the Stop button goes either way
    bars = at.get("progress")
    assert len(bars) == 1 and bars[0].proto.value == 100
    assert len(at.get("image")) == 1
