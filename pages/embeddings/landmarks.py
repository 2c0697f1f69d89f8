"""Embeddings › Faces & landmarks: detect, find 68 landmarks, align and embed every face."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.embeddings import faces
from dashboard import figures
from dashboard.i18n import N_, _, shown, tr
from dashboard.widgets import download_png, image_input

from .common import face_models, find_faces

DETECTOR_TITLES = {"hog": N_("dlib HOG + SVM"), "haar": N_("OpenCV Haar cascade")}
# per detector: slider low end (what is detected at all), high end, default, what the score is
SCORE_RANGE = {
    "hog": (0.0, 3.0, faces.MIN_SCORE["hog"], N_("The SVM's margin: above 1 is a clear face; "
            "the mission patch on the astronaut's suit scores about 0.1.")),
    "haar": (0.0, 10.0, 3.0, N_("The cascade's confidence (weight of its last stage): real faces "
             "in the samples score 3–8; the crowd beside Zidane fools it at about 2.5.")),
}


def render() -> None:
    st.write(_("A face system in four steps: **detect** the face, find its **landmarks**, "
               "**align** it (eyes and nose moved to fixed places) and **embed** it as 128 numbers. "
               "The notes' landmark network outputs 1 + 2·n numbers — is there a face, then (x, y) "
               "for each of n points: 64 points → 1 + 64 × 2 = 129 outputs; dlib's 68 → 137."))
    st.latex(r"y = [\,p_c,\ l_{1x},\ l_{1y},\ \dots,\ l_{64x},\ l_{64y}\,]^{\mathsf T}"
             r"\in\mathbb{R}^{1+2\cdot 64=129}")
    left, right = st.columns([1, 1], gap="large")
    with left:
        image = image_input("emb-faces", default="astronaut", max_side=1600)
    with right:
        detector = st.radio(_("Detector"), faces.DETECTORS, horizontal=True, key="emb-faces-det",
                            format_func=shown(faces.DETECTORS, _title))
        lo, hi, default, what = SCORE_RANGE[detector]
        min_score = st.slider(_("Minimum detector score"), lo, hi, default, 0.05,
                              key=f"emb-faces-min-{detector}", help=_(what))
        show_lm = st.toggle(_("Show 68 landmarks"), value=True, key="emb-faces-lm")
        with st.expander(_("Advanced")):
            upsample = st.slider(_("Upsample before HOG (finds smaller faces, slower)"), 0, 2, 1,
                                 key="emb-faces-up")
    if image is None:
        return
    m = face_models()
    if m is None:
        return
    st.badge(_("dlib ResNet face descriptor · pretrained"), icon=":material/verified:", color="green")
    st.caption(tr(m.provenance))
    found = find_faces(image, detector, upsample, min_score=lo)
    dropped = []
    if found:
        fp = f"{detector}-{upsample}-{image.shape[0]}x{image.shape[1]}-{hash(image.tobytes()) & 0xFFFFFF:x}"
        with right:
            dropped = st.multiselect(
                _("Drop false detections"), range(len(found)), key=f"emb-faces-drop-{fp}",
                format_func=shown(range(len(found)), lambda k: _("face {n} (score {score:.2f})").format(
                    n=k + 1, score=found[k].score)),
                placeholder=_("Choose options"),
                help=_("A detector also fires on things that are not faces; a dropped box gets "
                       "no landmarks and no descriptor."))
    kept = faces.kept_faces(found, min_score, dropped)
    annotated = faces.draw_faces(image, found, show_landmarks=show_lm, kept=kept,
                                 texts={k: _(v) for k, v in faces.FACE_TEXTS.items()})
    n_kept = sum(kept)
    st.image(annotated, width="stretch",
             caption=_("{detector}: {found} candidate(s), {kept} kept (score ≥ {score:.2f}, not "
                       "dropped); grey dashed boxes are dropped").format(
                           detector=_title(detector), found=len(found), kept=n_kept, score=min_score))
    download_png(annotated, "faces.png", key="emb-faces-dl")
    if found:
        figures.table(st, pd.DataFrame([{_("face"): i + 1, _("box (x0, y0, x1, y1)"): str(f.box),
                                    _("size px"): f.size, _("detector score"): round(f.score, 2),
                                    _("described"): _("yes") if k else (
                                        _("no: dropped by hand") if i in dropped else
                                        _("no: score below {score:.2f}").format(score=min_score))}
                                   for i, (f, k) in enumerate(zip(found, kept))]), hide_index=True)
    if not n_kept:
        st.warning(_("No face kept. Lower the minimum score, try the other detector, more "
                     "upsampling, or a frontal face.") if not found else
                   _("Every candidate is dropped: lower the minimum score or keep one."))
        return
    listed = [i for i, k in enumerate(kept) if k][:6]
    for i in listed:
        f = found[i]
        st.markdown(_("**Face {n}** — box {box}, detector score {score:.2f}").format(
            n=i + 1, box=f.box, score=f.score))
        a, b, c = st.columns([1, 1, 2])
        a.image(faces.landmarks_closeup(image, f), caption=_("68 landmarks"), width="stretch")
        b.image(f.chip, caption=_("aligned 150×150 chip"), width="stretch")
        hm = figures.heatmap(f.descriptor.reshape(8, 16), _("128-D descriptor (8×16)"), annotate=False,
                             colorscale=figures.DIVERGING, height=170, zmid=0.0, square=False, gap=0)
        figures.show(hm, key=f"emb-faces-desc-{i}", slot=c, width="stretch")
    if n_kept > len(listed):
        st.caption(_("The first {n} of {kept} kept faces are shown.").format(n=len(listed), kept=n_kept))
    with st.expander(_("How it works")):
        st.markdown(_(
            "- `core.embeddings.faces.detect(image, 'hog' | 'haar')`: dlib's HOG + linear SVM "
            "(frontal faces ≥ 80 px, or smaller after upsampling) or OpenCV's Viola–Jones cascade; "
            "each box has a score, and `faces.kept_faces(found, min_score, dropped)` says which "
            "ones get a descriptor.\n"
            "- `faces.landmarks(image, box, 68 | 5)`: dlib's regression-tree shape predictors.\n"
            "- `faces.align(image, box)`: similarity transform fitted to the 5 landmarks → 150×150 chip.\n"
            "- `faces.embed_faces(image)` runs all steps; the descriptor is dlib's ResNet "
            "(`face-recognition-models` package) — same person usually < 0.6 apart.\n"
            "- Uploaded pictures stay in memory; nothing is written to disk."))


def _title(detector: str) -> str:
    """A detector's name as shown: dlib's stays, OpenCV's cascade is translated."""
    return _(DETECTOR_TITLES[detector])
