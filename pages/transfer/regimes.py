"""Transfer learning › Three regimes, measured: freeze all but the classifier, freeze early and
fine-tune later, train from scratch — held-out accuracy against training pictures per class on
scikit-image's lfw_subset (prepared sweep, one point rerun live)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.transfer import regimes as R
from dashboard import figures, jobs
from dashboard.widgets import how_it_works, model_or_error

PREPARED = Path(__file__).resolve().parents[2] / "assets" / "transfer_regimes.json"
COLOUR = {"frozen": "#1565c0", "finetune": "#43a047", "scratch": "#e53935"}
LIVE = "tl-reg-live"


@st.cache_data(show_spinner=False)
def _prepared() -> dict | None:
    return R.load_prepared(PREPARED)


@st.cache_data(show_spinner=False)
def _thumbs() -> list[np.ndarray]:
    x, _ = R.lfw()
    return [R.as_rgb(x[i:i + 1], 100)[0] for i in (0, 1, 2, 3, 100, 101, 102, 103)]


def _lite0():
    """EfficientNet-Lite0 (what the sweep was made with): a copy already loaded (the Teach tab's
    "imagenet" offline) rather than a second one."""
    from dashboard.cache import loaded_models

    same = [m for m in loaded_models() if m.name == "efficientnet_lite0"]
    return same[0] if same else model_or_error("efficientnet_lite0")


def _figure(summary: dict, live: list[dict]) -> go.Figure:
    s = figures.sizes()
    fig = go.Figure()
    for g, d in summary.items():
        ns = sorted(int(n) for n in d)
        mean = [d[str(n)][0] for n in ns]
        sd = [d[str(n)][1] for n in ns]
        fig.add_trace(go.Scatter(x=ns, y=mean, name=R.REGIMES[g], mode="lines+markers",
                                 line=dict(color=COLOUR[g], width=3), marker=dict(size=9),
                                 error_y=dict(type="data", array=sd, visible=True, thickness=1.2)))
    for r in live:
        fig.add_trace(go.Scatter(x=[r["n"]], y=[r["accuracy"]], mode="markers", showlegend=False,
                                 name=f"live: {R.REGIMES[r['regime']]}",
                                 marker=dict(symbol="star", size=18, color=COLOUR[r["regime"]],
                                             line=dict(color="black", width=1))))
    fig.update_layout(height=round(380 * s.scale), margin=dict(l=10, r=10, t=40, b=10),
                      title=dict(text="Held-out accuracy (100 pictures) against training pictures per class",
                                 font=dict(size=s.title_font)),
                      xaxis=dict(title="training pictures per class (log scale)", type="log",
                                 tickvals=list(R.SIZES)),
                      yaxis=dict(title="accuracy", tickformat=".0%", range=[0.5, 1.02]),
                      legend=dict(orientation="h", y=-0.25))
    fig.add_hline(y=0.5, line_dash="dot", line_color="#999")
    return fig


def _table(summary: dict) -> pd.DataFrame:
    rows = []
    for n in R.SIZES:
        row = {"pictures per class": n}
        for g in R.REGIMES:
            m, sd = summary[g][str(n)]
            row[R.REGIMES[g]] = f"{m:.1%} ± {sd:.1%}"
        rows.append(row)
    return pd.DataFrame(rows)


def render() -> None:
    st.write("Three ways to use a pretrained network, from the least data to the most: **freeze everything** "
             "and train only a new classifier; **freeze the early layers** (edges, textures) and fine-tune "
             "the later ones; or **train everything from scratch**. The task: faces against non-faces "
             "(scikit-image's `lfw_subset`, 25×25 grey). ImageNet has no face class, yet its features know "
             "faces as parts of people and animals.")
    cols = st.columns(8)
    for c, im, t in zip(cols, _thumbs(), ["face"] * 4 + ["not a face"] * 4):
        c.image(im, caption=t, width="stretch")
    data = _prepared()
    if data is None:
        st.error("The prepared sweep (assets/transfer_regimes.json) is missing; "
                 "run `python scripts/make_transfer_assets.py`.")
        return
    live: list[dict] = st.session_state.setdefault("tl-reg-points", [])
    st.badge("prepared ahead", icon=":material/schedule:", color="blue")
    st.caption(f"Computed by `scripts/make_transfer_assets.py` with this lab's code "
               f"({len(data['rows'])} trainings, {data['seconds']:.0f} s on {data['machine']}); "
               f"mean ± standard deviation over seeds {', '.join(map(str, data['seeds']))} (which pictures "
               "are drawn). Stars: points you reran below.")
    figures.show(_figure(data["summary"], live), "tl-reg-plot", width="stretch")
    figures.table(st, _table(data["summary"]), hide_index=True)
    sm = data["summary"]
    st.markdown(f"With **2 pictures per class**, the frozen ImageNet features reach "
                f"**{sm['frozen']['2'][0]:.0%}** and fine-tuning **{sm['finetune']['2'][0]:.0%}**, the network "
                f"from scratch **{sm['scratch']['2'][0]:.0%}**. With 50 per class all three are at "
                f"{min(sm[g]['50'][0] for g in sm):.0%} or more: pretrained features matter most when data is scarce.")
    st.markdown("**Rerun one point live**")
    c1, c2, c3 = st.columns(3)
    regime = c1.selectbox("Regime", list(R.REGIMES), format_func=R.REGIMES.get, key="tl-reg-regime")
    n = c2.select_slider("Training pictures per class", list(R.SIZES), 2, key="tl-reg-n")
    seed = c3.number_input("Seed (which pictures)", 0, 999, 0, key="tl-reg-seed")
    took = [r["seconds"] for r in data["rows"] if r["regime"] == regime and r["n"] == n]
    go_btn = st.button("Train this point", type="primary", key="tl-reg-go", icon=":material/play_arrow:",
                       help=f"Measured ahead: about {np.mean(took):.1f} s on one core" if took else None)
    if go_btn:
        lm = _lite0() if regime != "scratch" else None
        if regime != "scratch" and lm is None:
            return
        last = jobs.follow(R.train_point(regime, int(n), int(seed), lm), LIVE, keep=True,
                           stop_help="Stops this training; nothing is added to the plot.")
        if last is not None and last.accuracy is not None:
            live.append({"regime": regime, "n": int(n), "seed": int(seed), "accuracy": last.accuracy})
            st.rerun()
    if live:
        r = live[-1]
        prepared = [x["accuracy"] for x in data["rows"]
                    if x["regime"] == r["regime"] and x["n"] == r["n"] and x["seed"] == r["seed"]]
        same = f" (prepared run with the same seed: {prepared[0]:.1%})" if prepared else ""
        st.success(f"Live: {R.REGIMES[r['regime']]}, {r['n']} per class, seed {r['seed']}: "
                   f"held-out accuracy **{r['accuracy']:.1%}**{same}.")
    how_it_works(
        "- Data: `core.transfer.regimes.lfw()`; a fixed half (50 faces + 50 non-faces) is the test set, "
        "the first *n* of each class of the other half (shuffled by the seed) train.\n"
        f"- The ImageNet network (EfficientNet-Lite0) sees the pictures enlarged to {R.SIDE}×{R.SIDE}, grey "
        "copied into R, G and B, normalised with its own mean and std.\n"
        "- **Freeze all**: pooled features of the last stage, computed once; a linear softmax head "
        "(`core.transfer.train_head`, 150 steps).\n"
        f"- **Fine-tune**: `blocks[0..{R.SPLIT_AT - 1}]` frozen, their output computed once and stored (the notes: "
        f"precompute the frozen part); `blocks[{R.SPLIT_AT}..]`, `conv_head` and a new classifier trained on "
        f"a copy ({R.FINETUNE_EPOCHS} full-batch Adam steps, lr 1e-4 for the copied layers, 1e-3 for the new "
        "one; batch-norm statistics kept).\n"
        f"- **From scratch**: `SmallCNN` (two conv + pool stages, 25×25 input) from random weights, "
        f"{R.SCRATCH_EPOCHS} Adam steps.\n"
        "- `core.transfer.regimes.train_point` runs one of them; `sweep` all, as iterators of snapshots.")
