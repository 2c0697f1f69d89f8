"""Embeddings › Faces & landmarks: detect, find 68 landmarks, align and embed every face."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.embeddings import faces
from dashboard import figures
from dashboard.widgets import download_png, image_input

from .common import face_models, find_faces

DETECTOR_TITLES = {"hog": "dlib HOG + SVM", "haar": "OpenCV Haar cascade"}
# per detector: slider low end (what is detected at all), high end, default, what the score is
SCORE_RANGE = {
    "hog": (0.0, 3.0, faces.MIN_SCORE["hog"], "The SVM's margin: above 1 is a clear face; "
            "the mission patch on the astronaut's suit scores about 0.1."),
    "haar": (0.0, 10.0, 3.0, "The cascade's confidence (weight of its last stage): real faces "
             "in the samples score 3–8; the crowd beside Zidane fools it at about 2.5."),
}


def render() -> None:
    st.write("A face system in four steps: **detect** the face, find its **landmarks**, "
             "**align** it (eyes and nose moved to fixed places) and **embed** it as 128 numbers. "
             "The notes' landmark network outputs 1 + 2·n numbers — is there a face, then (x, y) "
             "for each of n points: 64 points → 1 + 64 × 2 = 129 outputs; dlib's 68 → 137.")
    st.latex(r"y = [\,p_c,\ l_{1x},\ l_{1y},\ \dots,\ l_{64x},\ l_{64y}\,]^{\mathsf T}"
             r"\in\mathbb{R}^{1+2\cdot 64=129}")
    left, right = st.columns([1, 1], gap="large")
    with left:
        image = image_input("emb-faces", default="astronaut", max_side=1600)
    with right:
        detector = st.radio("Detector", faces.DETECTORS, horizontal=True, key="emb-faces-det",
                            format_func=DETECTOR_TITLES.get)
        lo, hi, default, what = SCORE_RANGE[detector]
        min_score = st.slider("Minimum detector score", lo, hi, default, 0.05,
                              key=f"emb-faces-min-{detector}", help=what)
        show_lm = st.toggle("Show 68 landmarks", value=True, key="emb-faces-lm")
        with st.expander("Advanced"):
            upsample = st.slider("Upsample before HOG (finds smaller faces, slower)", 0, 2, 1,
                                 key="emb-faces-up")
    if image is None:
        return
    m = face_models()
    if m is None:
        return
    st.badge("dlib ResNet face descriptor · pretrained", icon=":material/verified:", color="green")
    st.caption(m.provenance)
    found = find_faces(image, detector, upsample, min_score=lo)
    dropped = []
    if found:
        fp = f"{detector}-{upsample}-{image.shape[0]}x{image.shape[1]}-{hash(image.tobytes()) & 0xFFFFFF:x}"
        with right:
            dropped = st.multiselect(
                "Drop false detections", range(len(found)), key=f"emb-faces-drop-{fp}",
                format_func=lambda k: f"face {k + 1} (score {found[k].score:.2f})",
                help="A detector also fires on things that are not faces; a dropped box gets "
                     "no landmarks and no descriptor.")
    kept = faces.kept_faces(found, min_score, dropped)
    annotated = faces.draw_faces(image, found, show_landmarks=show_lm, kept=kept)
    n_kept = sum(kept)
    st.image(annotated, width="stretch",
             caption=f"{DETECTOR_TITLES[detector]}: {len(found)} candidate(s), {n_kept} kept "
                     f"(score ≥ {min_score:.2f}, not dropped); grey dashed boxes are dropped")
    download_png(annotated, "faces.png", key="emb-faces-dl")
    if found:
        figures.table(st, pd.DataFrame([{"face": i + 1, "box (x0, y0, x1, y1)": str(f.box),
                                    "size px": f.size, "detector score": round(f.score, 2),
                                    "described": "yes" if k else (
                                        "no: dropped by hand" if i in dropped else
                                        f"no: score below {min_score:.2f}")}
                                   for i, (f, k) in enumerate(zip(found, kept))]), hide_index=True)
    if not n_kept:
        st.warning("No face kept. Lower the minimum score, try the other detector, more "
                   "upsampling, or a frontal face." if not found else
                   "Every candidate is dropped: lower the minimum score or keep one.")
        return
    shown = [i for i, k in enumerate(kept) if k][:6]
    for i in shown:
        f = found[i]
        st.markdown(f"**Face {i + 1}** — box {f.box}, detector score {f.score:.2f}")
        a, b, c = st.columns([1, 1, 2])
        a.image(faces.landmarks_closeup(image, f), caption="68 landmarks", width="stretch")
        b.image(f.chip, caption="aligned 150×150 chip", width="stretch")
        hm = figures.heatmap(f.descriptor.reshape(8, 16), "128-D descriptor (8×16)", annotate=False,
                             colorscale=figures.DIVERGING, height=170, zmid=0.0, square=False, gap=0)
        figures.show(hm, key=f"emb-faces-desc-{i}", slot=c, width="stretch")
    if n_kept > len(shown):
        st.caption(f"The first {len(shown)} of {n_kept} kept faces are shown.")
    with st.expander("How it works"):
        st.markdown(
            "- `core.embeddings.faces.detect(image, 'hog' | 'haar')`: dlib's HOG + linear SVM "
            "(frontal faces ≥ 80 px, or smaller after upsampling) or OpenCV's Viola–Jones cascade; "
            "each box has a score, and `faces.kept_faces(found, min_score, dropped)` says which "
            "ones get a descriptor.\n"
            "- `faces.landmarks(image, box, 68 | 5)`: dlib's regression-tree shape predictors.\n"
            "- `faces.align(image, box)`: similarity transform fitted to the 5 landmarks → 150×150 chip.\n"
            "- `faces.embed_faces(image)` runs all steps; the descriptor is dlib's ResNet "
            "(`face-recognition-models` package) — same person usually < 0.6 apart.\n"
            "- Uploaded pictures stay in memory; nothing is written to disk.")
