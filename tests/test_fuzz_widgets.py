"""Widget fuzz (issue 15): on every tab of every page, every number input at its minimum and at
its maximum, and the tab's main button pressed with short steps; no exception element, ever."""
from __future__ import annotations

import re

import pytest

from dashboard import nav
from tests.pageapp import page_app

# Inputs that set how long a job runs: kept short when the main button is pressed.
HEAVY = re.compile(r"step|epoch|iteration|batch|size|side|sample|image|frame|octave|points|"
                   r"per class|people|faces|gallery|n ×|n×|width|depth|base|k\b|tile|count|number",
                   re.I)
PREFIX = {"convolution": "conv-", "architectures": "arch-", "detection": "det-",
          "segmentation": "seg-", "inside": "inside-", "deepdream": "dd-", "style": "st-",
          "embeddings": "emb-", "transfer": "tl-"}


def _tabs_of(package: str) -> list[str]:
    import importlib

    return [t.title for t in importlib.import_module(f"pages.{package}").TABS]


CASES = [(t.package, title) for t in nav.TOPICS for title in _tabs_of(t.package)]


def _check(at, where: str) -> None:
    """No exception element, and no tab that had to be caught by the error boundary: a bad
    value must get its own clear message (a ValueError from core), not "This view failed"."""
    assert not at.exception, (where, [e.value for e in at.exception])
    failed = [e.value for e in at.error if e.value.startswith("This view failed")]
    assert not failed, (where, failed)


def _numbers(at):
    return [w for w in at.number_input if not w.disabled]


def _short(at) -> None:
    """Short steps: every job-length number input and slider at its minimum."""
    for w in _numbers(at):
        if HEAVY.search(w.label or "") and w.min is not None:
            w.set_value(w.min)
    for s in at.slider:
        if HEAVY.search(s.label or "") and not s.disabled and s.min is not None:
            if isinstance(s.value, (tuple, list)):
                continue
            s.set_value(type(s.value)(s.min) if isinstance(s.value, (int, float)) else s.value)


def _press_main(at, where: str) -> None:
    primary = [b for b in at.button if b.proto.type == "primary" and not b.disabled
               and not (b.key or "").endswith("-stop")]
    if primary:
        primary[0].click()
        at.run(timeout=240)
        _check(at, f"{where} after pressing {primary[0].label!r}")


@pytest.mark.parametrize("package, tab", CASES, ids=[f"{p}-{t}" for p, t in CASES])
def test_extreme_numbers_and_the_main_button_never_show_an_exception(package, tab):
    at = page_app(package, default_timeout=240)
    at.session_state[f"{PREFIX[package]}tab"] = tab
    at.run()
    _check(at, "open")
    for end in ("min", "max"):
        for w in _numbers(at):
            value = getattr(w, end)
            if value is None:          # unbounded: an absurd value instead
                value = -10**9 if end == "min" else 10**9
            try:
                w.set_value(value)
            except Exception:          # noqa: BLE001 - AppTest refuses values a browser could not send
                continue
            at.run()
            _check(at, f"{w.label!r} = {value}")
        _short(at)
        at.run()
        _check(at, f"{end}, short steps")
        _press_main(at, f"{end} values")
