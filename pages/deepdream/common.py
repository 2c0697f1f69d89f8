"""What both DeepDream tabs share: the inputs chosen above the tabs, running a dream with live
progress, and the prepared-ahead results."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

from core import precompute
from dashboard import figures, jobs
from dashboard.i18n import _, tr
from dashboard.prepared import stale_note, tail  # noqa: F401 - the tabs' prepared-ahead notes


@dataclass
class Dream:
    """The page's inputs, as the tabs need them."""
    lm: Any
    image: np.ndarray               # the picture at its processing size
    catalogue: dict                 # layer name -> core.vis.ascent.LayerInfo
    layer: str
    settings: dict                  # keyword arguments of core.dream.dream
    stamp: str                      # precompute.key of the dream with these inputs
    sizes: list[tuple[int, int]]    # the octaves' (h, w)
    use_guide: bool

    @property
    def key(self) -> str:           # widget keys per network: layer names differ
        return self.lm.name


def finish_interrupted(run_key: str, result_key: str) -> None:
    """A run that was stopped (Stop, or any widget change) leaves its last snapshot behind."""
    snap = jobs.interrupted(run_key)
    if snap is None:
        return
    record = st.session_state.get(f"{run_key}-record") or precompute.Record()
    if record.frames:
        last = snap.image if snap.image is not None else record.frames[-1]
        st.session_state[result_key] = dict(
            image=last, frames=record.frames, stopped=True, step=snap.step, total=snap.total,
            losses=record.rows, seconds=record.seconds, key=st.session_state.get(f"{run_key}-key"),
            layer=st.session_state.get(f"{run_key}-layer"))


def current(d: Dream, layer_name: str, mine: dict | None) -> precompute.Current:
    """What to show for this dream: this session's own, else the one prepared ahead
    (``cnnlab precompute`` / shipped in ``assets/prepared``), else this session's marked stale."""
    return precompute.current("deepdream", d.lm, {**d.settings, "layers": layer_name}, d.image, mine)


def run_dream(d: Dream, run_key: str, layer_name: str, caption: str) -> dict | None:
    """Dream with the chosen settings on ``layer_name``, drawing progress; the result dict."""
    settings = {**d.settings, "layers": layer_name}
    try:
        snapshots, record = precompute.start("deepdream", d.lm, d.image, settings, share=True)
    except ValueError as e:
        st.error(tr(e.args[0]) if len(e.args) == 1 else str(e))
        return None
    st.session_state[f"{run_key}-record"] = record
    st.session_state[f"{run_key}-layer"] = layer_name
    st.session_state[f"{run_key}-key"] = precompute.key("deepdream", d.lm, settings, d.image)
    last = jobs.follow(snapshots, run_key, image_caption=caption, image_width="stretch")
    if last is None:
        return None
    return precompute.finish("deepdream", d.lm, d.image, settings, record)


def loss_plot(losses: list[tuple[int, int, float]]):
    curves = []
    for o in sorted({o for _s, o, _v in losses}):
        pts = [(s, v) for s, oo, v in losses if oo == o]
        curves.append(figures.Curve(_("octave {o}").format(o=o), [p[0] for p in pts], [p[1] for p in pts],
                                    mode="lines+markers" if len(pts) < 3 else "lines"))
    return figures.loss_curves(curves, title=_("The objective rises in every octave"), height=240,
                               y_title=_("objective L"), legend_y=None)
