"""Segmentation › Train it yourself: a small U-Net trained live on generated scenes."""
from __future__ import annotations

import streamlit as st
import torch

from core.segmentation import data
from core.segmentation.train import DEFAULT_RUN, train, transfer_encoder
from core.segmentation.unet import UNet, shapes
from dashboard import figures, jobs
from dashboard.i18n import N_, _, shown

from .common import bundled_or_error

VAL_EVERY = 10      # validation mIoU (and the curve) every this many steps
STARTS = {"encoder": N_("the bundled U-Net's encoder (trained on shapes), a new decoder"),
          "scratch": N_("random weights (from scratch)")}
KEY = "seg-train-snap"


def render() -> None:
    st.subheader(_("Train a small U-Net yourself"))
    st.write(_("A fresh batch of generated scenes every step; per-pixel cross-entropy plus a soft Dice "
             "term; AdamW with warm-up and cosine decay. Watch the prediction on a fixed validation "
             "scene (left) approach the truth (right); the curve's mIoU is measured on 8 fixed scenes."))
    st.latex(r"\mathcal{L} = -\frac{1}{HW}\sum_{i}\log p_{i,y_i} \;+\; \tfrac12\Big(1 - \frac{1}{K}\sum_k "
             r"\frac{2\sum_i p_{ik}\,[y_i=k]}{\sum_i p_{ik} + \sum_i [y_i=k]}\Big)")
    d = DEFAULT_RUN
    start = st.radio(_("Start from"), list(STARTS), format_func=shown(STARTS, lambda k: _(STARTS[k])),
                     horizontal=True, key="seg-train-start",
                     help=_("Transfer learning: the encoder already tells shapes apart (it was trained "
                            "3200 steps with the bundled model); the decoder learns to use it in a few "
                            "hundred steps. From random weights the same run ends far lower: learning the "
                            "shapes themselves takes thousands of steps."))
    c1, c2, c3 = st.columns(3)
    steps = c1.number_input(_("steps"), 10, 3000, d["steps"], step=50, key="seg-train-steps")
    sizes = [48, 64, 80, 96]
    tsize = c2.selectbox(_("image size"), sizes, index=sizes.index(d["image_size"]), key="seg-train-size")
    tbatch = c3.number_input(_("batch size"), 1, 32, d["batch_size"], key="seg-train-batch")
    with st.expander(_("Advanced")):
        a1, a2, a3, a4 = st.columns(4)
        lrs = [1e-3, 2e-3, 4e-3, 8e-3, 1.6e-2]
        tlr = a1.select_slider(_("peak learning rate"), lrs, d["lr"], key="seg-train-lr")
        tbase = a2.selectbox(_("base width"), [4, 8, 12, 16], index=1, key="seg-train-base",
                             disabled=start == "encoder", help=_("The bundled encoder is base 8, depth 3."))
        tdepth = a3.selectbox(_("depth"), [2, 3, 4], index=1, key="seg-train-depth", disabled=start == "encoder")
        tseed = a4.number_input(_("seed"), 0, 10_000, d["seed"], key="seg-train-seed")
    if start == "encoder":
        tbase, tdepth = d["base"], d["depth"]
    net_params = sum(b.params for b in shapes(int(tsize), base=tbase, depth=tdepth))
    st.caption((_("UNet(3, 4, base={base}, depth={depth}): {n:,} parameters — encoder copied from the "
                  "bundled U-Net, decoder and head random.") if start == "encoder" else
                _("UNet(3, 4, base={base}, depth={depth}): {n:,} parameters, all random.")).format(
                    base=tbase, depth=tdepth, n=net_params))
    chart, picture, note = st.empty(), st.empty(), st.empty()
    stopped = jobs.interrupted(KEY)
    if st.button(_("Train"), type="primary", key="seg-train-go", icon=":material/play_arrow:"):
        bundled = bundled_or_error() if start == "encoder" else None
        if start == "encoder" and bundled is None:
            return
        torch.manual_seed(int(tseed))
        model = UNet(3, len(data.CLASSES), base=tbase, depth=tdepth)
        if bundled is not None:
            transfer_encoder(model, bundled)
        history = jobs.History()
        st.session_state["seg-train-hist"] = history
        st.session_state["seg-train-what"] = STARTS[start]

        def draw(snap) -> None:
            if (snap.step - 1) % VAL_EVERY == 0 or snap.step == snap.total:
                figures.show(loss_figure(history.rows), slot=chart, width="stretch")

        last = jobs.follow(train(model, steps=int(steps), batch_size=int(tbatch), image_size=int(tsize),
                                 lr=float(tlr), seed=int(tseed), val_every=VAL_EVERY, scale=4),
                           key=KEY, image_caption=_("validation scene: prediction | ground truth"),
                           every=2, history=history, on_snapshot=draw,
                           row=lambda s: {"step": s.step, "loss": s.loss, "val_miou": s.info["val_miou"],
                                          "seconds": s.info["seconds"]})
        if last is not None:
            _final(chart, picture, note, history, last, "done")
    elif "seg-train-hist" in st.session_state:
        snap = stopped or st.session_state.get(KEY)
        if snap is not None:
            _final(chart, picture, note, st.session_state["seg-train-hist"], snap,
                   "stopped" if snap.step < snap.total else "done")
    else:
        note.caption(_("Press **Train**: the loss curve and the validation prediction update as it learns. "
                       "The default ({steps} steps from the bundled encoder) reaches a validation mIoU "
                       "above 0.6 in about 30–40 s on a quiet 2-core CPU, 2–3 minutes when the server is busy "
                       "(bench/bench_seg_train.py); from random weights the same run ends far lower (0.46 after "
                       "600 steps) — the bundled model needed 3200 steps for 0.9.").format(steps=d["steps"]))
    with st.expander(_("How it works")):
        st.markdown(_(
            "- `core.segmentation.train.train(model, steps=…)` is an iterator of snapshots (step, loss, "
            "the validation overlay); the page draws each one and the **Stop** button simply ends the loop.\n"
            "- `transfer_encoder(model, bundled)` copies the contracting path (encoder blocks and "
            "bottleneck) of the bundled U-Net; everything is then trained together.\n"
            "- Data: `core.segmentation.data.batch(rng, n, size)` draws scenes with circles, squares and "
            "triangles in random colours and textures, overlapping, on cluttered backgrounds, with their masks.\n"
            "- Loss: `segmentation_loss` = cross-entropy + ½ soft Dice (`soft_dice_loss`); "
            "validation mIoU from `core.segmentation.metrics` on 8 fixed scenes (one confusion matrix).\n"
            "- The bundled model on the next tab was trained from scratch, 3200 steps, by "
            "`scripts/make_unet_assets.py` (see `assets/unet_shapes.md`)."))


