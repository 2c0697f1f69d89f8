"""The one tab runner: lazy tabs, kept settings, and the error boundary every tab runs in."""
from __future__ import annotations

import logging

import pytest

from streamlit.testing.v1 import AppTest

from dashboard.tabs import NOT_ASSIGNABLE, _skipped, one_line


def _page_with_a_failing_tab(kind: str) -> None:
    import streamlit as st

    from dashboard import tabs

    def good() -> None:
        st.number_input("kept", 0, 10, 3, key="t-kept")
        st.write("good tab drawn")

    def bad() -> None:
        st.write("before the failure")
        if kind == "value":
            raise ValueError("The filter needs a number in every cell.")
        if kind == "stop":
            st.stop()
        if kind == "memory":
            raise MemoryError()
        if kind == "cuda-oom":
            OutOfMemoryError = type("OutOfMemoryError", (RuntimeError,), {})  # torch.cuda's, by name
            raise OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
        raise IndexError("index 4000 is out of bounds for dimension 0 with size 80")

    st.title("page")
    st.session_state.setdefault("t-tab", "Bad")  # open the failing tab first
    tabs.run([tabs.Tab("Good", good), tabs.Tab("Bad", bad)], "t-")
    st.sidebar.write("sidebar drawn")
    st.caption("after the tabs")


def _app(kind: str) -> AppTest:
    return AppTest.from_function(_page_with_a_failing_tab, args=(kind,), default_timeout=30)


def test_an_unexpected_exception_becomes_one_line_in_its_tab(caplog):
    with caplog.at_level(logging.ERROR, logger="cnnlab"):
        at = _app("crash").run()
    assert not at.exception
    assert len(at.error) == 1
    msg = at.error[0].value
    assert msg.startswith("This view failed: IndexError: index 4000 is out of bounds")
    assert "rest of the lab keeps working" in msg
    assert "Traceback" not in msg
    # the rest of the page, and the sidebar, are drawn
    assert "before the failure" in [m.value for m in at.markdown]
    assert [c.value for c in at.caption] == ["after the tabs"]
    assert [m.value for m in at.sidebar.markdown] == ["sidebar drawn"]
    # the traceback went to the server log
    assert any("Traceback" in (r.exc_text or "") or r.exc_info for r in caplog.records)


def test_a_value_error_keeps_its_clear_message():
    at = _app("value").run()
    assert not at.exception
    assert [e.value for e in at.error] == ["The filter needs a number in every cell."]


def test_streamlit_control_flow_passes_through_the_boundary():
    at = _app("stop").run()
    assert not at.exception and not at.error
    assert not at.caption  # st.stop() stopped the script, as it should


def test_only_the_open_tab_runs_and_other_tabs_keep_their_settings():
    at = _app("crash").run()
    assert "good tab drawn" not in [m.value for m in at.markdown]
    at.session_state["t-tab"] = "Good"
    at.run()
    assert "good tab drawn" in [m.value for m in at.markdown] and not at.error
    at.number_input(key="t-kept").set_value(7).run()
    at.session_state["t-tab"] = "Bad"
    at.run()
    at.session_state["t-tab"] = "Good"
    at.run()
    assert at.number_input(key="t-kept").value == 7


def test_state_keys_are_matched_by_whole_parts():
    assert _skipped("det-go", NOT_ASSIGNABLE)
    assert _skipped("conv-edge-grid-sobel_x", NOT_ASSIGNABLE)
    assert _skipped("inside-classify-upload", NOT_ASSIGNABLE)
    assert not _skipped("style-gold", NOT_ASSIGNABLE)      # "-go" must not match "-gold"
    assert not _skipped("arch-running-mean", NOT_ASSIGNABLE)
    assert _skipped("a-b-c", ("-b-c",)) and not _skipped("a-bc", ("-b-c",))


def test_one_line_names_the_error():
    assert one_line(KeyError("x")) == "KeyError: 'x'"
    assert one_line(RuntimeError("first\nsecond")) == "RuntimeError: first"
    assert one_line(RuntimeError()) == "RuntimeError"



@pytest.mark.parametrize("kind", ["memory", "cuda-oom"])
def test_running_out_of_memory_says_what_to_do_and_frees_it(kind):
    at = _app(kind).run()
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.startswith("This ran out of memory")
    assert "smaller working size" in at.error[0].value
    assert [c.value for c in at.caption] == ["after the tabs"]
