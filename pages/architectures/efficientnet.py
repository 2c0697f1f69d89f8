"""Architectures › EfficientNet scaling: depth, width and resolution grown together by one
compound coefficient φ, and the released B0 … B7."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

import core.architectures as arch
from dashboard import figures
from dashboard.i18n import N_, _

from .common import BLUE, GREEN, GREY, LOCALIZED, ORANGE, PURPLE, cached_comparison, log_ticks


def render() -> None:
    st.write(_(
        "A network can grow in depth (more layers), width (more channels) or resolution "
        "(bigger images). EfficientNet scales all three together with one compound "
        "coefficient φ: pick φ for the compute you have."))
    figures.formulas(r"d = \alpha^{\phi},\; w = \beta^{\phi},\; r = \gamma^{\phi}",
                     r"\alpha \beta^2 \gamma^2 \approx 2 \;\Rightarrow\; \text{FLOPs} \propto "
                     r"d\,w^2 r^2 \approx 2^{\phi}",
                     r"(\alpha=1.2,\ \beta=1.1,\ \gamma=1.15)")
    phi = st.slider(_("compound coefficient φ"), 0.0, 7.0, 1.0, 0.1, key="arch-eff-phi")
    cs = arch.compound_scaling(phi)
    m = st.columns(5)
    m[0].metric(_("depth ×"), f"{cs['depth']:.2f}")
    m[1].metric(_("width ×"), f"{cs['width']:.2f}")
    m[2].metric(_("resolution"), f"{cs['resolution_px']} px", help=f"224 × {cs['resolution']:.3f}")
    m[3].metric("FLOPs ×", f"{cs['flops']:.2f}", help="(α β² γ²)^φ = 1.920^φ")
    m[4].metric("2^φ", f"{2 ** phi:.2f}")
    figures.show(_scaling_plot(phi), "arch-eff-curves", width="stretch")
    _released()
    with st.expander(_("How it works")):
        st.markdown(_(
            "- `core.architectures.compound_scaling(phi, alpha=1.2, beta=1.1, gamma=1.15)` → "
            "depth, width, resolution and the FLOPs factor d·w²·r².\n"
            "- `EFFICIENTNET_CONFIGS` holds the B0–B7 multipliers of torchvision's builders "
            "(the tests check them against the built networks); params, GMACs and top-1 come "
            "from `weights.meta` via `comparison_table()`; `implied_phi(config)` reads φ back."))


def _scaling_plot(phi: float) -> go.Figure:
    phis = np.linspace(0, 7, 71)
    fig = go.Figure()
    for key_, colour, label in (("depth", BLUE, _("depth d = 1.2^φ")),
                                ("width", ORANGE, _("width w = 1.1^φ")),
                                ("resolution", GREEN, _("resolution r = 1.15^φ")),
                                ("flops", PURPLE, "FLOPs (1.92^φ)")):
        fig.add_trace(go.Scatter(x=phis, y=[arch.compound_scaling(p)[key_] for p in phis],
                                 name=label, line={"color": colour}))
    fig.add_trace(go.Scatter(x=phis, y=2 ** phis, name="2^φ", line={"color": GREY, "dash": "dot"}))
    fig.add_vline(x=phi, line_color="#999")
    vals, text = log_ticks(1, 2 ** 7)
    fig.update_yaxes(type="log", title=_("multiplier (log)"), tickvals=vals, ticktext=text)
    fig.update_layout(height=round(330 * figures.sizes().scale),  # taller when presenting
                      xaxis_title="φ", margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      legend={"orientation": "h", "y": -0.25})
    return fig


def _released() -> None:
    st.subheader(_("The released EfficientNet-B0 … B7"))
    meta = {r["name"]: r for r in cached_comparison("original")}
    rows = []
    for name, cfg in arch.EFFICIENTNET_CONFIGS.items():
        ph = arch.implied_phi(cfg)
        r = meta.get(name, {})
        # English keys (read below), shown translated
        rows.append({N_("model"): arch.ARCHITECTURES[name].title, N_("width ×"): cfg["width"],
                     N_("depth ×"): cfg["depth"], N_("resolution"): cfg["resolution"],
                     N_("φ from depth"): round(ph["from_depth"], 2),
                     N_("φ from width"): round(ph["from_width"], 2),
                     N_("φ from resolution"): round(ph["from_resolution"], 2),
                     N_("params"): r.get("params"), "GMACs": r.get("gmacs"),
                     N_("top-1 %"): r.get("top1")})
    figures.table(st, [{_(k): v for k, v in row.items()} for row in rows], hide_index=True,
                  column_config={_("params"): LOCALIZED})
    b0 = rows[0]["GMACs"]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=list(range(8)), y=[r["GMACs"] for r in rows], name=_("real GMACs"),
                             mode="lines+markers+text", text=[r["model"][-2:] for r in rows],
                             textposition="top left", line={"color": PURPLE}))
    fig.add_trace(go.Scatter(x=list(range(8)), y=[b0 * 2 ** k for k in range(8)],
                             name="B0 × 2^k", line={"color": GREY, "dash": "dot"}))
    vals, text = log_ticks(min(r["GMACs"] for r in rows) / 1.3, b0 * 2 ** 7 * 1.3)
    fig.update_yaxes(type="log", title=_("GMACs per image (log)"), tickvals=vals, ticktext=text)
    fig.update_layout(height=round(300 * figures.sizes().scale),  # taller when presenting
                      xaxis_title=_("k in B-k"), margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      legend={"orientation": "h", "y": -0.3})
    figures.show(fig, "arch-eff-real", width="stretch")
    st.caption(_("torchvision evaluates its B2 weights at 288 px (the paper: 260), so its GMACs "
               "and top-1 for B2 are for 288 px. "
               "The released models were tuned one by one (the paper fixed α, β, γ by a small "
               "grid search on B0, then picked the larger models' multipliers), so their φ "
               "read back from depth, width and resolution disagree a little — but each step "
               "B-k → B-k+1 roughly doubles the compute, as 2^φ says."))
