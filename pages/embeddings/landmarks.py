"""Embeddings › Faces & landmarks: detect, find 68 landmarks, align and embed every face."""
from __future__ import annotations

import streamlit as st

from core.embeddings import faces
from dashboard import figures
from dashboard.widgets import download_png, image_input

from .common import face_models, find_faces

DETECTOR_TITLES = {"hog": "dlib HOG + SVM", "haar": "OpenCV Haar cascade"}


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
        show_lm = st.toggle("Show 68 landmarks", value=True, key="emb-faces-lm")
        with st.expander("Advanced"):
            upsample = st.slider("Upsample before HOG (finds smaller faces, slower)", 0, 2, 1,
                                 key="emb-faces-up")
    if image is None:
        return
    found = find_faces(image, detector, upsample)
    m = face_models()
    if m is not None:
        st.badge("dlib ResNet face descriptor · pretrained", icon=":material/verified:", color="green")
        st.caption(m.provenance)
    annotated = faces.draw_faces(image, found, show_landmarks=show_lm)
    st.image(annotated, caption=f"{len(found)} face(s) found by {detector.upper()}", width="stretch")
    download_png(annotated, "faces.png", key="emb-faces-dl")
    if not found:
        st.warning("No face found. Try the other detector, more upsampling, or a frontal face.")
        return
    for i, f in enumerate(found[:6]):
        st.markdown(f"**Face {i + 1}** — box {f.box}, score {f.score:.2f}")
        a, b, c = st.columns([1, 1, 2])
        a.image(faces.landmarks_closeup(image, f), caption="68 landmarks", width="stretch")
        b.image(f.chip, caption="aligned 150×150 chip", width="stretch")
        hm = figures.heatmap(f.descriptor.reshape(8, 16), "128-D descriptor (8×16)", annotate=False,
                             colorscale=figures.DIVERGING, height=170, zmid=0.0, square=False, gap=0)
        figures.show(hm, key=f"emb-faces-desc-{i}", slot=c, width="stretch")
    with st.expander("How it works"):
        st.markdown(
            "- `core.embeddings.faces.detect(image, 'hog' | 'haar')`: dlib's HOG + linear SVM "
            "(frontal faces ≥ 80 px, or smaller after upsampling) or OpenCV's Viola–Jones cascade.\n"
            "- `faces.landmarks(image, box, 68 | 5)`: dlib's regression-tree shape predictors.\n"
            "- `faces.align(image, box)`: similarity transform fitted to the 5 landmarks → 150×150 chip.\n"
            "- `faces.embed_faces(image)` runs all steps; the descriptor is dlib's ResNet "
            "(`face-recognition-models` package) — same person usually < 0.6 apart.\n"
            "- Uploaded pictures stay in memory; nothing is written to disk.")
