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


def _shared_app() -> AppTest:
    def script():
        import numpy as np
        import streamlit as st

        from core import precompute
        from dashboard import jobs

        snaps, rec = precompute.start("t-follow", "m", np.zeros((4, 4, 3), np.uint8), {"s": 1}, share=True)
        last = jobs.follow(snaps, "t-run")
        st.write(f"{st.session_state['t-run-role']} {last.step} {int(last.image[0, 0, 0])} {len(rec.rows)}")

    return AppTest.from_function(script, default_timeout=60)


def _counted_run(model, picture, settings, rec, **opts):
    import numpy as np
    import streamlit as st

    from core.snapshots import Snapshot

    st.session_state["computed"] = st.session_state.get("computed", 0) + 1
    for i in range(1, 4):
        yield Snapshot(step=i, total=3, loss=float(i), image=np.full((8, 8, 3), 40 * i, np.uint8))


def test_a_second_visitor_gets_the_shared_run_without_computing_it(monkeypatch):
    import dataclasses

    from core import jobs as core_jobs
    from core import precompute

    monkeypatch.setattr(core_jobs, "_SHARED", core_jobs.Shared())
    monkeypatch.setitem(precompute.JOBS, "t-follow", dataclasses.replace(
        precompute.JOBS["inversion"], kind="t-follow", run=_counted_run))
    one, two = _shared_app().run(), _shared_app().run()       # two sessions, one process
    assert not one.exception and not two.exception
    assert "lead 3 120 3" in [m.value for m in one.markdown]
    assert "replay 3 120 3" in [m.value for m in two.markdown]
    assert one.session_state["computed"] == 1 and "computed" not in two.session_state
    assert [t.value for t in two.toast] and "shared" in two.toast[0].value


def test_a_job_waits_for_a_free_slot_and_then_runs(monkeypatch):
    import threading
    import time

    from core import jobs as core_jobs

    gate = core_jobs.Gate(1)
    monkeypatch.setattr(core_jobs, "_GATE", gate)
    busy = gate.ticket("someone-else")               # another visitor's job holds the one slot
    seen = {}

    def free_when_it_waits():
        t_end = time.perf_counter() + 60
        while gate.state()["waiting"] == 0 and time.perf_counter() < t_end:
            time.sleep(0.01)
        seen["waiting"] = gate.state()["waiting"]
        time.sleep(0.5)
        busy.release()

    threading.Thread(target=free_when_it_waits, daemon=True).start()
    at = _app(keep=False).run()
    assert not at.exception
    assert "finished at step 3" in [m.value for m in at.markdown]
    st = gate.state()
    assert seen["waiting"] == 1                      # it stood in line ...
    assert st["completed"] == 2 and st["running"] == 0 and st["waited_max_s"] >= 0.45   # ... then ran
