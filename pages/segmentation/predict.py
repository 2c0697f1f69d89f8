"""Segmentation › Segment images: a pretrained VOC segmenter, YOLO11n-seg or the bundled U-Net on a
picture, a generated scene or the webcam."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from core import zoo
from core.segmentation import data, metrics
from core.segmentation.infer import choose_work_side, model_kind, segment_frame
from core.segmentation.show import to_display
from dashboard import figures
from dashboard.cache import get_model
from dashboard.i18n import N_, _, ngettext, opt, shown, tr
from dashboard.widgets import download_png, image_input, provenance_badge

MODELS = {"lraspp-mobilenet-v3": N_("LR-ASPP MobileNetV3 — 21 VOC classes (people, animals, vehicles…), fast"),
          "deeplabv3-mobilenet-v3": N_("DeepLabV3 MobileNetV3 — 21 VOC classes, a little more accurate"),
          "yolo11n-seg": N_("YOLO11n-seg — 80 COCO classes, one mask per object"),
          "unet-shapes": N_("U-Net trained by this lab — generated circles, squares, triangles only")}
SOURCES = [N_("Generated scene (with ground truth)"), N_("Sample, upload or camera")]
PHOTOS = ["bus", "zidane", "chelsea", "astronaut", "coffee", "rocket", "coins", "china", "flower", "camera"]


@st.cache_data(show_spinner=False, max_entries=32)
def _auto_side_cached(model_name: str, image: np.ndarray):
    lm = get_model(model_name)
    with lm.lock:
        return choose_work_side(lm, image)


def _auto_side(model_name: str, image: np.ndarray):
    with st.spinner(_("Choosing the working size…")):
        return _auto_side_cached(model_name, image)


def render() -> None:
    st.subheader(_("Segment a picture"))
    c1, c2 = st.columns([2, 1])
    name = c1.selectbox(_("Model"), list(MODELS), format_func=shown(MODELS, lambda k: _(MODELS[k])), key="seg-pred-model")
    alpha = c2.slider(_("mask opacity α"), 0.0, 1.0, 0.5, 0.05, key="seg-pred-alpha")
    try:
        lm = get_model(name)
    except zoo.ModelUnavailable as e:
        st.info(_("{model} cannot be loaded here: {error} Choose another model; "
                  "`cnnlab prefetch` on a machine with a network fetches it.").format(
                      model=zoo.get_entry(name).title, error=tr(e.args[0]) if len(e.args) == 1 else e),
                icon=":material/cloud_off:")
        return
    provenance_badge(lm)
    kind = model_kind(lm)
    if kind == "unet":
        if lm.fallback:
            st.info(_("The photo model's weights cannot be had here (offline), so the **U-Net this lab "
                    "trained on generated shapes** stands in. It knows three classes — circle, square, "
                    "triangle — and nothing else: it cannot find people, animals or objects in a photo; "
                    "on one it paints whatever *looks like* those shapes. So this tab opens on a generated "
                    "scene with its ground truth. `cnnlab prefetch` on a machine with a network fetches "
                    "LR-ASPP and DeepLabV3 (21 VOC classes)."), icon=":material/offline_bolt:")
        source = st.radio(_("Picture"), SOURCES, horizontal=True, key="seg-pred-source", format_func=opt)
    else:
        source = "photo"
    image, truth, work_side = None, None, None
    if source.startswith("Generated"):
        g1, g2 = st.columns(2)
        gseed = g1.number_input(_("scene seed"), 0, 1_000_000, 21, key="seg-pred-seed",
                                help=_("Every seed is another scene. At 128 px the bundled U-Net's mean IoU "
                                       "is about 0.8 on average (0.56–0.99 over seeds 20–39)."))
        gsize = g2.select_slider(_("size (px)"), [48, 64, 96, 128, 192, 256], 128, key="seg-pred-size")
        image, truth = data.scene(int(gseed), int(gsize))
    else:
        image = image_input("seg-pred-img", default="coins" if kind == "unet" else "bus",
                            samples=PHOTOS, max_side=1024)
    if image is None:
        return
    if kind == "unet":
        work_side = _working_size(name, image)
    elif kind == "yolo":
        conf = st.slider(_("confidence threshold"), 0.05, 0.95, 0.25, 0.05, key="seg-pred-conf")
    else:
        st.caption(_("The picture is scaled to {side} px on its shorter side, as the "
                     "weights' own transforms say (`weights.transforms()`), and the scores enlarged back.").format(
                         side=lm.transforms.resize))
    _result(lm, kind, image, truth, alpha, work_side, conf if kind == "yolo" else 0.25)
    if st.toggle(_("Webcam live mode"), key="seg-live-on",
                 help=_("Streams your webcam through the same frame function, segment_frame.")):
        from dashboard.live import live_view

        live_view("seg-live", segment_frame,
                  {"model": lm, "alpha": alpha, "work_side": work_side or (320 if kind == "torchvision" else None)},
                  default_side=320, default_fps=10)
    with st.expander(_("How it works")):
        st.latex(r"\mathrm{IoU}_k = \frac{TP_k}{TP_k+FP_k+FN_k}\qquad "
                 r"\mathrm{Dice}_k = \frac{2\,TP_k}{2\,TP_k+FP_k+FN_k}\qquad "
                 r"\mathrm{mIoU} = \frac1K\sum_k \mathrm{IoU}_k")
        st.markdown(_(
            "- `core.segmentation.infer.segment_frame(frame, model, alpha)` → overlay, mask, area per "
            "class, for every kind of model: the frame function shared by still images, camera "
            "snapshots and live video.\n"
            "- LR-ASPP / DeepLabV3 (`core.segmentation.photo.torchvision_logits`): shorter side 520 px, "
            "ImageNet mean/std (from the weights enum), `model(x)[\"out\"]` gives 21 scores per pixel, "
            "enlarged back bilinearly; the arg-max is the class.\n"
            "- YOLO11n-seg predicts *instances* (a box and a mask per object); `yolo_semantic_mask` "
            "paints them into one class map, higher confidence on top.\n"
            "- The U-Net's working size: `choose_work_side` segments the picture at several sizes and "
            "keeps the one where the regions it finds are as large as the shapes it learned (20–41 px).\n"
            "- `core.segmentation.metrics`: one confusion matrix per picture; IoU, Dice and pixel "
            "accuracy all come from it."))


def _working_size(name: str, image: np.ndarray) -> int:
    auto = st.toggle(_("Choose the working size from the picture"), value=True, key="seg-pred-auto",
                     help=_("The U-Net learned shapes 20–41 px across. The picture is segmented at several "
                            "sizes and the one where its regions come out that large is kept."))
    if auto:
        ws = _auto_side(name, image)
        st.caption(_("Working size **{side} px** (longer side): {why}.").format(side=ws.side, why=tr(ws.why)))
        return ws.side
    return st.slider(_("working size (px, longer side)"), 48, 512, 128, 16, key="seg-pred-work",
                     help=_("The picture is resized to this, segmented, and the mask enlarged back."))


def _result(lm, kind: str, image, truth, alpha: float, work_side: int | None, conf: float) -> None:
    """Input (or ground truth), prediction, area per class, and IoU/Dice when there is a truth."""
    with lm.lock:
        res = segment_frame(image, lm, alpha, work_side=work_side, conf=conf)
    zoom = max(1, 320 // max(image.shape[:2]))
    a, b, left = st.columns(3)
    a.image(to_display(image if truth is None else data.overlay(image, truth, alpha), zoom),
            caption=_("input") if truth is None else _("ground truth"), width="stretch")
    ms = res.seconds * 1000
    b.image(to_display(res.image, zoom),
            caption=(ngettext("prediction ({n} object, {ms:.0f} ms)", "prediction ({n} objects, {ms:.0f} ms)",
                              res.instances).format(n=res.instances, ms=ms)
                     if res.instances is not None else _("prediction ({ms:.0f} ms)").format(ms=ms)),
            width="stretch")
    with b:
        download_png(res.image, "segmentation.png", key="seg-pred-dl")
    names = [n for n in res.areas if n != "background"]
    index = {n: i for i, n in enumerate(res.labels)}
    shown_name = _ if kind == "unet" else str       # the lab's shapes in Korean; VOC/COCO names stay
    fig = go.Figure(go.Bar(x=[shown_name(n) for n in names], y=[100 * res.areas[n] for n in names],
                           marker_color=["#%02x%02x%02x" % tuple(res.palette[index[n]]) for n in names],
                           marker_line=dict(color="#555555", width=1)))
    fig.update_layout(height=round(260 * figures.sizes().scale),  # taller when presenting
                      margin=dict(l=10, r=10, t=30, b=10), yaxis_title=_("% of pixels"),
                      title=dict(text=_("Area per class (bar = mask colour)"),
                                 font=dict(size=figures.sizes().title_font)))
    if names:
        figures.show(fig, slot=left, width="stretch")
    else:
        left.info(_("Nothing but background was found. Lower the confidence threshold to see weaker objects.")
                  if kind == "yolo" else _("Nothing but background was found."))
    if truth is not None:
        _scores(truth, res.mask)
    elif kind == "unet":
        st.warning(_("A shapes model on a photo: the colours say which of circle / square / triangle each "
                     "region *looks like*, not what it is. Round coins are a fair test; people are not. "
                     "There is no ground truth for a photo, so no IoU."), icon=":material/warning:")
    else:
        st.caption(_("No ground truth for this picture, so no IoU. Classes it knows: {classes}.").format(
            classes=", ".join(n for n in res.labels if n != "background")[:400]))


def _scores(truth, mask) -> None:
    rep = metrics.scores(truth, mask, len(data.CLASSES), data.CLASSES)
    m1, m2, tbl = st.columns([1, 1, 4])
    m1.metric(_("mean IoU"), f"{rep['mean_iou']:.3f}")
    m2.metric(_("pixel accuracy"), f"{rep['pixel_accuracy']:.3f}")
    figures.table(tbl, {_("class"): [_(n) for n in data.CLASSES],
                   "IoU": [rep["iou"][n] for n in data.CLASSES],
                   "Dice": [rep["dice"][n] for n in data.CLASSES],
                   _("true px"): [rep["true_pixels"][n] for n in data.CLASSES],
                   _("predicted px"): [rep["predicted_pixels"][n] for n in data.CLASSES]},
                  hide_index=True, width="stretch",
                  column_config={"IoU": st.column_config.NumberColumn(format="%.3f"),
                                 "Dice": st.column_config.NumberColumn(format="%.3f")})
