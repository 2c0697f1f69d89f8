"""Run one page of the lab in Streamlit's AppTest, the way the app shell runs it.

Pages are packages (``pages/<topic>/__init__.py`` with ``render()``), so a test opens one with
``page_app("inside")`` instead of ``AppTest.from_file``.
"""
from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _script(package: str) -> None:
    import sys
    from pathlib import Path

    root = Path(__import__("dashboard").__file__).resolve().parents[1]
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from dashboard.nav import render_function

    render_function(package)()


def page_app(package: str, default_timeout: float = 120) -> AppTest:
    return AppTest.from_function(_script, args=(package,), default_timeout=default_timeout)


def open_tab(app: AppTest, prefix: str, tab: str) -> AppTest:
    """Choose a page's tab as a click would (only the open tab runs), run, and fail on any
    exception. ``prefix`` is the page's tab-state prefix (``"det-"``, ``"seg-"``, ...)."""
    app.session_state[f"{prefix}tab"] = tab
    app.run()
    assert not app.exception, [e.message for e in app.exception]
    return app
