"""dashboard.live.FrameRunner (no browser) and URL state round trips (AppTest)."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.frames import classify_frame, draw_panel, identity_frame
from dashboard.live import FrameRunner, ice_servers
from tests.pageapp import page_app


def _frame(h=240, w=320, value=100):
    return np.full((h, w, 3), value, np.uint8)


def test_runner_applies_the_function_resizes_and_overlays():
    r = FrameRunner(lambda f, gain: np.clip(f.astype(int) * gain, 0, 255).astype(np.uint8),
                    {"gain": 2}, max_side=160, fps_cap=0, overlay=False)
    out = r.process(_frame(480, 640))
    assert out.shape == (120, 160, 3) and (out == 200).all()
    r.update(params={"gain": 1}, overlay=True)
    out = r.process(_frame(480, 640))
    assert out.shape == (120, 160, 3) and (out[-1, 0] == 100).all()
    assert (out[:20, -40:] != 100).any(), "the FPS panel is drawn in the top-right corner"
    s = r.stats()
    assert s["processed"] == 2 and s["dropped"] == 0 and s["latency_ms"] >= s["fn_ms"] > 0


def test_runner_drops_older_frames_and_caps_fps():
    calls = []
    r = FrameRunner(lambda f: calls.append(1) or f, max_side=64, fps_cap=5, overlay=False)
    r.process(_frame(), dropped=3)            # three older frames were skipped by the queue
    for _ in range(5):                        # within 1/5 s of the first: served from the last output
        r.process(_frame())
    assert len(calls) == 1
    s = r.stats()
    assert s["received"] == 9 and s["dropped"] == 8 and s["processed"] == 1
    time.sleep(0.22)
    r.process(_frame())
    assert len(calls) == 2


def test_runner_survives_a_failing_function_and_reports_it():
    def broken(frame):
        raise RuntimeError("model exploded")
    r = FrameRunner(broken, fps_cap=0)
    out = r.process(_frame())
    assert out.shape == (240, 320, 3)
    assert "model exploded" in r.stats()["error"]


def test_runner_is_thread_safe_under_parameter_updates():
    r = FrameRunner(lambda f, k: f, {"k": 0}, fps_cap=0, overlay=False)
    stop = threading.Event()

    def feed():
        while not stop.is_set():
            r.process(_frame(32, 32))
    t = threading.Thread(target=feed)
    t.start()
    for k in range(200):
        r.update(params={"k": k}, max_side=16 + k % 5)
    stop.set()
    t.join(5)
    assert r.stats()["processed"] > 0 and r.stats()["error"] is None


def test_recv_queued_processes_only_the_newest_frame():
    import asyncio

    import av

    seen = []
    r = FrameRunner(lambda f: seen.append(int(f[0, 0, 0])) or f, fps_cap=0, overlay=False)
    frames = []
    for i, v in enumerate((10, 20, 30)):
        vf = av.VideoFrame.from_ndarray(_frame(48, 64, v), format="rgb24")
        vf.pts = i
        frames.append(vf)
    out = asyncio.run(r.recv_queued(frames))
    assert len(out) == 1 and out[0].pts == 2 and seen == [30]
    assert r.stats()["dropped"] == 2


def test_ice_servers_from_environment(monkeypatch):
    monkeypatch.delenv("CNNLAB_ICE_SERVERS", raising=False)
    assert ice_servers() == []
    monkeypatch.setenv("CNNLAB_ICE_SERVERS", '[{"urls": ["turn:turn.example.org:3478"], '
                                             '"username": "u", "credential": "c"}]')
    assert ice_servers()[0]["username"] == "u"
    monkeypatch.setenv("CNNLAB_ICE_SERVERS", "not json")
    assert ice_servers() == []


def test_frame_helpers():
    out = draw_panel(_frame(), ["hello", "world"], corner="bl")
    assert out.shape == (240, 320, 3) and (out != 100).any()
    assert identity_frame(_frame()) is not None

    class FakeModel:
        def classify(self, frame, topk):
            return [(281, "tabby", 0.9), (282, "tiger cat", 0.05)][:topk]
    out, data = classify_frame(_frame(), FakeModel(), topk=2)
    assert data["top"][0][1] == "tabby" and (out != 100).any()


def _url_app():
    import streamlit as st

    from dashboard import urlstate

    urlstate.begin()
    urlstate.restore("n", "name", "flag", valid=lambda k, v: not (k == "n" and not isinstance(v, int)))
    st.slider("n", 0, 10, 3, key="n")
    st.selectbox("name", ["a", "b", "c"], key="name")
    st.checkbox("flag", key="flag")
    urlstate.publish()


def test_url_parameters_round_trip():
    at = AppTest.from_function(_url_app)
    at.query_params["n"] = "7"
    at.query_params["name"] = "c"
    at.query_params["present"] = "1"
    at.run()
    assert not at.exception
    assert at.slider(key="n").value == 7 and at.selectbox(key="name").value == "c"
    at.slider(key="n").set_value(2).run()
    qp = {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert qp["n"] == "2" and qp["present"] == "1" and qp["flag"] == "false" and qp["name"] == "c"


def test_bad_url_parameters_are_ignored():
    at = AppTest.from_function(_url_app)
    at.query_params["n"] = "lots"
    at.run()
    assert not at.exception and at.slider(key="n").value == 3


@pytest.mark.parametrize("sample", ["coffee", "no-such-picture"])
def test_image_input_reads_the_url(sample):
    at = page_app("inside", default_timeout=60)
    at.query_params["inside-classify-sample"] = sample
    at.run()
    assert not at.exception
    assert at.selectbox(key="inside-classify-sample").value == ("coffee" if sample == "coffee" else "chelsea")


def test_frame_functions_may_return_a_result_object():
    from dataclasses import dataclass

    from dashboard.live import split_result

    @dataclass
    class Result:
        image: np.ndarray
        areas: dict

    frame = _frame()
    out, data = split_result(Result(frame, {"circle": 0.2}))
    assert out is frame and data.areas == {"circle": 0.2}
    assert split_result((frame, 1)) == (frame, 1)
    r = FrameRunner(lambda f: Result(f, {"a": 1}), fps_cap=0, overlay=False)
    r.process(frame)
    assert r.stats()["data"].areas == {"a": 1}


def test_live_mode_without_a_webrtc_server_degrades_to_a_message():
    at = page_app("inside", default_timeout=120).run()
    at.toggle(key="inside-live").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Snapshot tab" in w.value for w in at.warning)
