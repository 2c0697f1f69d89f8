"""Segmentation › Segment images: the bundled U-Net or YOLO11n-seg on a scene, a picture or the webcam."""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from core import zoo
from core.segmentation import data, metrics
from core.segmentation.infer import segment_frame, yolo_segment_frame
from core.segmentation.show import to_display
from dashboard import figures
from dashboard.cache import get_model
from dashboard.widgets import download_png, image_input, provenance_badge

from .common import bundled_or_error

PRED_TRAINED = 64  # the bundled recipe's image size (assets/unet_shapes.md)
MODELS = {"unet": "U-Net (bundled, generated shapes)", "yolo": "YOLO11n-seg (COCO, if its weights are here)"}


def render() -> None:
    st.subheader("Segment a picture")
    c1, c2 = st.columns([2, 1])
    which = c1.radio("Model", list(MODELS), format_func=MODELS.get, horizontal=True, key="seg-pred-model")
    alpha = c2.slider("mask opacity α", 0.0, 1.0, 0.5, 0.05, key="seg-pred-alpha")
    source = st.radio("Picture", ["Generated scene (with ground truth)", "Sample, upload or camera"],
                      horizontal=True, key="seg-pred-source")
    image, truth = None, None
    if source.startswith("Generated"):
        g1, g2 = st.columns(2)
        gseed = g1.number_input("scene seed", 0, 1_000_000, 22, key="seg-pred-seed")
        gsize = g2.select_slider("size", [48, 64, 80, 96, 128, 160, 256], PRED_TRAINED, key="seg-pred-size")
        image, truth = data.scene(int(gseed), int(gsize))
        st.caption(f"The bundled U-Net was trained on {PRED_TRAINED}×{PRED_TRAINED} scenes; other sizes "
                   "change the shapes' size in pixels, which it has not seen.")
    else:
        image = image_input("seg-pred-img", default="coins", max_side=1024)
    lm, work_side = None, None
    if which == "unet":
        lm = bundled_or_error()
        if lm is not None and truth is None:
            work_side = st.slider("working size (px, longer side)", 48, 512, 128, 16, key="seg-pred-work",
                                  help="The U-Net learned shapes 20–40 px across; the picture is resized to "
                                       "this size, segmented, and the mask enlarged back.")
    else:
        try:
            lm = get_model("yolo11n-seg")
        except zoo.ModelUnavailable as e:
            st.info(f"YOLO11n-seg cannot be loaded here ({e}). Choose the bundled U-Net, or run "
                    "`cnnlab prefetch` on a machine with a network.", icon=":material/cloud_off:")
    if lm is not None:
        provenance_badge(lm)
    if lm is not None and image is not None:
        _result(lm, which, image, truth, alpha, work_side)
    if which == "unet" and lm is not None and st.toggle(
            "Webcam live mode", key="seg-live-on",
            help="Streams your webcam through the same frame function, segment_frame."):
        from dashboard.live import live_view

        live_view("seg-live", segment_frame, {"model": lm, "alpha": alpha, "work_side": work_side or 128},
                  default_side=320, default_fps=10)
    with st.expander("How it works"):
        st.latex(r"\mathrm{IoU}_k = \frac{TP_k}{TP_k+FP_k+FN_k}\qquad "
                 r"\mathrm{Dice}_k = \frac{2\,TP_k}{2\,TP_k+FP_k+FN_k}\qquad "
                 r"\mathrm{mIoU} = \frac1K\sum_k \mathrm{IoU}_k")
        st.markdown(
            "- `core.segmentation.infer.segment_frame(frame, model, alpha)` → overlay, mask, area per "
            "class: the frame function shared by still images, camera snapshots and live video.\n"
            "- The U-Net's scores are computed at the working size and bilinearly enlarged back before "
            "the arg-max (`predict_logits`).\n"
            "- `core.segmentation.metrics`: one confusion matrix per picture; IoU, Dice and pixel "
            "accuracy all come from it.\n"
            "- YOLO11n-seg (through `core.zoo`) predicts *instance* masks; `yolo_semantic_mask` paints "
            "them into one class map, higher confidence on top.")


def _result(lm, which: str, image, truth, alpha: float, work_side: int | None) -> None:
    """Input (or ground truth), prediction, area per class, and IoU/Dice when there is a truth."""
    if which == "unet":
        with lm.lock:
            res = segment_frame(image, lm, alpha, work_side=work_side)
        colours = {n: "#%02x%02x%02x" % tuple(data.PALETTE[i]) for i, n in enumerate(data.CLASSES)}
    else:
        res = yolo_segment_frame(image, lm, alpha)
        colours = {}
    zoom = max(1, 320 // max(image.shape[:2]))
    a, b, left = st.columns(3)
    a.image(to_display(image if truth is None else data.overlay(image, truth, alpha), zoom),
            caption="input" if truth is None else "ground truth", width="stretch")
    b.image(to_display(res.image, zoom), caption=f"prediction ({res.seconds * 1000:.0f} ms)",
            width="stretch")
    with b:
        download_png(res.image, "segmentation.png", key="seg-pred-dl")
    right = st.container()
    names = [n for n in res.areas if n != "background"]
    fig = go.Figure(go.Bar(x=names, y=[100 * res.areas[n] for n in names],
                           marker_color=[colours.get(n, "#888888") for n in names]))
    fig.update_layout(height=round(260 * figures.sizes().scale),  # taller when presenting
                      margin=dict(l=10, r=10, t=30, b=10), yaxis_title="% of pixels",
                      title=dict(text="Area per class", font=dict(size=figures.sizes().title_font)))
    figures.show(fig, slot=left, width="stretch")
    with right:
        if truth is not None and which == "unet":
            _scores(truth, res.mask)
        else:
            st.caption("No ground truth for this picture, so no IoU: choose a generated scene to "
                       "see IoU and Dice per class.")
            if which == "unet":
                st.caption("The bundled U-Net only ever saw circles, squares and triangles; on photos "
                           "it marks whatever looks like those (round coins are a fair test).")


def _scores(truth, mask) -> None:
    rep = metrics.scores(truth, mask, len(data.CLASSES), data.CLASSES)
    st.dataframe({"class": list(data.CLASSES),
                  "IoU": [rep["iou"][n] for n in data.CLASSES],
                  "Dice": [rep["dice"][n] for n in data.CLASSES],
                  "true px": [rep["true_pixels"][n] for n in data.CLASSES],
                  "predicted px": [rep["predicted_pixels"][n] for n in data.CLASSES]},
                 hide_index=True, width="stretch",
                 column_config={"IoU": st.column_config.NumberColumn(format="%.3f"),
                                "Dice": st.column_config.NumberColumn(format="%.3f")})
    m1, m2 = st.columns(2)
    m1.metric("mean IoU", f"{rep['mean_iou']:.3f}")
    m2.metric("pixel accuracy", f"{rep['pixel_accuracy']:.3f}")
