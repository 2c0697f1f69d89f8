"""What the tabs of *Inside the network* share: the inputs chosen above the tabs, the cached
network calls several tabs make, the channel count of a layer, and the top-classes table."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

import re

from core import images
from core.vis import attribution as T
from core.vis import features as Fe
from dashboard import figures
from dashboard.i18n import _, tr
from dashboard.prepared import note, stale_note, tail  # noqa: F401 - the tabs' prepared-ahead notes


@dataclass
class Inside:
    """The page's inputs, as the tabs need them."""
    lm: Any
    image: np.ndarray               # the picture as picked (longer side ≤ 1024 px)
    crop: np.ndarray                # what the network sees (lm.prepare: its own resize + crop);
                                    # every prediction on the page is made on exactly these pixels
    layer_names: list[str]          # core.vis.features.layer_choices, shallow to deep
    info: dict                      # layer name -> core.vis.ascent.LayerInfo

    @property
    def key(self) -> str:           # widget keys per network: layer names differ
        return self.lm.name

    @property
    def labels(self) -> list[str]:
        return self.lm.labels

    @property
    def deep_index(self) -> int:    # the default layer of the layer select boxes
        return min(4, len(self.layer_names) - 1)

    @property
    def view_note(self) -> str:     # where every prediction on the page was computed
        return _("{model} sees {view}").format(model=self.lm.title, view=tr(self.lm.input_note))

    @property
    def view_only(self) -> str:     # the second half of view_note: what the network sees
        return tr(self.lm.input_note)

    def class_name(self, i: int) -> str:
        return f"{i} {self.labels[i]}" if i < len(self.labels) else str(i)

    def maps(self, pic: np.ndarray, layer: str) -> Fe.FeatureMaps:
        return maps(self.lm, self.key, pic, layer)

    def channels(self, layer: str) -> int:
        return channel_count(self.lm, self.key, layer)


@st.cache_data(show_spinner=False, max_entries=16)
def top5(_lm, name: str, pic: np.ndarray) -> list:
    return T.top_classes(_lm, pic, 5)


@st.cache_data(show_spinner=False, max_entries=16)
def maps(_lm, name: str, pic: np.ndarray, layer: str):
    return Fe.activations(_lm, pic, [layer])[layer]


@st.cache_data(show_spinner=False, max_entries=4)
def filters(_lm, name: str, layer: str | None):
    return Fe.filters(_lm, layer)


@st.cache_data(show_spinner=False, max_entries=16)
def conv_mix(_lm, name: str, pic: np.ndarray, layer: str, inputs: int) -> Fe.ConvMix:
    """How ``layer``'s strongest maps on ``pic`` are built (``core.vis.features.conv_mix``)."""
    return Fe.conv_mix(_lm, pic, layer, n=4, inputs=inputs)


@st.cache_data(show_spinner=False, max_entries=64)
def channel_count(_lm, name: str, layer: str) -> int:
    """How many channels ``layer`` has (``core.vis.features.channels``), cached per model."""
    return Fe.channels(_lm, layer)


@st.cache_data(show_spinner=False, max_entries=1)
def sample_pictures() -> list[tuple[str, np.ndarray]]:
    """The bundled samples (longer side 512 px) by name, leaving out any that cannot be read."""
    out = []
    for name in images.samples():
        try:
            out.append((name, images.load_sample(name, max_side=512)))
        except ValueError:
            pass
    return out


@st.cache_data(show_spinner=False, max_entries=1)
def sample_views(size: int = 224) -> list[tuple[str, list[np.ndarray]]]:
    """Each bundled sample's gallery views (whole, four corners, mirrored) as the network sees them."""
    return [(name, Fe.gallery_variants(pic, size, mirror=True)) for name, pic in sample_pictures()]


def top_table(rows: list) -> None:
    cls, prob = _("class"), _("probability")
    figures.table(st, {cls: [f"{i} {n}" for i, n, _p in rows], prob: [p for *_r, p in rows]},
                 column_config={prob: st.column_config.ProgressColumn(
                     prob, min_value=0.0, max_value=1.0, format="%.3f")},
                 hide_index=True, width="stretch")




def channel_name(layer: str, ch: int) -> str:
    """"<layer> channel <k>" in the visitor's language."""
    return _("{layer} channel {ch}").format(layer=layer, ch=ch)


def what(text: str) -> str:
    """A result's ``what`` (``core.precompute``: a class name, or "<layer> channel <k>") translated."""
    m = re.fullmatch(r"(.+) channel (\d+)", text or "")
    return channel_name(m.group(1), int(m.group(2))) if m else text
