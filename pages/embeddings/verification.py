"""Embeddings › Verification (1:1): two faces, their distance against τ, and the ROC of a
labelled set (the bundled samples or uploads)."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core import images
from core.embeddings import faces, metrics
from dashboard import figures
from dashboard.i18n import N_, _, shown, tr
from dashboard.widgets import image_input

from .common import LabelledSet, dlib_models, face_models, find_faces, labelled_set

# the rows of the rates table (``metrics.rates_at``'s keys; TAR and FAR are notation)
RATES = {"threshold": N_("threshold"), "accuracy": N_("accuracy"),
         "balanced accuracy": N_("balanced accuracy"), "same pairs": N_("same pairs"),
         "different pairs": N_("different pairs")}


@st.cache_data(show_spinner=False, max_entries=2)
def _sample_labelled_set() -> LabelledSet:
    return faces.sample_labelled_set(models=dlib_models())


def sample_labelled_set() -> LabelledSet:
    """The bundled samples' faces and changed copies (``faces.sample_labelled_set``), cached."""
    with st.spinner(_("Embedding the sample faces…")):
        return _sample_labelled_set()


def pick_face(image, key: str) -> faces.Face | None:
    """The picture's face (a select box when there are several), shown aligned."""
    found = find_faces(image, "hog", 1)
    if not found:
        st.warning(_("No face found in this picture."))
        return None
    i = 0
    if len(found) > 1:
        i = st.selectbox(_("Which face"), range(len(found)), key=f"{key}-which",
                         format_func=shown(range(len(found)), lambda k: _(
                             "face {n} at {at}, HOG score {score:.2f}").format(
                                 n=k + 1, at=found[k].box[:2], score=found[k].score)))
    st.image(found[i].chip, caption=_("aligned face (HOG score {score:.2f})").format(score=found[i].score),
             width=150)
    return found[i]


def distance_figure(d: float, tau: float) -> go.Figure:
    """The distance as a bar, green within τ and red beyond, with τ as a dashed line."""
    fig = go.Figure(go.Bar(x=[d], y=["d"], orientation="h",
                           marker_color="#2ca02c" if d <= tau else "#d62728",
                           text=[f"{d:.3f}"], textposition="outside"))
    fig.add_vline(x=tau, line_dash="dash", annotation_text=f"τ = {tau:.2f}",
                  annotation_position="top")                 # above the bar, not over it
    k = figures.sizes().scale
    fig.update_layout(height=round(130 * k), margin={"l": 10, "r": 10, "t": round(25 * k), "b": 25},
                      xaxis={"range": [0, max(1.2, d * 1.1)], "title": _("descriptor distance")},
                      yaxis={"visible": False})
    return fig


def roc_figure(r: metrics.ROC, rates: dict, tau: float) -> go.Figure:
    fig = go.Figure(go.Scatter(x=r.fpr, y=r.tpr, mode="lines", name=f"AUC {r.auc:.3f}",
                               customdata=r.thresholds,
                               hovertemplate="τ = %{customdata:.3f}<br>FAR %{x:.3f}, TAR %{y:.3f}"))
    fig.add_trace(go.Scatter(x=[rates["FAR"]], y=[rates["TAR"]], mode="markers",
                             marker={"size": 12, "color": "red"}, name=f"τ = {tau:.2f}"))
    fig.update_layout(height=round(380 * figures.sizes().scale),  # taller when presenting
                      xaxis_title=_("false-accept rate"), yaxis_title=_("true-accept rate"),
                      margin={"l": 10, "r": 10, "t": 30, "b": 10})
    return fig


def embed_uploads(ups) -> LabelledSet:
    """The central face of each uploaded picture, named after its file (``Name_2.jpg`` → Name)."""
    found, names = [], []
    for up in ups:
        try:
            img = images.load_image(up.getvalue(), max_side=1280)
        except ValueError as e:
            st.error(f"**{up.name}**: {tr(e.args[0]) if len(e.args) == 1 else e}")
            continue
        fs = find_faces(img, "hog", 1)
        if not fs:
            st.warning(_("No face in {name}; skipped.").format(name=up.name))
            continue
        found.append(faces.central_face(fs, img.shape))
        names.append(faces.person_from_filename(up.name))
    return faces.labelled_arrays(found, names)


