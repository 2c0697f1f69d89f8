"""Embeddings › Identification (1:K): a gallery of enrolled faces, who is this, and why 1:K is
harder than 1:1."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core import images
from core.embeddings import faces, metrics
from dashboard import figures
from dashboard.i18n import N_, _, opt, shown, tr
from dashboard.widgets import image_input

from .common import face_models, find_faces, gallery, labelled_set


def render() -> None:
    g = gallery()
    st.write(_("Face **recognition** is a 1:K question — which of the K enrolled people is this? "
               "One picture per person is enough (one-shot): the answer is the nearest enrolled "
               "descriptor, or *unknown* when even that is farther than τ. The gallery lives in this "
               "browser session only."))
    _gallery(g)
    st.subheader(_("Who is this?"))
    tau = st.slider(_("Threshold τ"), 0.2, 1.2, faces.DEFAULT_THRESHOLD, 0.01, key="emb-id-tau")
    query = _query()
    if query is not None and face_models() is not None:
        if not len(g):
            st.info(_("The gallery is empty: faces are boxed but cannot be named. Enrol the sample "
                      "faces (or anyone) above."))
        found = find_faces(query, "hog", 1)
        with st.spinner(_("Finding and naming faces…")):
            texts = tuple((k, _(v)) for k, v in faces.RECOGNIZE_TEXTS.items())   # part of the key
            out, data = _recognize(query, g, tuple(g.names), tuple(g.descriptors), tau, texts, found)
        st.image(out, width="stretch", caption=_("green: enrolled person within τ; red: unknown"))
        if data:
            figures.table(st, pd.DataFrame([{_("face"): i + 1, _("name"): d["name"] or _("unknown"),
                                             _("distance to nearest"): round(d["distance"], 3)}
                                            for i, d in enumerate(data)]), hide_index=True)
        else:
            st.warning(_("No face found in the query picture."))
        if any(d["distance"] < 1e-6 for d in data):
            st.info(_("Distance 0: this query is the very picture that face was enrolled from. "
                      "A real test asks with another photo of the person (or a changed copy)."))
    _one_to_k()
    with st.expander(_("How it works")):
        st.markdown(_(
            "- `core.embeddings.faces.Gallery` keeps names, descriptors and chips in memory "
            "(`st.session_state`); `Gallery.match(descriptor, τ)` is the nearest neighbour.\n"
            "- `faces.recognize_frame(frame, gallery, τ)` detects, embeds, matches and draws.\n"
            "- `metrics.false_match_curve(p, K)` and `metrics.top1_vs_k(emb, labels)` give the 1:K effect."))


QUERY_SOURCES = (N_("A changed copy of a sample photo"), N_("Any picture"))


@st.cache_data(show_spinner=False, max_entries=8)
def _recognize(query: np.ndarray, _g: faces.Gallery, names: tuple, descriptors: tuple, tau: float,
               texts: tuple, _found: list):
    """``faces.recognize_frame`` on the query, once per query, gallery (its names and
    descriptors are the key) and τ: a rerun that changes nothing else reads it again; a new τ
    or gallery only matches and draws again (the faces found, ``_found``, are cached per
    picture by ``find_faces`` and follow from the query, so they are not part of the key).
    ``texts``: the drawn labels in the visitor's language."""
    return faces.recognize_frame(query, _g, tau, upsample=1, found=_found, texts=dict(texts))


@st.cache_data(show_spinner=False, max_entries=4)
def _changed_sample(name: str) -> tuple[np.ndarray, float]:
    """The sample photo changed (``faces.changed_copy``) and its pixel distance to the original."""
    original = images.load_sample(name, max_side=1280)
    query = faces.changed_copy(original)
    return query, faces.pixel_distance(query, original)


def _query():
    """The query picture. By default not an enrolled picture itself: the app ships one photo of
    each sample person, so the query is that photo changed (mirrored, rotated, darker)."""
    source = st.radio(_("Query"), QUERY_SOURCES, horizontal=True, key="emb-id-qsource",
                      format_func=opt,
                      help=_("The sample gallery is enrolled from the original photos; asking with "
                             "the very same picture would only show distance 0."))
    if source == QUERY_SOURCES[1]:
        return image_input("emb-query", default="astronaut", max_side=1280)
    table = images.samples()
    names = list(dict.fromkeys(s for s, _i, _n in faces.SAMPLE_PEOPLE))
    name = st.selectbox(_("Sample photo"), names, index=names.index("zidane"), key="emb-id-qsample",
                        format_func=shown(names, lambda n: tr(table[n].title)))
    query, distance = _changed_sample(name)
    st.caption(_("Enrolled from the original `{source}`; the query is that photo "
                 "mirrored, rotated 8° and darker, so every pixel differs "
                 "(pixel distance {distance:.0f} on [0, 1] values) — "
                 "but the people are the same. A real test uses another photo: choose *Any picture*.").format(
                     source=table[name].source, distance=distance))
    return query


