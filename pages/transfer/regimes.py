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
from dashboard.i18n import N_, _, shown, tr
from dashboard.widgets import how_it_works, model_or_error

PREPARED = Path(__file__).resolve().parents[2] / "assets" / "transfer_regimes.json"
COLOUR = {"frozen": "#1565c0", "finetune": "#43a047", "scratch": "#e53935"}
LIVE = "tl-reg-live"


@st.cache_data(show_spinner=False)
def _prepared() -> dict | None:
    return R.load_prepared(PREPARED)


@st.cache_data(show_spinner=False)
def _thumbs() -> list[np.ndarray]:
    x, _labels = R.lfw()
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
        fig.add_trace(go.Scatter(x=ns, y=mean, name=tr(R.REGIMES[g]), mode="lines+markers",
                                 line=dict(color=COLOUR[g], width=3), marker=dict(size=9),
                                 error_y=dict(type="data", array=sd, visible=True, thickness=1.2)))
    for r in live:
        fig.add_trace(go.Scatter(x=[r["n"]], y=[r["accuracy"]], mode="markers", showlegend=False,
                                 name=_("live: {regime}").format(regime=tr(R.REGIMES[r["regime"]])),
                                 marker=dict(symbol="star", size=18, color=COLOUR[r["regime"]],
                                             line=dict(color="black", width=1))))
    fig.update_layout(height=round(380 * s.scale), margin=dict(l=10, r=10, t=40, b=10),
                      title=dict(text=_("Held-out accuracy (100 pictures) against training pictures per class"),
                                 font=dict(size=s.title_font)),
                      xaxis=dict(title=_("training pictures per class (log scale)"), type="log",
                                 tickvals=list(R.SIZES)),
                      yaxis=dict(title=_("accuracy"), tickformat=".0%", range=[0.5, 1.02]),
                      legend=dict(orientation="h", y=-0.25))
    fig.add_hline(y=0.5, line_dash="dot", line_color="#999")
    return fig


def _table(summary: dict) -> pd.DataFrame:
    rows = []
    for n in R.SIZES:
        row = {_("pictures per class"): n}
        for g in R.REGIMES:
            m, sd = summary[g][str(n)]
            row[tr(R.REGIMES[g])] = f"{m:.1%} ± {sd:.1%}"
        rows.append(row)
    return pd.DataFrame(rows)