def _final(chart, picture, note, history: jobs.History, snap, how: str) -> None:
    """What a finished or stopped run leaves on the page: its curve, its last validation picture."""
    if history.rows:   # keyed: the loop's last drawing of the same curve must not clash with it
        figures.show(loss_figure(history.rows), "seg-train-curve", slot=chart, width="stretch")
    if snap.image is not None:
        picture.image(snap.image, caption=_("validation scene at step {step}: prediction | ground truth").format(
            step=snap.step))
    what = _(st.session_state.get("seg-train-what", ""))
    text = (_("Done at step {step}/{total} ({what}): validation mIoU **{miou:.3f}**, loss {loss:.3f}, "
              "{seconds:.0f} s.") if how == "done" else
            _("Stopped at step {step}/{total} ({what}): validation mIoU **{miou:.3f}**, loss {loss:.3f}, "
              "{seconds:.0f} s.")).format(step=snap.step, total=snap.total, what=what, miou=snap.info["val_miou"],
                                          loss=snap.loss, seconds=history.seconds)
    passed = next((r for r in history.rows if r["val_miou"] >= 0.6), None)
    if passed is not None:
        text += " " + _("It passed mIoU 0.6 at step {step}, after {seconds:.0f} s.").format(
            step=passed["step"], seconds=passed["seconds"])
    (note.success if how == "done" else note.info)(text)


def loss_figure(rows: list[dict]):
    """Training loss per step and validation mIoU (right axis) at each step it was measured."""
    mious: list[tuple[int, float]] = []
    for r in rows:
        if not mious or mious[-1][1] != r["val_miou"]:      # a new validation
            mious.append((r["step"], r["val_miou"]))
    curves = [figures.Curve(_("training loss"), list(range(1, len(rows) + 1)), [r["loss"] for r in rows],
                            colour="#1e88e5")]
    if mious:
        curves.append(figures.Curve(_("validation mIoU"), [m[0] for m in mious], [m[1] for m in mious],
                                    colour="#e53935", mode="lines+markers", axis="y2"))
    # quarters on the right axis: plotly would sync its ticks to the loss grid (0.136, 0.407, …)
    return figures.loss_curves(curves, height=300, y_title=_("loss"), y2_title="mIoU", y2_range=(0, 1),
                               y2_ticks=(0, 0.25, 0.5, 0.75, 1), legend_y=1.15)
