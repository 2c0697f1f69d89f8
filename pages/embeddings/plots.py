"""Embeddings › Plots: any embedding set reduced to 2-D or 3-D, outliers circled, selected
points shown as pictures."""
from __future__ import annotations

import numpy as np
import streamlit as st

from core.embeddings import project, train
from dashboard import figures
from dashboard.i18n import N_, _, opt, tr

from .common import gallery, labelled_set, scatter

SETS = (N_("Digits: raw pixels (64-D)"), N_("Digits: your trained embedding"),
        N_("Faces: labelled set (Verification tab)"), N_("Faces: gallery"))


def _data(which: str) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """The chosen set as (vectors, labels, thumbnails)."""
    if which.startswith("Digits: raw"):
        data = train.load_digits_split()
        return (data.x_test.reshape(len(data.x_test), -1), data.y_test,
                train.thumbnails(data.images_test))
    if which.startswith("Digits: your"):
        dd = st.session_state["emb-digits"]
        return dd["embedding"], dd["labels"], train.thumbnails(dd["images"])
    if which.startswith("Faces: labelled"):
        desc, names, chips = labelled_set()
        # the sample set's "Bus passenger" in the visitor's language (people's names stay)
        return desc, np.array([tr(str(n)) for n in names]), chips
    return gallery().as_set()


def render() -> None:
    st.write(_("Any embedding set, reduced to 2-D or 3-D: PCA (linear), t-SNE or UMAP (keep "
               "neighbours together). Colour is the label; circled points are outliers — nearer "
               "another class's centre or far from their own. Select points (click, box or lasso) to "
               "see their pictures."))
    sets = [SETS[0]]
    if st.session_state.get("emb-digits"):
        sets.append(SETS[1])
    if labelled_set() is not None:
        sets.append(SETS[2])
    if len(gallery()) >= 4:
        sets.append(SETS[3])
    c1, c2, c3 = st.columns(3)
    which = c1.selectbox(_("Embedding set"), sets, key="emb-plot-set", format_func=opt)
    method = c2.selectbox(_("Method"), project.METHODS, format_func=project.TITLES.get, key="emb-plot-method")
    dim = c3.radio(_("Dimensions"), [2, 3], horizontal=True, key="emb-plot-dim")
    x, labels, thumbs = _data(which)
    if method == "umap" and not project.umap_ready():
        project.warm_up_umap()
    key = (which, method, dim, len(x))
    if method == "pca" or st.button(_("Project"), type="primary", key="emb-plot-go"):
        with st.spinner(_("{method} of {n} points…").format(method=project.TITLES[method], n=len(x))):
            xy, used, msg = project.project(x, method, dim, wait=False)
        st.session_state["emb-plot-result"] = (key, xy, used, msg)
    res = st.session_state.get("emb-plot-result")
    if res is None or res[0] != key:
        st.caption(_("Press **Project** to run {method}.").format(method=project.TITLES[method]))
        return
    _key, xy, used, msg = res
    if msg:
        st.info(tr(msg))
    out = project.outliers(x, labels)
    fig = scatter(xy, labels, _("{method} of {set} — {n} outliers").format(
                      method=project.TITLES[used], set=_(which), n=int(out.sum())),
                  out, texts=[_("#{i} label {label}").format(i=i, label=l) for i, l in enumerate(labels)],
                  dim=dim,
                  method=used, variance=project.explained_variance(x, dim) if used == "pca" else None)
    # st.plotly_chart, not figures.show: the selection comes back, and the mode bar holds the
    # box and lasso tools
    event = st.plotly_chart(figures.styled(fig), key="emb-plot-chart",
                            on_select="rerun" if dim == 2 else "ignore",
                            selection_mode=("points", "box", "lasso"))
    picked = []
    if dim == 2 and event and event.selection and event.selection.points:
        picked = [int(p["customdata"]) for p in event.selection.points if "customdata" in p][:24]
    if not picked:
        picked = list(np.nonzero(out)[0][:12])
        if picked:
            st.caption(_("Outliers (select points to see others):"))
    if picked:
        cols = st.columns(12)
        for n, i in enumerate(picked):
            cols[n % 12].image(thumbs[i], caption=f"#{i} {labels[i]}", width="stretch")
    with st.expander(_("How it works")):
        st.markdown(_(
            "- `core.embeddings.project.project(x, method, dim)`: PCA by SVD, scikit-learn's "
            "t-SNE, umap-learn's UMAP; UMAP's first call compiles numba code, so "
            "`project.warm_up_umap()` runs it on a background thread and PCA answers meanwhile.\n"
            "- `project.outliers(x, labels)` marks points nearer another class's centre, or "
            "beyond the 95th percentile of distances to their own."))