def _gallery(g: faces.Gallery) -> None:
    """The enrolled faces with Remove buttons, enrolling the samples or anyone's picture."""
    st.subheader(_("Gallery: {faces} face(s), {people} people").format(faces=len(g), people=len(g.people)))
    if len(g):
        cols = st.columns(8)
        for i, (name, chip) in enumerate(zip(g.names, g.chips)):
            with cols[i % len(cols)]:
                st.image(chip, caption=name, width="stretch")
                if st.button(_("Remove"), key=f"emb-id-del-{i}", icon=":material/delete:"):
                    g.remove(i)
                    st.rerun()
    c1, c2 = st.columns(2)
    if c1.button(_("Enrol the sample faces"), key="emb-id-samples", icon=":material/group_add:"):
        for sample, index, name in faces.SAMPLE_PEOPLE:
            f = faces.nth_from_left(find_faces(images.load_sample(sample, max_side=1280), "hog", 1),
                                    index)
            name = tr(name)      # "Bus passenger" in the visitor's language; names stay as they are
            if f is not None and name not in g.names:
                g.enroll(name, f)
        st.rerun()
    if c2.button(_("Clear the gallery"), key="emb-id-clear", disabled=not len(g)):
        g.clear()
        st.rerun()

    with st.expander(_("Enrol someone"), expanded=not len(g)):
        img = image_input("emb-enrol", default="astronaut", max_side=1280)
        if img is not None:
            for i, f in enumerate(find_faces(img, "hog", 1)[:6]):
                a, b, c = st.columns([1, 2, 1])
                a.image(f.chip, width=96, caption=_("HOG score {score:.2f}").format(score=f.score))
                name = b.text_input(_("Name"), key=f"emb-enrol-name-{i}", placeholder=_("Who is this?"))
                if c.button(_("Enrol"), key=f"emb-enrol-{i}"):
                    try:
                        g.enroll(name, f)
                        st.rerun()
                    except ValueError as e:
                        st.error(tr(e.args[0]) if len(e.args) == 1 else str(e))


def _one_to_k() -> None:
    """The chance of a false match as the gallery grows, and top-1 measured on the labelled set."""
    st.subheader(_("The 1:K effect"))
    st.write(_("The notes: recognition is harder than verification because a small error per "
               "comparison grows with K. If one comparison with a stranger falsely matches with "
               "probability p, a query meets K − 1 strangers:"))
    st.latex(_(r"P(\text{at least one false match}) = 1-(1-p)^{K-1}"))
    p = st.slider(_("p, false-match rate of one comparison"), 0.0005, 0.05, 0.008, 0.0005,
                  format="%.4f", key="emb-id-p",
                  help=_("0.008 is dlib's measured false-accept rate at τ = 0.6 on the LFW subset."))
    ks = np.unique(np.logspace(0, 4, 60).astype(int))
    fig = go.Figure(go.Scatter(x=ks, y=metrics.false_match_curve(p, ks), mode="lines"))
    fig.update_layout(height=round(300 * figures.sizes().scale),  # taller when presenting
                      xaxis_type="log", xaxis_title=_("K, people in the gallery"),
                      yaxis_title=_("P(false match)"), margin={"l": 10, "r": 10, "t": 10, "b": 10})
    figures.show(fig, key="emb-id-k", width="stretch")
    st.caption(f"K = 100: {metrics.false_match_curve(p, [100])[0]:.1%} · "
               f"K = 1,000: {metrics.false_match_curve(p, [1000])[0]:.1%}")
    ls = labelled_set()
    if ls is not None and len(set(ls[1].tolist())) >= 3:
        ksm, acc = metrics.top1_vs_k(ls[0], ls[1], trials=20)
        st.write(_("Measured on the labelled set of the Verification tab (one enrolled face each):"))
        figures.table(st, pd.DataFrame({"K": ksm, "top-1": np.round(acc, 3)}).T, hide_index=False)
