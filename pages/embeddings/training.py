"""Embeddings › Train your own: the triplet loss by hand, a digits embedding trained live with
any route and miner, and the three routes compared."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.embeddings import losses, mining, project, train
from dashboard import figures, jobs
from dashboard.i18n import _, opt, tr

from .common import scatter


def render() -> None:
    _worked_example()
    st.subheader(_("Train your own embedding on handwritten digits"))
    st.write(_("scikit-learn's 1,797 digits (8×8, bundled, offline), 70 % to train, 30 % held out. "
               "A small CNN maps each digit to 16 numbers on the unit sphere. The scatter is a fixed "
               "set of 300 held-out digits, projected to 2-D while the network learns."))
    c1, c2, c3, c4 = st.columns(4)
    route = c1.selectbox(_("Loss (route)"), train.ROUTES, index=2, key="emb-train-route",
                         format_func=opt)
    miner = c2.selectbox(_("Miner"), mining.STRATEGIES, index=2, key="emb-train-miner",
                         disabled=route != "triplet", format_func=opt,
                         help=_("Which triplets of each batch of 80 (10 digits × 8) are trained on."))
    steps = c3.slider(_("Steps"), 20, 600, 200, 20, key="emb-train-steps")
    proj = c4.selectbox(_("Scatter"), project.METHODS, format_func=project.TITLES.get,
                        key="emb-train-proj",
                        help=_("PCA is instant; t-SNE and UMAP cost about a second per frame."))
    with st.expander(_("Advanced")):
        margin = st.slider(_("Margin (α for triplet, m for contrastive)"), 0.05, 2.0,
                           float(train.DEFAULT_MARGIN[route] or 0.2), 0.05, key="emb-train-margin",
                           disabled=route == "cross-entropy")
        every = st.slider(_("Redraw every … steps"), 5, 100, 20, 5, key="emb-train-every")
    if proj == "umap" and not project.umap_ready():
        project.warm_up_umap()
        st.caption(_("UMAP is compiling in the background (first use, ~10–20 s); until then frames "
                     "use PCA."))
    if st.button(_("Train"), type="primary", key="emb-train-go", icon=":material/play_arrow:"):
        if proj != "pca":
            every = max(every, steps // 8)
        last = jobs.follow(train.train(route, miner, steps, margin=margin, every=every,
                                       projection=proj, title=_(train.TITLE), route_name=opt(route)),
                           "emb-train-run", describe=_progress,
                           image_caption=_("held-out digits, current embedding"), image_width=420)
        if last is not None and "model" in last.info:
            data = train.load_digits_split()
            emb = train.embed_numpy(last.info["model"], data.x_test)
            st.session_state["emb-digits"] = {"embedding": emb, "labels": data.y_test,
                                              "images": data.images_test,
                                              "name": f"{route} {miner if route == 'triplet' else ''}"}
    elif (stopped := jobs.interrupted("emb-train-run")) is not None:
        st.info(_("Stopped at step {step} of {total}; the embedding reached so far "
                  "is shown below (train to the end to use it on the Plots tab).").format(
                      step=stopped.step, total=stopped.total))
    snap = st.session_state.get("emb-train-run")
    if snap is not None:
        _result(snap)
    _compare()


def _progress(snap) -> str:
    """The progress bar's text: the numbers a person reads, active triplets only when the route
    trains on triplets."""
    i = snap.info
    parts = [_("step {step}/{total}").format(step=snap.step, total=snap.total),
             _("loss {loss:.4f}").format(loss=snap.loss)]
    if i["route"] == "triplet":
        parts.append(_("active triplets {active:.1%} ({n} mined)").format(
            active=i["active"], n=i["triplets"]))
    parts.append(_("recall@1 {r:.3f}").format(r=i["recall@1"]))
    return " · ".join(parts)


def _result(snap) -> None:
    """The numbers and the scatter of a training snapshot (the last one, or where it stopped)."""
    i = snap.info
    cols = iter(st.columns(4 if i["route"] == "triplet" else 3))
    next(cols).metric(_("Loss"), f"{snap.loss:.4f}",
                      help=_("{route} loss of the last batch").format(route=opt(i["route"])))
    if i["route"] == "triplet":   # the other routes train on no triplets
        next(cols).metric(_("Active triplets"), f"{i['active']:.1%}",
                          help=_("Share of the batch's valid triplets still inside the margin "
                                 "α = {margin:.2f} (loss > 0); the rest teach nothing.").format(
                                     margin=i["margin"]))
    next(cols).metric(_("recall@1 (300 held-out)"), f"{i['recall@1']:.3f}")
    next(cols).metric(_("Step"), f"{snap.step}/{snap.total}")
    if i.get("message"):
        st.caption(tr(i["message"]))
    fig = scatter(i["xy"], i["labels"], _("{method} of the 16-D embedding of 300 held-out digits "
                                          "({route}, step {step})").format(
                      method=project.TITLES[i["projection"]], route=opt(i["route"]), step=snap.step),
                  method=i["projection"], variance=i.get("variance"),
                  unit=i["projection"] == "pca")   # unit vectors: PCA coordinates in [-1, 1]
    figures.show(fig, key="emb-train-scatter", width="stretch")


def _worked_example() -> None:
    st.subheader(_("The triplet loss, worked by hand"))
    st.write(_("2-D unit vectors, α = 0.2, one anchor, one positive and three negatives. "
               "**Easy** negatives (d(A,N) ≥ d(A,P) + α) give zero loss and teach nothing; "
               "**hard** ones (d(A,N) ≤ d(A,P)) can be mislabelled faces and dominate; "
               "**semi-hard** ones, d(A,P) < d(A,N) < d(A,P) + α, are FaceNet's choice."))
    ex = losses.WORKED_EXAMPLE
    rows = [{_("negative"): opt(r["negative"]), "A": str(ex["A"]), "P": str(ex["P"]), "N": str(r["N"]),
             "‖A−P‖²": round(r["d(A,P)"], 4), "‖A−N‖²": round(r["d(A,N)"], 4),
             "L = max(0, ‖A−P‖² − ‖A−N‖² + α)": round(r["loss"], 4)}
            for r in losses.worked_example()]
    figures.table(st, pd.DataFrame(rows), hide_index=True)
    figures.formulas(_(r"\text{contrastive: } L = y\,d^2 + (1-y)\max(0,\ m-d)^2"),
                     _(r"\text{cross-entropy: train a classifier, cut its last layer}"))


def _compare_text(snap) -> str:
    inner = snap.info["snapshot"]
    return _("done") if inner is None else f"{opt(snap.info['route'])}: {_progress(inner)}"


def _compare() -> None:
    st.subheader(_("Compare the three routes"))
    st.write(_("Same data, same network, same number of steps; recall@1 and verification AUC on "
               "all 540 held-out digits. Raw pixels (no learning) are the baseline: digits are easy, "
               "so the point is that 16 learned numbers do as well as or better than 64 pixels."))
    csteps = st.slider(_("Steps per route"), 50, 400, 150, 50, key="emb-cmp-steps")
    if st.button(_("Compare routes"), key="emb-cmp-go", icon=":material/table:"):
        last = jobs.follow(train.compare_routes_snapshots(csteps), "emb-cmp-run",
                           describe=_compare_text)
        if last is not None:
            st.session_state["emb-cmp-table"] = last.info["rows"]
    elif (stopped := jobs.interrupted("emb-cmp-run")) is not None:
        st.session_state["emb-cmp-table"] = stopped.info["rows"]
        st.info(_("Stopped while training {route}: the table has the routes "
                  "finished before that.").format(route=opt(stopped.info["route"])))
    if st.session_state.get("emb-cmp-table"):
        # the route names translated first: a DataFrame turns the lazy messages into plain str
        table = pd.DataFrame([{**r, "route": tr(r["route"])}
                              for r in st.session_state["emb-cmp-table"]]).round(4)
        table["active triplets"] = [  # only the triplet route trains on triplets
            "—" if pd.isna(v) else f"{v:.1%}" for v in table["active triplets"]]
        table = table.rename(columns={"route": _("route"), "recall@1": _("recall@1"),
                                      "recall@5": _("recall@5"),
                                      "active triplets": _("active triplets"),
                                      "seconds": _("seconds")})
        figures.table(st, table, hide_index=True)
    with st.expander(_("How it works")):
        st.markdown(_(
            "- `core.embeddings.losses.triplet_loss(a, p, n, margin)`, `contrastive_loss(x1, x2, "
            "same, margin)` and `cross_entropy` are the three routes (numpy or torch).\n"
            "- `core.embeddings.mining.mine(emb, labels, 'all' | 'hard' | 'semi-hard', margin)` "
            "picks triplets inside the batch; `mining.active_fraction` counts the ones with loss > 0.\n"
            "- `core.embeddings.train.train(route, miner, steps)` is an iterator of snapshots "
            "(loss, active triplets, recall@1, the projected held-out set); "
            "`train.compare_routes` trains all three; `metrics.recall_at_k` and `metrics.roc` score them.\n"
            "- `core.embeddings.project.project(x, 'pca' | 'tsne' | 'umap')`, warm-started from "
            "the previous frame and aligned with `project.align_to` so the scatter does not spin."))
