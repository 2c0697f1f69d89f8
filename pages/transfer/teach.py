"""Transfer learning › Teach it your classes: snapshots, uploads or bundled pictures per class, a
linear head on the frozen ImageNet features (trained in seconds, live loss curve), then the webcam
classified live by the frame function ``core.transfer.classify_frame``."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core import transfer
from core.embeddings.project import pca
from core.vis.neighbours import pixels
from dashboard import figures, jobs
from dashboard.figures import Curve
from dashboard.i18n import N_, _, ngettext
from dashboard.live import live_view
from dashboard.widgets import how_it_works, model_picker

from . import classes as C

RESULT = "tl-teach-result"
CACHE = "tl-teach-features"
UNSEEN = 4                       # unseen bundled pictures tested per class


def _cache() -> transfer.FeatureCache:
    return st.session_state.setdefault(CACHE, transfer.FeatureCache())


def _curves(slot, hist: dict) -> None:
    fig = figures.loss_curves(
        [Curve(_("cross-entropy + weight decay"), hist["step"], hist["loss"], "#1565c0"),
         Curve(_("training accuracy"), hist["step"], hist["accuracy"], "#fb8c00", "dot", axis="y2")],
        title=_("Training the head (only W and b change)"), y2_title=_("training accuracy"), y2_range=(0, 1.05),
        y2_ticks=(0, 0.25, 0.5, 0.75, 1),
        height=280, legend_y=-0.35)
    figures.show(fig, slot=slot, width="stretch")


def _unseen(lm, head, taught: list[C.TaughtClass], cache: transfer.FeatureCache) -> list[dict]:
    """Bundled pictures of the same sets that were not in training, classified by the new head."""
    rows = []
    for i, c in enumerate(taught):
        if c.bundled_set is None:
            continue
        fresh = [im for im in transfer.bundled(c.bundled_set, 2 * UNSEEN, seed=90_000 + i)
                 if transfer.picture_key(im) not in c.keys][:UNSEEN]
        if fresh:
            p = head.probabilities(cache.features(lm, fresh))
            rows += [{"image": im, "truth": i, "pred": int(np.argmax(q)), "p": float(q.max())} for im, q in zip(fresh, p)]
    return rows


def _train(lm, taught, steps: int, lr: float, wd: float, area, curve_slot) -> None:
    pics, keys, labels, names = C.training_set(taught)
    cache = _cache()
    new, before = cache.missing(lm, keys), cache.seconds
    with st.spinner(_("Features of {new} new picture(s) through the frozen network "
                      "({cached} from the cache)…").format(new=new, cached=len(pics) - new)):
        feats = cache.features(lm, pics, keys)
    feature_s = cache.seconds - before
    last = jobs.follow(transfer.train_head(feats, labels, names, steps=steps, lr=lr, weight_decay=wd,
                                           model_name=lm.name),
                       "tl-train", area=area, every=10, on_snapshot=lambda s: _curves(curve_slot, s.history),
                       stop_help=N_("Stops training; the head reached so far is kept."))
    if last is None:
        return
    st.session_state[RESULT] = {
        "head": last.head, "history": last.history, "labels": np.asarray(labels), "feats": feats,
        "pixels": pixels(pics), "new": new, "cached": len(pics) - new, "feature_s": feature_s,
        "train_s": last.seconds, "accuracy": last.accuracy, "unseen": _unseen(lm, last.head, taught, cache)}


def _maps(res: dict) -> None:
    """Why it works: the training pictures in feature space and in pixel space (PCA to 2-D)."""
    names, y = res["head"].classes, res["labels"]
    cols = st.columns(2)
    for col, key, title in ((cols[0], "feats", _("ImageNet features (1280 numbers per picture)")),
                            (cols[1], "pixels", _("raw pixels (32×32×3 numbers per picture)"))):
        xy = pca(res[key], 2)
        fig = go.Figure([go.Scatter(x=xy[y == i, 0], y=xy[y == i, 1], mode="markers", name=n,
                                    marker=dict(color=transfer.HEX[i], size=11)) for i, n in enumerate(names)])
        fig.update_layout(title=dict(text=title, font=dict(size=figures.sizes().title_font)),
                          height=round(300 * figures.sizes().scale), margin=dict(l=10, r=10, t=40, b=10),
                          xaxis=dict(title="PC 1", showticklabels=False), yaxis=dict(title="PC 2", showticklabels=False))
        figures.show(fig, f"tl-map-{key}", slot=col, width="stretch")
    st.caption(_("Each dot is one of your training pictures, flattened to two dimensions by PCA. In the "
                 "network's feature space the classes usually lie apart, so a straight line (a linear head) "
                 "separates them from a few examples; in pixel space they overlap."))


def _show_probs(data) -> None:
    if isinstance(data, dict) and "probabilities" in data:
        probs = data["probabilities"]
        st.markdown(_("Most likely: **{best}** ({p:.0%})").format(best=data["best"], p=probs[data["best"]]))
        figures.table(st, pd.DataFrame({_("class"): list(data["probabilities"]),
                                        _("probability"): [f"{p:.1%}" for p in probs.values()]}),
                      hide_index=True)


def render() -> None:
    st.write(_("Like Google's Teachable Machine: give each class a few pictures — webcam snapshots, uploads "
               "or pictures the lab ships — and the network learns them in seconds. The ImageNet network is "
               "**frozen**: each picture goes through it **once** and becomes a vector φ(x); only a linear "
               "layer (W, b) is trained on those vectors."))
    lm = model_picker("tl-model")
    k = st.slider(_("Number of classes"), transfer.MIN_CLASSES, transfer.MAX_CLASSES, 2, key="tl-k")
    taught = C.taught(k)
    for i, c in enumerate(taught):
        with st.container(border=True):
            C.editor(i, c)
    with st.expander(_("Advanced: the head's training")):
        a1, a2, a3 = st.columns(3)
        steps = a1.slider(_("Steps (full batch)"), 10, 500, 150, 10, key="tl-steps")
        lr = a2.select_slider(_("Learning rate (Adam)"), [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1], 0.005,
                            key="tl-lr", help=_("Larger rates overshoot: the weight-decay term then makes the loss rise before it falls."))
        wd = a3.select_slider(_("Weight decay"), [0.0, 1e-3, 1e-2, 3e-2, 1e-1, 3e-1], 3e-2, key="tl-wd",
                              help=_("Keeps W small: with 0.001 the head says 100 % even on pictures of "
                                     "none of your classes; 0.03 leaves it some doubt there."))
    go_btn = st.button(_("Train the head"), type="primary", key="tl-train-go", icon=":material/play_arrow:")
    area, curve_slot = st.container(), st.empty()
    if go_btn:
        st.session_state.pop(RESULT, None)
        _train(lm, taught, int(steps), float(lr), float(wd), area, curve_slot)
    res = st.session_state.get(RESULT)
    if res is None:
        st.info(_("Press **Train the head**: the features of new pictures are computed once (0.1–1 s "
                  "each on this 2-core server, depending on its load), then the head trains in about a second."),
                icon=":material/info:")
        return
    head = res["head"]
    if not go_btn:
        _curves(curve_slot, res["history"])
    m = st.columns(4)
    n_pics = len(res["labels"])
    m[0].metric(_("Training accuracy"), f"{res['accuracy']:.0%}",
                help=ngettext("{n} picture", "{n} pictures", n_pics).format(n=n_pics))
    m[1].metric(_("Features computed"), res["new"],
                help=_("{n} reused from the cache (by picture hash)").format(n=res["cached"]))
    m[2].metric(_("Time"), f"{res['feature_s']:.1f} s + {res['train_s']:.1f} s", help=_("features + head"))
    m[3].metric(_("Trained parameters"), f"{head.parameters:,}",
                help=_("of {total:,} in the whole network").format(
                    total=head.parameters + sum(p.numel() for p in lm.model.parameters())))
    _maps(res)
    if res["unseen"]:
        rows = res["unseen"]
        right = sum(r["truth"] == r["pred"] for r in rows)
        st.markdown(_("**Bundled pictures it was not trained on**: {right} of {n} right.").format(
            right=right, n=len(rows)))
        cols = st.columns(8)
        for j, r in enumerate(rows):
            mark = "✓" if r["truth"] == r["pred"] else _("✗ (is {name})").format(name=head.classes[r["truth"]])
            cols[j % len(cols)].image(r["image"], width="stretch",
                                      caption=f"{head.classes[r['pred']]} {r['p']:.0%} {mark}")
    st.subheader(_("Classify: the webcam, live or a snapshot"))
    if head.model_name != lm.name or list(head.classes) != [c.name for c in taught]:
        st.warning(_("The model or the classes changed since training: press **Train the head** again."))
        return
    live_view("tl-live", transfer.classify_frame, {"lm": lm, "head": head}, default_fps=10,
              show_data=_show_probs)
    how_it_works(_(
        "1. Every picture is prepared as the zoo says (`LoadedModel.prepare`: shorter side 256, centre "
        "crop 224) and goes through the frozen network once; `core.transfer.FeatureCache` keeps its "
        "vector by picture hash, so retraining or adding a picture computes only what is new.\n"
        "2. φ(x) is the last convolutional stage averaged over positions (`core.vis.neighbours.embed`), "
        "the vector ImageNet's own classifier reads.\n"
        "3. `core.transfer.train_head`: softmax regression, full batch, Adam, cross-entropy "
        "(`core.embeddings.losses.cross_entropy`) + weight decay; a snapshot per step draws the curve.\n"
        "4. `core.transfer.classify_frame(frame, lm, head)` is the frame function: the same code "
        "serves the snapshot and the WebRTC stream, and draws the probabilities as bars."))
