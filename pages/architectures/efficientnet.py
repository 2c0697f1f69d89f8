"""Architectures › EfficientNet scaling: depth, width and resolution grown together by one
compound coefficient φ, and the released B0 … B7."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

import core.architectures as arch
from dashboard import figures

from .common import BLUE, GREEN, GREY, LOCALIZED, ORANGE, PURPLE, cached_comparison, log_ticks


def render() -> None:
    st.write(
        "A network can grow in depth (more layers), width (more channels) or resolution "
        "(bigger images). EfficientNet scales all three together with one compound "
        "coefficient φ: pick φ for the compute you have.")
    figures.formulas(r"d = \alpha^{\phi},\; w = \beta^{\phi},\; r = \gamma^{\phi}",
                     r"\alpha \beta^2 \gamma^2 \approx 2 \;\Rightarrow\; \text{FLOPs} \propto "
                     r"d\,w^2 r^2 \approx 2^{\phi}",
                     r"(\alpha=1.2,\ \beta=1.1,\ \gamma=1.15)")
    phi = st.slider("compound coefficient φ", 0.0, 7.0, 1.0, 0.1, key="arch-eff-phi")
    cs = arch.compound_scaling(phi)
    m = st.columns(5)
    m[0].metric("depth ×", f"{cs['depth']:.2f}")
    m[1].metric("width ×", f"{cs['width']:.2f}")
    m[2].metric("resolution", f"{cs['resolution_px']} px", help=f"224 × {cs['resolution']:.3f}")
    m[3].metric("FLOPs ×", f"{cs['flops']:.2f}", help="(α β² γ²)^φ = 1.920^φ")
    m[4].metric("2^φ", f"{2 ** phi:.2f}")
    figures.show(_scaling_plot(phi), "arch-eff-curves", width="stretch")
    _released()
    with st.expander("How it works"):
        st.markdown(
            "- `core.architectures.compound_scaling(phi, alpha=1.2, beta=1.1, gamma=1.15)` → "
            "depth, width, resolution and the FLOPs factor d·w²·r².\n"
            "- `EFFICIENTNET_CONFIGS` holds the B0–B7 multipliers of torchvision's builders "
            "(the tests check them against the built networks); params, GMACs and top-1 come "
            "from `weights.meta` via `comparison_table()`; `implied_phi(config)` reads φ back.")


def _scaling_plot(phi: float) -> go.Figure:
    phis = np.linspace(0, 7, 71)
    fig = go.Figure()
    for key_, colour, label in (("depth", BLUE, "depth d = 1.2^φ"),
                                ("width", ORANGE, "width w = 1.1^φ"),
                                ("resolution", GREEN, "resolution r = 1.15^φ"),
                                ("flops", PURPLE, "FLOPs (1.92^φ)")):
        fig.add_trace(go.Scatter(x=phis, y=[arch.compound_scaling(p)[key_] for p in phis],
                                 name=label, line={"color": colour}))
    fig.add_trace(go.Scatter(x=phis, y=2 ** phis, name="2^φ", line={"color": GREY, "dash": "dot"}))
    fig.add_vline(x=phi, line_color="#999")
    vals, text = log_ticks(1, 2 ** 7)
    fig.update_yaxes(type="log", title="multiplier (log)", tickvals=vals, ticktext=text)
    fig.update_layout(height=round(330 * figures.sizes().scale),  # taller when presenting
                      xaxis_title="φ", margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      legend={"orientation": "h", "y": -0.25})
    return fig


def _released() -> None:
    st.subheader("The released EfficientNet-B0 … B7")
    meta = {r["name"]: r for r in cached_comparison("original")}
    rows = []
    for name, cfg in arch.EFFICIENTNET_CONFIGS.items():
        ph = arch.implied_phi(cfg)
        r = meta.get(name, {})
        rows.append({"model": arch.ARCHITECTURES[name].title, "width ×": cfg["width"],
                     "depth ×": cfg["depth"], "resolution": cfg["resolution"],
                     "φ from depth": round(ph["from_depth"], 2),
                     "φ from width": round(ph["from_width"], 2),
                     "φ from resolution": round(ph["from_resolution"], 2),
                     "params": r.get("params"), "GMACs": r.get("gmacs"),
                     "top-1 %": r.get("top1")})
    figures.table(st, rows, hide_index=True, column_config={"params": LOCALIZED})
    b0 = rows[0]["GMACs"]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=list(range(8)), y=[r["GMACs"] for r in rows], name="real GMACs",
                             mode="lines+markers+text", text=[r["model"][-2:] for r in rows],
                             textposition="top left", line={"color": PURPLE}))
    fig.add_trace(go.Scatter(x=list(range(8)), y=[b0 * 2 ** k for k in range(8)],
                             name="B0 × 2^k", line={"color": GREY, "dash": "dot"}))
    vals, text = log_ticks(min(r["GMACs"] for r in rows) / 1.3, b0 * 2 ** 7 * 1.3)
    fig.update_yaxes(type="log", title="GMACs per image (log)", tickvals=vals, ticktext=text)
    fig.update_layout(height=round(300 * figures.sizes().scale),  # taller when presenting
                      xaxis_title="k in B-k", margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      legend={"orientation": "h", "y": -0.3})
    figures.show(fig, "arch-eff-real", width="stretch")
    st.caption("torchvision evaluates its B2 weights at 288 px (the paper: 260), so its GMACs "
               "and top-1 for B2 are for 288 px. "
               "The released models were tuned one by one (the paper fixed α, β, γ by a small "
               "grid search on B0, then picked the larger models' multipliers), so their φ "
               "read back from depth, width and resolution disagree a little — but each step "
               "B-k → B-k+1 roughly doubles the compute, as 2^φ says.")
