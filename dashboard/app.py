"""CNN Lab entry point: ``streamlit run dashboard/app.py``."""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # lets `streamlit run` work from a plain checkout too
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from core import devices  # noqa: E402
from dashboard import hosted, i18n, nav, urlstate, warmup  # noqa: E402
from dashboard.sidebar import app_style, presentation_style, status_panel  # noqa: E402

if os.environ.get("CNNLAB_DEBUG", "") not in ("", "0"):  # developers see full tracebacks again
    st.set_option("client.showErrorDetails", "full")

present = urlstate.presenting()
st.set_page_config(page_title="CNN Lab", page_icon=":material/neurology:", layout="wide",
                   initial_sidebar_state="collapsed" if present else "expanded")
app_style()
hosted.apply()      # CNNLAB_HOSTED=1: upload cap, no error details, session TTL and memory bound
devices.apply_thread_policy()  # CNNLAB_TORCH_THREADS: PyTorch threads per process and job
if present:
    presentation_style()

urlstate.begin()
i18n.selector()    # before the page: the page's text is drawn in the visitor's language
page = st.navigation(nav.build_pages(), expanded=True)
# No warm-up step runs while a page does (two threads importing torch at once break each other);
# the warm-up starts with the process's first run and its first step waits for this run to end.
with warmup.page_run():
    warmup.start()
    page.run()
    urlstate.publish()
    # After the page so its content renders first; it says what is still warming up.
    status_panel()
