"""What the architectures tabs share: colours, number formatting, and the cached summaries,
comparison table and digits data set."""
from __future__ import annotations

import numpy as np
import streamlit as st

import core.architectures as arch
from dashboard.i18n import _, tr

BLUE, ORANGE, GREEN, PURPLE, GREY = "#4a6fa5", "#e8833a", "#3a9e5c", "#8e5ccf", "#8a8f98"
PLAIN = "#c44e52"  # the plain (no-skip) net in the residual experiment
FAMILY_COLOURS = {"LeNet": GREY, "AlexNet": "#c44e52", "VGG": ORANGE, "ResNet": BLUE,
                  "Inception": GREEN, "MobileNet": PURPLE, "EfficientNet": "#d4a017"}
LOCALIZED = st.column_config.NumberColumn(format="localized")  # 12,443,648 in tables


def n(x: float) -> str:
    """12,443,648 style."""
    return f"{int(x):,}"


def human(x: float) -> str:
    for unit, v in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= v:
            return f"{x / v:.3g}{unit}"
    return f"{x:.3g}"


def shape_text(shape) -> str:
    return "×".join(str(d) for d in shape)


def net_label(name: str) -> str:
    info = arch.ARCHITECTURES[name]
    title = tr(info.title)  # "LeNet-5 (modern)" is marked; the other titles are names
    return title if str(info.year) in info.title else f"{title} ({info.year})"


def pow2_ticks(values) -> list[int]:
    lo, hi = max(1, min(values)), max(values)
    ticks, t = [], 1
    while t <= hi * 1.01:
        if t >= lo / 2:
            ticks.append(t)
        t *= 2
    return ticks


def log_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Ticks for a log axis from ``lo`` to ``hi``: 1-2-5 in every decade (1, 2, 5, 10, 20, …),
    only powers of ten when the range spans more than three decades; labels written out
    (0.5, 20, 1000), never plotly's bare "2 5 2 5" minor digits."""
    lo, hi = float(min(lo, hi)), float(max(lo, hi))
    if lo <= 0:
        raise ValueError(f"A log axis needs positive values; got {lo}.")
    first, last = int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi)))
    steps = (1,) if last - first > 3 else (1, 2, 5)
    vals = [m * 10.0 ** e for e in range(first, last + 1) for m in steps]
    vals = [v for v in vals if lo * (1 - 1e-9) <= v <= hi * (1 + 1e-9)]
    return vals, [f"{v:,.0f}" if v >= 1 else f"{v:g}" for v in vals]


# the big ones are built on PyTorch's meta device: a forward pass through every module
# that computes shapes only (the tests check it gives the same rows as real numbers)
_META = {"vgg16", "efficientnet_b4", "efficientnet_b5", "efficientnet_b6", "efficientnet_b7"}


def summary_device(name: str, size: tuple[int, int, int]) -> str:
    return "meta" if name in _META or max(size[1:]) > 320 else "cpu"


def cached_summary(name: str, size: tuple[int, int, int]) -> arch.Summary:
    """``arch.summarize(arch.build(name), size)``, cached; a translated spinner while it builds
    (``st.cache_data``'s own spinner text could not be translated)."""
    with st.spinner(_("Building and summarizing the network…")):
        return _summary(name, tuple(size))


@st.cache_data(show_spinner=False, max_entries=64)
def _summary(name: str, size: tuple[int, int, int]) -> arch.Summary:
    device = summary_device(name, size)
    return arch.summarize(arch.build(name, device=device), size)


@st.cache_data(show_spinner=False)
def cached_comparison(recipe: str) -> list[dict]:
    return arch.comparison_table(recipe)


def cached_digits(seed: int) -> arch.DigitsData:
    """``arch.digits_dataset(seed)``, one per seed for every session, with a translated spinner."""
    with st.spinner(_("Loading scikit-learn's digits…")):
        return _digits(seed)


@st.cache_resource(show_spinner=False)
def _digits(seed: int) -> arch.DigitsData:
    return arch.digits_dataset(seed=seed)