def render() -> None:
    st.write(_("Face **verification** is a 1:1 question — is this the person they claim to be? "
               "Compute d = ‖f(img₁) − f(img₂)‖ and compare it with the threshold τ."))
    a, b = st.columns(2, gap="large")
    with a:
        img1 = image_input("emb-v1", default="astronaut", label=_("First picture"), max_side=1280)
        f1 = pick_face(img1, "emb-v1") if img1 is not None else None
    with b:
        copy = st.toggle(_("Second picture: a changed copy of the first"), key="emb-v-copy",
                         help=_("Mirrored, rotated 8° and darker: the same person with other pixels "
                                "(the app ships one photo of each person)."))
        if copy:
            img2 = faces.changed_copy(img1) if img1 is not None else None
            if img2 is not None:
                st.image(img2, caption=_("the first picture mirrored, rotated 8°, darker"), width=260)
        else:
            img2 = image_input("emb-v2", default="zidane", label=_("Second picture"), max_side=1280)
        f2 = pick_face(img2, "emb-v2") if img2 is not None else None
    tau = st.slider(_("Threshold τ"), 0.2, 1.2, faces.DEFAULT_THRESHOLD, 0.01, key="emb-v-tau")
    if f1 is not None and f2 is not None:
        d = faces.face_distance(f1.descriptor, f2.descriptor)
        same = d <= tau
        (st.success if same else st.error)(
            (_("d = {d:.3f} ≤ τ = {tau:.2f} → **same person**") if same
             else _("d = {d:.3f} > τ = {tau:.2f} → **different people**")).format(d=d, tau=tau))
        figures.show(distance_figure(d, tau), key="emb-v-bar", width="stretch")

    st.subheader(_("ROC of a labelled set"))
    st.write(_("Sweeping τ over every pair of a labelled set gives the ROC curve. The default set is "
               "built offline from the sample pictures (3 people, each also mirrored, darker, "
               "rotated and shifted); upload your own (several pictures per person, named "
               "`Name_1.jpg`, `Name_2.jpg`, …) for a real test. On LFW (20 people × 15 pictures) "
               "the project's tests measure accuracy 0.991 at τ = 0.6 and AUC 0.998."))
    ups = st.file_uploader(_("Labelled pictures (optional)"), type=["jpg", "jpeg", "png", "bmp", "webp"],
                           accept_multiple_files=True, key="emb-v-upload")
    if st.button(_("Embed the labelled set"), key="emb-v-go", type="primary"):
        if face_models() is not None:
            if ups:
                st.session_state["emb-labelled"] = embed_uploads(ups)
            else:
                st.session_state["emb-labelled"] = sample_labelled_set()
    ls = labelled_set()
    if ls is not None and not _roc(ls, tau):
        return
    with st.expander(_("How it works")):
        st.markdown(_(
            "- `core.embeddings.faces.face_distance(d1, d2)`: Euclidean distance of descriptors.\n"
            "- `core.embeddings.metrics.pair_distances`, `metrics.roc` (scikit-learn's roc_curve "
            "on −d) and `metrics.rates_at(d, same, τ)` (TAR, FAR, accuracy).\n"
            "- The notes' alternative, verification as binary classification (|f(x₁) − f(x₂)| → "
            "logistic regression → sigmoid), learns the same decision with weights per dimension."))


def _roc(ls: LabelledSet, tau: float) -> bool:
    """The set's ROC with the point at τ and the rates there; False (after a warning) when the
    set cannot give one."""
    desc, labels, _chips = ls
    if len(set(labels.tolist())) < 2 or len(labels) < 3:
        st.warning(_("The set needs at least two people and three faces."))
        return False
    d, same = metrics.pair_distances(desc, labels)
    if same.all() or not same.any():
        st.warning(_("The set needs pairs of the same person and of different people."))
        return False
    r = metrics.roc(d, same)
    rates = metrics.rates_at(d, same, tau)
    c1, c2 = st.columns([3, 2])
    figures.show(roc_figure(r, rates, tau), key="emb-v-roc", slot=c1, width="stretch")
    figures.table(c2, pd.DataFrame([{tr(RATES.get(k, k)): (round(v, 4) if isinstance(v, float) else v)
                                     for k, v in rates.items()}]).T.rename(columns={0: _("value")}))
    c2.caption(_("{faces} faces of {people} people; best τ on this set: {best:.3f}").format(
        faces=len(labels), people=len(set(labels.tolist())), best=metrics.best_threshold(d, same)))
    return True
