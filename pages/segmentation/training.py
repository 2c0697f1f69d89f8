"""Segmentation › Train it yourself: a small U-Net trained live on generated scenes."""
from __future__ import annotations

import streamlit as st
import torch

from core.segmentation import data
from core.segmentation.train import train
from core.segmentation.unet import UNet, shapes
from dashboard import figures, jobs

VAL_EVERY = 10      # validation mIoU (and the curve) every this many steps


def render() -> None:
    st.subheader("Train a small U-Net yourself")
    st.write("A fresh batch of generated scenes every step; per-pixel cross-entropy plus a soft Dice "
             "term; AdamW with warm-up and cosine decay. Watch the prediction on a fixed validation "
             "scene (left) approach the truth (right).")
    st.latex(r"\mathcal{L} = -\frac{1}{HW}\sum_{i}\log p_{i,y_i} \;+\; \tfrac12\Big(1 - \frac{1}{K}\sum_k "
             r"\frac{2\sum_i p_{ik}\,[y_i=k]}{\sum_i p_{ik} + \sum_i [y_i=k]}\Big)")
    c1, c2, c3 = st.columns(3)
    steps = c1.number_input("steps", 10, 3000, 200, step=50, key="seg-train-steps")
    tbase = c2.selectbox("base width", [4, 8, 12, 16], index=1, key="seg-train-base")
    tsize = c3.selectbox("image size", [48, 64, 80, 96], index=1, key="seg-train-size")
    with st.expander("Advanced"):
        a1, a2, a3, a4 = st.columns(4)
        tbatch = a1.number_input("batch size", 1, 32, 8, key="seg-train-batch")
        tlr = a2.select_slider("peak learning rate", [1e-3, 2e-3, 4e-3, 8e-3, 1.6e-2], 8e-3, key="seg-train-lr")
        tdepth = a3.selectbox("depth", [2, 3, 4], index=1, key="seg-train-depth")
        tseed = a4.number_input("seed", 0, 10_000, 0, key="seg-train-seed")
    net_params = sum(b.params for b in shapes(int(tsize), base=tbase, depth=tdepth))
    st.caption(f"UNet(3, 4, base={tbase}, depth={tdepth}): {net_params:,} parameters.")
    chart = st.empty()
    jobs.interrupted("seg-train-snap")      # a stopped run: its curve and picture are drawn below
    if st.button("Train", type="primary", key="seg-train-go", icon=":material/play_arrow:"):
        torch.manual_seed(int(tseed))
        model = UNet(3, len(data.CLASSES), base=tbase, depth=tdepth)
        history = jobs.History()
        st.session_state["seg-train-hist"] = history

        def draw(snap) -> None:
            if (snap.step - 1) % VAL_EVERY == 0 or snap.step == snap.total:
                figures.show(loss_figure(history.rows), slot=chart, width="stretch")

        last = jobs.follow(train(model, steps=int(steps), batch_size=int(tbatch), image_size=int(tsize),
                                 lr=float(tlr), seed=int(tseed), val_every=VAL_EVERY, scale=3),
                           key="seg-train-snap", image_caption="validation scene: prediction | ground truth",
                           every=2, history=history, on_snapshot=draw,
                           row=lambda s: {"step": s.step, "loss": s.loss, "val_miou": s.info["val_miou"]})
        if last is not None:
            st.success(f"Done: {last.describe()} in {history.seconds:.0f} s.")
    elif "seg-train-hist" in st.session_state:
        history = st.session_state["seg-train-hist"]
        snap = st.session_state.get("seg-train-snap")
        if history.rows:
            figures.show(loss_figure(history.rows), slot=chart, width="stretch")
        if snap is not None:
            st.image(snap.image, caption=f"last run, stopped at {snap.describe()} — prediction | ground truth")
    else:
        st.caption("Press **Train**: the loss curve and the validation prediction update as it learns "
                   "(200 steps of an 8-wide net: about a minute on a laptop CPU, longer on a busy server; "
                   "the bundled model needed 3200 steps to reach mIoU 0.9).")
    with st.expander("How it works"):
        st.markdown(
            "- `core.segmentation.train.train(model, steps=…)` is an iterator of snapshots (step, loss, "
            "the validation overlay); the page draws each one and the **Stop** button simply ends the loop.\n"
            "- Data: `core.segmentation.data.batch(rng, n, size)` draws scenes with circles, squares and "
            "triangles in random colours and textures, overlapping, on cluttered backgrounds, with their masks.\n"
            "- Loss: `segmentation_loss` = cross-entropy + ½ soft Dice (`soft_dice_loss`); "
            "validation mIoU from `core.segmentation.metrics`.\n"
            "- The bundled model on the next tab was trained the same way, longer, by "
            "`scripts/make_unet_assets.py` (see `assets/unet_shapes.md`).")


def loss_figure(rows: list[dict]):
    """Training loss per step and validation mIoU (right axis) at each step it was measured."""
    mious: list[tuple[int, float]] = []
    for r in rows:
        if not mious or mious[-1][1] != r["val_miou"]:      # a new validation
            mious.append((r["step"], r["val_miou"]))
    curves = [figures.Curve("training loss", list(range(1, len(rows) + 1)), [r["loss"] for r in rows],
                            colour="#1e88e5")]
    if mious:
        curves.append(figures.Curve("validation mIoU", [m[0] for m in mious], [m[1] for m in mious],
                                    colour="#e53935", mode="lines+markers", axis="y2"))
    # quarters on the right axis: plotly would sync its ticks to the loss grid (0.136, 0.407, …)
    return figures.loss_curves(curves, height=300, y_title="loss", y2_title="mIoU", y2_range=(0, 1),
                               y2_ticks=(0, 0.25, 0.5, 0.75, 1), legend_y=1.15)
