"""What the architectures tabs share: colours, number formatting, and the cached summaries,
comparison table and digits data set."""
from __future__ import annotations

import streamlit as st

import core.architectures as arch
from dashboard.figures import log_ticks  # noqa: F401 - the tabs' log axes
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
