"""The hosted switch (CNNLAB_HOSTED=1): every setting it makes, and that each one acts."""
from __future__ import annotations

import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core import hosted

VARS = ("CNNLAB_HOSTED", "CNNLAB_UPLOAD_MB", "CNNLAB_SESSION_TTL_MIN", "CNNLAB_SESSION_MB",
        "CNNLAB_ICE_SERVERS")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for v in VARS:
        monkeypatch.delenv(v, raising=False)
    yield
    from streamlit import config

    from dashboard import hosted as dh

    # leave the process as a local lab for the tests after these
    config.get_config_options()
    config._set_option("server.maxUploadSize", 200, "test")
    config._set_option("client.showErrorDetails", "full", "test")
    config._set_option("client.toolbarMode", "auto", "test")
    dh._applied.clear()


def test_the_switch_sets_every_hosted_default_and_each_variable_overrides(monkeypatch):
    local = hosted.settings()
    assert (local.hosted, local.upload_mb, local.session_ttl_s, local.session_mb) == (False, 200, 0, 0)
    assert local.error_details and local.model_uploads
    monkeypatch.setenv("CNNLAB_HOSTED", "1")
    on = hosted.settings()
    assert (on.hosted, on.upload_mb, on.session_ttl_s, on.session_mb) == (True, 10, 1800, 300)
    assert not on.error_details and not on.model_uploads
    monkeypatch.setenv("CNNLAB_UPLOAD_MB", "25")
    monkeypatch.setenv("CNNLAB_SESSION_TTL_MIN", "5")
    monkeypatch.setenv("CNNLAB_SESSION_MB", "-3")          # nonsense: the default stands
    s = hosted.settings()
    assert (s.upload_mb, s.session_ttl_s, s.session_mb) == (25, 300, 300)
    from core.zoo import own

    assert own.hosted() and not own.uploads_allowed()


def test_ice_check_names_what_a_hosted_live_page_lacks():
    assert "No ICE servers" in hosted.ice_problems([])[0]
    stun = hosted.ice_problems([{"urls": "stun:stun.example.org:3478"}])
    assert len(stun) == 1 and "TURN" in stun[0]
    no_cred = hosted.ice_problems([{"urls": ["turn:turn.example.org:3478"]}])
    assert any("without username" in p for p in no_cred)
    assert hosted.ice_problems([{"urls": ["turn:t.example.org"], "username": "u", "credential": "c"}]) == []
    assert any("not a stun:/turn:" in p for p in hosted.ice_problems([{"urls": "http://x"}]))
    assert "JSON list" in hosted.ice_problems({"urls": "stun:x"})[0]


def test_memory_bound_drops_the_largest_results_first_and_never_small_values():
    items = [("small", 5), ("setting", "abc"), ("frames", [np.zeros((1024, 1024, 3), np.uint8)] * 4),
             ("mask", np.zeros((1024, 1024), np.float32)), ("tiny", np.zeros(100))]
    total, drop = hosted.over_budget(items, 6 << 20)
    assert total == 4 * 3 * (1 << 20) + 4 * (1 << 20) + 800
    assert [k for k, _ in drop] == ["frames"]
    assert hosted.over_budget(items, 0)[1] == []           # no bound
    import torch

    assert hosted.nbytes(torch.nn.Linear(10, 10)) == 110 * 4


def _app() -> AppTest:
    def script():
        import numpy as np
        import streamlit as st

        from dashboard import hosted, tabs

        hosted.apply()
        if "big" not in st.session_state and not st.session_state.get("made"):
            st.session_state["big"] = np.zeros((4 << 20,), np.uint8)          # 4 MB kept
            st.session_state["made"] = True
        st.file_uploader("Picture", key="x-upload")

        def broken():
            raise RuntimeError("secret path /srv/models/private.pt")

        tabs.boundary(broken, where="t")
        hosted.ice_check()

    return AppTest.from_function(script, default_timeout=30)


def test_a_local_lab_names_the_error_and_caps_nothing_extra():
    at = _app().run()
    assert not at.exception
    assert "secret path" in at.error[0].value
    assert at.get("file_uploader")[0].proto.max_upload_size_mb == 200
    assert not at.warning


def test_hosted_hides_error_details_caps_uploads_and_checks_turn(monkeypatch):
    monkeypatch.setenv("CNNLAB_HOSTED", "1")
    at = _app().run()
    assert not at.exception
    err = at.error[0].value
    assert "secret" not in err and "reference" in err
    assert at.get("file_uploader")[0].proto.max_upload_size_mb == 10
    from streamlit import config

    assert config.get_option("client.showErrorDetails") == "none"
    assert any("TURN" in w.value for w in at.warning)


def test_hosted_session_memory_is_bounded(monkeypatch):
    monkeypatch.setenv("CNNLAB_HOSTED", "1")
    monkeypatch.setenv("CNNLAB_SESSION_MB", "2")
    at = _app().run()                    # keeps 4 MB ...
    assert "big" in at.session_state
    at.run()                             # ... which the next run lets go, and says so
    assert "big" not in at.session_state and at.session_state["made"]
    assert any("MB per visitor" in t.value for t in at.toast)


def test_an_idle_hosted_session_starts_afresh_after_its_ttl(monkeypatch):
    monkeypatch.setenv("CNNLAB_HOSTED", "1")
    monkeypatch.setenv("CNNLAB_SESSION_TTL_MIN", "0.005")          # 0.3 s
    at = _app().run()
    assert at.session_state["made"]
    at.run()                                                      # within the TTL: kept
    assert at.session_state["made"] and not at.info
    time.sleep(0.5)
    at.run()
    assert any("idle for more than" in i.value for i in at.info)
    assert "big" in at.session_state    # it started afresh: the script made its state again
