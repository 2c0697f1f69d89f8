"""What the tabs of *Inside the network* share: the inputs chosen above the tabs, the cached
network calls several tabs make, the channel count of a layer, and the top-classes table."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

from core import images
from core.vis import attribution as T
from core.vis import features as Fe
from dashboard import figures


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
        return f"{self.lm.title} sees {self.lm.input_note}"

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
    figures.table(st, {"class": [f"{i} {n}" for i, n, _ in rows], "probability": [p for *_, p in rows]},
                 column_config={"probability": st.column_config.ProgressColumn(
                     "probability", min_value=0.0, max_value=1.0, format="%.3f")},
                 hide_index=True, width="stretch")
