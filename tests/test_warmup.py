"""dashboard.warmup: the background warm-up at server start, its gate against page runs, and the
sidebar that shows it."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import warmup

ROOT = Path(__file__).resolve().parents[1]


def _run_in_thread(w: warmup.Warmup, timeout: float = 300) -> warmup.Status:
    errors = []

    def target():
        try:
            w.run()
        except BaseException as e:  # noqa: BLE001 - the test reports it
            errors.append(e)

    t = threading.Thread(target=target, name="test-warmup")
    t.start()
    t.join(timeout)
    assert not t.is_alive(), "the warm-up did not finish"
    assert not errors, errors
    return w.status()


def test_steps_run_in_order_and_failures_are_recorded_not_raised():
    order = []

    def boom():
        order.append("boom")
        raise RuntimeError("no such library")

    def skip():
        order.append("skip")
        raise warmup.Skip("its weights would have to be downloaded")

    steps = [warmup.Step("a", "A", lambda: order.append("a")),
             warmup.Step("b", "B", boom),
             warmup.Step("c", "C", skip),
             warmup.Step("d", "D", lambda: order.append("d") or "D (renamed)")]
    w = warmup.Warmup(steps, warmup.Gate())
    assert [s.state for s in w.status().steps] == ["waiting"] * 4 and not w.status().done
    st = _run_in_thread(w)
    assert order == ["a", "boom", "skip", "d"]
    assert [s.state for s in st.steps] == ["done", "failed", "skipped", "done"]
    assert st.done and st.seconds >= 0 and st.finished_step("c") and st.step("d").label == "D (renamed)"
    assert "no such library" in st.step("b").note
    assert st.line() == "A ✓ · B ✗ · C – · D (renamed) ✓"
    assert any("downloaded" in p for p in st.problems())


def test_a_step_never_runs_while_a_page_does_and_a_page_waits_only_for_one_step():
    gate = warmup.Gate()
    events = []
    in_step = threading.Event()
    release = threading.Event()

    def slow():
        in_step.set()
        events.append("step 1 begins")
        release.wait(5)
        events.append("step 1 ends")

    w = warmup.Warmup([warmup.Step("1", "one", slow),
                       warmup.Step("2", "two", lambda: events.append("step 2"))], gate)
    with gate.page():                      # a page run is in progress when the warm-up starts
        t = threading.Thread(target=w.run)
        t.start()
        time.sleep(0.2)
        assert events == [] and w.status().step("1").state == "waiting"
    assert in_step.wait(5)
    page_done = []

    def page():
        with gate.page():                  # waits for step 1, not for step 2
            page_done.append(list(events))

    p = threading.Thread(target=page)
    p.start()
    time.sleep(0.2)
    assert page_done == []                 # step 1 in flight: the page waits
    release.set()
    p.join(5)
    t.join(5)
    assert page_done and page_done[0][:2] == ["step 1 begins", "step 1 ends"]
    assert w.status().done


def test_a_page_waits_at_most_page_wait_s_for_a_hung_step():
    gate = warmup.Gate(page_wait_s=0.3)
    release = threading.Event()
    w = warmup.Warmup([warmup.Step("hang", "hang", lambda: release.wait(10))], gate)
    t = threading.Thread(target=w.run)
    t.start()
    time.sleep(0.1)
    t0 = time.perf_counter()
    with gate.page():
        waited = time.perf_counter() - t0
    release.set()
    t.join(5)
    assert 0.2 < waited < 3


def test_off_under_tests_and_with_the_env_var(monkeypatch):
    monkeypatch.delenv(warmup.ENV, raising=False)
    assert not warmup.enabled()                        # PYTEST_CURRENT_TEST is set
    monkeypatch.setenv(warmup.ENV, "0")
    assert not warmup.enabled() and warmup.start() is False
    monkeypatch.setenv(warmup.ENV, "1")
    assert warmup.enabled()


def test_the_default_warm_up_runs_to_completion_and_warms_the_pages_cache():
    """The real steps, offline: every import and both default models, in a thread, no exception;
    the ImageNet model it loaded is the one ``get_model`` then hands a page."""
    from dashboard import cache

    w = warmup.Warmup(warmup.default_steps(), warmup.Gate())
    keys = [s.key for s in w.status().steps]
    assert keys[0] == "torch" and "model:imagenet" in keys and keys[-1] == "pages"
    st = _run_in_thread(w)
    assert all(s.state == "done" for s in st.steps), st.problems() or st.line()
    assert st.step("model:imagenet").label == "EfficientNet-Lite0"           # offline
    assert st.step("model:yolo11n").label.startswith("Shapes detector")      # its bundled stand-in
    assert "dlib" not in {s.key for s in st.steps}                           # no page needs it on open
    warmed = cache._load("imagenet", cache.current_device())
    assert cache.get_model("imagenet") is warmed
    assert any(m is warmed for m in cache.loaded_models())


def _captions(at) -> str:
    return " ".join(c.value for c in at.sidebar.caption)


def test_the_sidebar_says_what_is_still_loading(monkeypatch):
    steps = (warmup.Step("torch", "torch", None, state="done"),
             warmup.Step("device", "device", None, state="done"),
             warmup.Step("model:imagenet", "EfficientNet-Lite0", None, state="running"),
             warmup.Step("ultralytics", "ultralytics", None))
    monkeypatch.setenv(warmup.ENV, "0")
    monkeypatch.setattr(warmup, "status", lambda: warmup.Status(steps, started=time.time()))
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    text = _captions(at)
    assert "Warming up" in text and "torch ✓ · device ✓ · EfficientNet-Lite0 … · ultralytics" in text, text
    assert "Device**:" in text and "found once torch" not in text


def test_app_starts_the_warm_up_once_and_the_sidebar_says_when_it_is_done(monkeypatch):
    ran = []
    steps = lambda: [warmup.Step("torch", "torch", lambda: ran.append("torch")),  # noqa: E731
                     warmup.Step("device", "device", lambda: ran.append("device"))]
    monkeypatch.setenv(warmup.ENV, "1")
    monkeypatch.setattr(warmup, "_WARMUP", None)
    monkeypatch.setattr(warmup, "default_steps", steps)
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    first = warmup._WARMUP
    assert first is not None
    text = _captions(at)   # the first run started it; its steps wait for that run to end
    assert "Warming up" in text and "found once torch has loaded" in text, text
    deadline = time.time() + 30
    while not warmup.status().done and time.time() < deadline:
        time.sleep(0.05)
    at.run()
    text = _captions(at)
    assert "Warm-up done" in text and "Device**:" in text and "Warming up" not in text, text
    assert warmup._WARMUP is first and ran == ["torch", "device"]    # once per process
    assert not at.exception


@pytest.mark.parametrize("value", ["0", "off"])
def test_app_runs_without_warm_up_when_turned_off(monkeypatch, value):
    monkeypatch.setenv(warmup.ENV, value)
    monkeypatch.setattr(warmup, "_WARMUP", None)
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120).run()
    assert not at.exception and warmup.status() is None
    text = " ".join(c.value for c in at.sidebar.caption)
    assert "Device" in text and "Warm" not in text