def render() -> None:
    st.write(_("Three ways to use a pretrained network, from the least data to the most: **freeze everything** "
               "and train only a new classifier; **freeze the early layers** (edges, textures) and fine-tune "
               "the later ones; or **train everything from scratch**. The task: faces against non-faces "
               "(scikit-image's `lfw_subset`, 25×25 grey). ImageNet has no face class, yet its features know "
               "faces as parts of people and animals."))
    cols = st.columns(8)
    for c, im, t in zip(cols, _thumbs(), [_("face")] * 4 + [_("not a face")] * 4):
        c.image(im, caption=t, width="stretch")
    data = _prepared()
    if data is None:
        st.error(_("The prepared sweep (assets/transfer_regimes.json) is missing; "
                   "run `python scripts/make_transfer_assets.py`."))
        return
    live: list[dict] = st.session_state.setdefault("tl-reg-points", [])
    st.badge(_("prepared ahead"), icon=":material/schedule:", color="blue")
    st.caption(_("Computed by `scripts/make_transfer_assets.py` with this lab's code "
                 "({n} trainings, {seconds:.0f} s on {machine}); "
                 "mean ± standard deviation over seeds {seeds} (which pictures "
                 "are drawn). Stars: points you reran below.").format(
                     n=len(data["rows"]), seconds=data["seconds"], machine=data["machine"],
                     seeds=", ".join(map(str, data["seeds"]))))
    figures.show(_figure(data["summary"], live), "tl-reg-plot", width="stretch")
    figures.table(st, _table(data["summary"]), hide_index=True)
    sm = data["summary"]
    st.markdown(_("With **2 pictures per class**, the frozen ImageNet features reach "
                  "**{frozen:.0%}** and fine-tuning **{finetune:.0%}**, the network "
                  "from scratch **{scratch:.0%}**. With 50 per class all three are at "
                  "{least:.0%} or more: pretrained features matter most when data is scarce.").format(
                      frozen=sm["frozen"]["2"][0], finetune=sm["finetune"]["2"][0], scratch=sm["scratch"]["2"][0],
                      least=min(sm[g]["50"][0] for g in sm)))
    st.markdown(_("**Rerun one point live**"))
    c1, c2, c3 = st.columns(3)
    regime = c1.selectbox(_("Regime"), list(R.REGIMES), key="tl-reg-regime",
                          format_func=shown(list(R.REGIMES), lambda g: tr(R.REGIMES[g])))
    n = c2.select_slider(_("Training pictures per class"), list(R.SIZES), 2, key="tl-reg-n")
    seed = c3.number_input(_("Seed (which pictures)"), 0, 999, 0, key="tl-reg-seed")
    took = [r["seconds"] for r in data["rows"] if r["regime"] == regime and r["n"] == n]
    go_btn = st.button(_("Train this point"), type="primary", key="tl-reg-go", icon=":material/play_arrow:",
                       help=_("Measured ahead: about {s:.1f} s on one core").format(s=np.mean(took)) if took else None)
    if go_btn:
        lm = _lite0() if regime != "scratch" else None
        if regime != "scratch" and lm is None:
            return
        last = jobs.follow(R.train_point(regime, int(n), int(seed), lm), LIVE, keep=True,
                           stop_help=N_("Stops this training; nothing is added to the plot."))
        if last is not None and last.accuracy is not None:
            live.append({"regime": regime, "n": int(n), "seed": int(seed), "accuracy": last.accuracy})
            st.rerun()
    if live:
        r = live[-1]
        prepared = [x["accuracy"] for x in data["rows"]
                    if x["regime"] == r["regime"] and x["n"] == r["n"] and x["seed"] == r["seed"]]
        values = dict(regime=tr(R.REGIMES[r["regime"]]), n=r["n"], seed=r["seed"], accuracy=r["accuracy"])
        if prepared:
            st.success(_("Live: {regime}, {n} per class, seed {seed}: held-out accuracy **{accuracy:.1%}** "
                         "(prepared run with the same seed: {prepared:.1%}).").format(prepared=prepared[0], **values))
        else:
            st.success(_("Live: {regime}, {n} per class, seed {seed}: held-out accuracy "
                         "**{accuracy:.1%}**.").format(**values))
    how_it_works(_(
        "- Data: `core.transfer.regimes.lfw()`; a fixed half (50 faces + 50 non-faces) is the test set, "
        "the first *n* of each class of the other half (shuffled by the seed) train.\n"
        "- The ImageNet network (EfficientNet-Lite0) sees the pictures enlarged to {side}×{side}, grey "
        "copied into R, G and B, normalised with its own mean and std.\n"
        "- **Freeze all**: pooled features of the last stage, computed once; a linear softmax head "
        "(`core.transfer.train_head`, 150 steps).\n"
        "- **Fine-tune**: `blocks[0..{last_frozen}]` frozen, their output computed once and stored (the notes: "
        "precompute the frozen part); `blocks[{split}..]`, `conv_head` and a new classifier trained on "
        "a copy ({finetune} full-batch Adam steps, lr 1e-4 for the copied layers, 1e-3 for the new "
        "one; batch-norm statistics kept).\n"
        "- **From scratch**: `SmallCNN` (two conv + pool stages, 25×25 input) from random weights, "
        "{scratch} Adam steps.\n"
        "- `core.transfer.regimes.train_point` runs one of them; `sweep` all, as iterators of snapshots.").format(
            side=R.SIDE, last_frozen=R.SPLIT_AT - 1, split=R.SPLIT_AT, finetune=R.FINETUNE_EPOCHS,
            scratch=R.SCRATCH_EPOCHS))
