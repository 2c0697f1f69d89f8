"""Region proposals (R-CNN): selective search proposes regions, the classifier scores each one,
NMS keeps the answers; timed against YOLO's single pass on the same picture."""
from __future__ import annotations

import hashlib
import time

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core import zoo
from core.detection import draw
from core.detection import proposals as RP
from core.detection.detector import draw_boxes
from dashboard import figures, jobs
from dashboard.i18n import N_, _, tr
from dashboard.widgets import how_it_works, image_input, model_or_error, provenance_badge

from .common import detect_settings, detector, scene_picker, shown

JOB, RESULT = "det-rp-job", "det-rp-result"
SOURCES = (N_("Generated scene"), N_("Picture"))
MODES = {"single": N_("single: 1 strategy, about 1 s"), "fast": N_("fast: 8 strategies, 10–20 s")}
SEARCH_SIDE = {"single": 384, "fast": 256}   # px, longer side the picture is searched at
CLASSIFIERS = {"rcnn-shapes": N_("fine-tuned on proposals (R-CNN)"), "localizer-shapes": N_("the localiser as trained")}
SAMPLES = ["bus", "zidane", "coffee", "chelsea", "astronaut", "coins"]
TRUTH = (255, 255, 255)
#: the comparison table's columns and methods, marked for translation where the table is shown
COLUMNS = (N_("method"), N_("network passes"), N_("proposals (s)"), N_("network (s)"), N_("total (s)"),
           N_("boxes kept"), N_("shapes found"))
METHODS = (N_("Fast R-CNN (trunk once + RoI align)"),)


def _yolo(image: np.ndarray) -> dict | None:
    """The Detect tab's detector on the picture, with its thresholds: best of two runs."""
    det = detector()
    if det is None:
        return None
    conf, iou_t, classes = detect_settings(det)
    best, res = float("inf"), None
    for _run in range(2):
        t = time.perf_counter()
        res = det.detect(image, conf, iou_t, classes=classes)
        best = min(best, time.perf_counter() - t)
    return {"seconds": best, "boxes": res.boxes, "classes": res.classes, "names": det.names,
            "title": det.loaded.title, "bundled": det.bundled, "conf": conf}


def _job(lm, image, mode: str, batch: int, max_n: int, config: tuple):
    """R-CNN as snapshots, then Fast R-CNN and YOLO (quick) on the same picture; stores the result."""
    last = None
    for last in RP.rcnn(lm, image, mode=mode, max_side=SEARCH_SIDE[mode], max_proposals=max_n, batch_size=batch):
        yield last
    r = last.result
    fast = RP.fast_rcnn(lm, image, r.proposals.boxes) if r.scored.agreement is not None else None
    st.session_state[RESULT] = (config, r.proposals, r.scored, fast, _yolo(image))


def _picture(image, boxes, classes, scores, names, truth=None, labels=True, thickness=None) -> np.ndarray:
    big, k = draw.for_display(image, 768)
    s = figures.sizes().scale
    if truth is not None:
        big = draw_boxes(big, truth.boxes * k, colour=TRUTH, labels=False, dashed=True, stroke=s)
    return draw_boxes(big, np.asarray(boxes).reshape(-1, 4) * k, classes, scores, names, labels=labels,
                      n_classes=len(names), stroke=s, thickness=thickness, halo=labels)


def render() -> None:
    st.subheader(_("Region proposals: R-CNN"))
    st.write(_("Running the classifier on every sliding window wastes most calls on empty background. "
             "R-CNN first **proposes** a few hundred to 2000 regions where an object is likely (selective "
             "search: segment the picture into small regions, merge the most similar neighbours again and "
             "again, and take the box of every region formed on the way), then **crops, warps and "
             "classifies** each region — one network call per region — and keeps one box per object by "
             "**non-max suppression**. The notes: it works, but it is slow, and Fast and Faster R-CNN are "
             "still slower than YOLO's single pass. Here it is measured."))
    st.latex(_(r"t_{\text{R-CNN}} = t_{\text{selective search}} + N_{\text{regions}}\cdot t_{\text{one call}}"
               r"\qquad\text{vs}\qquad t_{\text{YOLO}} = t_{\text{one pass}}"))
    left, right = st.columns([1, 2])
    with left:
        source = st.radio(_("Input"), SOURCES, horizontal=True, key="det-rp-source", format_func=shown(SOURCES))
        mode = st.selectbox(_("Selective search"), list(MODES), format_func=shown(MODES, lambda m: _(MODES[m])), key="det-rp-mode",
                            help=_("The selective-search package's strategies: single = HSV colours, "
                                   "Felzenszwalb scale k = 100; fast = HSV and Lab, k = 50 and 100, two "
                                   "similarity mixes (about 10× the proposals). The picture is searched at "
                                   "384 px on its longer side at most (fast: 256 px, as the search is pure "
                                   "Python: 45 s at 384 px); the boxes are scaled back."))
        max_n = int(st.number_input(_("Regions to classify (at most)"), 1, 5000, 2000, key="det-rp-max",
                                    help=_("R-CNN classified about 2000 per picture; the first ones found "
                                           "are kept.")))
        one = st.toggle(_("One classifier call per region"), True, key="det-rp-one",
                        help=_("Off: the warped regions go through the network 64 at a time (still one "
                               "crop per region, fewer calls)."))
    truth = None
    with right:
        if source == SOURCES[0]:
            truth = scene_picker("det-rp-scene")
            image = truth.image
        else:
            image = image_input("det-rp-img", "bus", samples=SAMPLES, max_side=1024)
    if image is None:
        st.info(_("Choose or upload a picture."))
        return
    name = "imagenet"
    if truth is not None:
        names = [n for n in CLASSIFIERS if n in zoo.ENTRIES]
        name = st.radio(_("Region classifier"), names, format_func=shown(names, lambda n: _(CLASSIFIERS[n])), horizontal=True,
                        key="det-rp-clf",
                        help=_("R-CNN fine-tuned its network on warped proposals: IoU ≥ 0.5 with a true box is "
                               "that object, under 0.3 background. The localiser as trained saw one whole shape "
                               "per picture, never parts of shapes as 'no object'."))
    lm = model_or_error(name)
    if lm is None:
        return
    provenance_badge(lm)
    st.caption(_("The classifier: the Localisation tab's network (64×64 input; p_c says *no object*, "
                 "c₁..c₃ the shape; its box head can move the box — R-CNN's bounding-box "
                 "regression). Each region is widened by a third of its side on every side "
                 "before the warp, as it saw its shapes with a margin.") if truth is not None else
               _("The classifier: an **ImageNet classifier** (1000 classes, no *background* class: a "
                 "region's score is its top probability)."))
    config = (hashlib.sha1(np.ascontiguousarray(image).tobytes()).hexdigest(), mode, max_n, one, lm.name)
    stored = st.session_state.get(RESULT)
    fresh = stored is not None and stored[0] == config
    cheap = truth is not None and mode == "single"      # about a second: runs when the tab opens
    run = st.button(_("Run R-CNN"), type="primary", key="det-rp-run", icon=":material/play_arrow:")
    if run or (cheap and not fresh and not jobs.interrupted(JOB)):
        try:
            done = jobs.follow(_job(lm, image, mode, 1 if one else 64, max_n, config), JOB,
                               stop_help=_("Stops R-CNN; nothing is kept from a stopped run."))
        except ValueError as e:      # a picture selective search or the classifier cannot take
            st.error(tr(e.args[0]) if len(e.args) == 1 else str(e))
            return
        if done is not None:
            st.rerun()
    stored = st.session_state.get(RESULT)
    if stored is None or stored[0] != config:
        st.caption(_("Press **Run R-CNN** to propose, classify and time the regions of this picture."))
        return
    _results(image, truth, lm.name, *stored[1:])


def _results(image, truth, lm_name: str, props: RP.Proposals, scored: RP.Scored, fast, yolo) -> None:
    shapes = scored.agreement is not None
    c = st.columns(4)
    thr = c[0].slider(_("Score above"), 0.05, 0.99, 0.5, 0.01, key="det-rp-thr",
                      help=_("p_c · max c for the localiser, the top probability for ImageNet."))
    nms_iou = c[1].slider("NMS IoU", 0.05, 0.95, 0.5, 0.05, key="det-rp-nms",
                          help=_("A region overlapping a better one of the same class by more than this goes."))
    raw = shapes and lm_name == "localizer-shapes"
    agree = c[2].toggle(_("Weigh by box agreement"), raw, key=f"det-rp-agree-{lm_name}", disabled=not shapes,
                        help=_("Score × IoU(region, the box the box head puts in it): a patch for the localiser "
                               "as trained, which calls parts of shapes objects; fine-tuning is R-CNN's fix."))
    regress = c[3].toggle(_("Box regression"), False, key="det-rp-regress", disabled=not shapes,
                          help=_("Keep the box the localiser's box head drew instead of the region's own."))
    r = RP.finish(props, scored, thr, nms_iou, agree and shapes, regress and shapes)
    names = scored.labels
    per_call = scored.seconds / max(scored.calls, 1)
    m = st.columns(5)
    rec, _hits = RP.recall(truth.boxes, props.boxes) if truth is not None else (None, None)
    m[0].metric(_("Proposals"), len(props), help=_("{found} boxes found, {small} smaller than {side} px dropped; "
                                                   "{n} classified.").format(
        found=props.found, small=props.found - len(props), side=props.min_side, n=len(r.scored.boxes)))
    if rec is not None:
        m[1].metric(_("Proposal recall"), f"{rec:.0%}",
                    help=_("Share of the true boxes some proposal overlaps with IoU ≥ 0.5."))
    m[2].metric(_("Classifier calls"), scored.calls, help=_("{n} regions, {ms:.1f} ms per call (crop and warp "
                                                            "included).").format(n=len(scored.boxes),
                                                                                 ms=per_call * 1000))
    m[3].metric("R-CNN", f"{r.seconds:.2f} s", help=_("selective search {search:.2f} s + classifier "
                                                      "{clf:.2f} s").format(search=props.seconds, clf=scored.seconds))
    if yolo is not None:
        m[4].metric(_("YOLO, one pass"), f"{yolo['seconds'] * 1000:.0f} ms",
                    delta=_("R-CNN {x:.0f}× slower").format(x=r.seconds / yolo['seconds']), delta_color="inverse")
    found = RP.found(r.boxes, r.classes, truth.boxes, truth.classes) if truth is not None else None
    a, b = st.columns(2)
    a.image(_picture(image, props.boxes, np.zeros(len(props), int), None, ["region"], truth, labels=False,
                     thickness=1), width="stretch",
            caption=(_("{n} proposals from selective search ({s:.2f} s); dashed: the true boxes") if truth is not None
                     else _("{n} proposals from selective search ({s:.2f} s)")).format(n=len(props), s=props.seconds))
    after = {(True, True): _("After NMS: {n} boxes (labels from 15 boxes on left out) — {found} of {shapes} "
                             "shapes found (right shape, IoU ≥ 0.5)"),
             (True, False): _("After NMS: {n} boxes (labels from 15 boxes on left out)"),
             (False, True): _("After NMS: {n} boxes — {found} of {shapes} shapes found (right shape, IoU ≥ 0.5)"),
             (False, False): _("After NMS: {n} boxes")}[(len(r.keep) > 15, truth is not None)]
    after = after.format(n=len(r.keep), found=found, shapes=len(truth.boxes) if truth is not None else 0)
    b.image(_picture(image, r.boxes, r.classes, r.scores, names, truth, labels=len(r.keep) <= 15), width="stretch",
            caption=after)
    live = np.flatnonzero(r.weights > thr)
    a, b = st.columns(2)
    a.image(_picture(image, r.all_boxes[live], scored.classes[live], None, names, truth, labels=False),
            width="stretch", caption=_("Before NMS: the {n} regions scoring above {thr:.2f} "
                                       "({calls} calls, {s:.2f} s), coloured by class").format(
                n=len(live), thr=thr, calls=scored.calls, s=scored.seconds))
    _recall_plot(b, truth, props)
    _compare(truth, r, fast, yolo, agree and shapes, regress and shapes)


def _recall_plot(where, truth, props: RP.Proposals) -> None:
    if truth is None or not len(truth.boxes) or not len(props):
        where.caption(_("Proposal recall needs true boxes: on a generated scene it is plotted here."))
        return
    counts = sorted({n for n in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000) if n < len(props)} | {len(props)})
    fig = go.Figure(go.Scatter(x=counts, y=RP.recall_at(truth.boxes, props.boxes, counts), mode="lines+markers"))
    fig.update_layout(margin=dict(l=10, r=10, t=40, b=10),
                      xaxis=dict(title=_("first N proposals (the order selective search found them)"), type="log",
                                 tickvals=counts, ticktext=[str(n) for n in counts]),
                      yaxis=dict(title=_("recall (IoU ≥ 0.5)"), range=[0, 1.05], tickformat=".0%"),
                      title=_("How the proposals cover the shapes"))
    figures.show(fig, "det-rp-recall", slot=where, width="stretch", height=360)


def _compare(truth, r: RP.RCNNResult, fast, yolo, agree: bool, regress: bool) -> None:
    props, scored = r.proposals, r.scored
    def found_in(boxes, classes):
        return _("{found} of {n}").format(found=RP.found(boxes, classes, truth.boxes, truth.classes),
                                          n=len(truth.boxes)) if truth is not None else "—"

    rows = [{"method": "R-CNN", "network passes": scored.calls, "proposals (s)": props.seconds,
             "network (s)": scored.seconds, "total (s)": r.seconds, "boxes kept": len(r.keep),
             "shapes found": found_in(r.boxes, r.classes)}]
    if fast is not None:
        fr = RP.finish(props, fast.scored, r.threshold, r.iou_threshold, agree, regress)
        rows.append({"method": "Fast R-CNN (trunk once + RoI align)", "network passes": 1,
                     "proposals (s)": props.seconds, "network (s)": fast.seconds,
                     "total (s)": props.seconds + fast.seconds, "boxes kept": len(fr.keep),
                     "shapes found": found_in(fr.boxes, fr.classes)})
    if yolo is not None:
        rows.append({"method": f"YOLO ({yolo['title']})", "network passes": 1, "proposals (s)": 0.0,
                     "network (s)": yolo["seconds"], "total (s)": yolo["seconds"], "boxes kept": len(yolo["boxes"]),
                     "shapes found": found_in(yolo["boxes"], yolo["classes"]) if yolo["bundled"] else "—"})
    for row in rows:
        for k in ("proposals (s)", "network (s)", "total (s)"):
            row[k] = round(float(row[k]), 3)
    table = pd.DataFrame(rows)
    table["method"] = table["method"].map(lambda m: _(m) if m in METHODS else m)
    figures.table(st, table.rename(columns=lambda c: _(c)), hide_index=True, width="stretch")
    values = dict(search=props.seconds, calls=scored.calls, net=scored.seconds)
    if yolo is not None:
        text = _("**Why R-CNN is slow, measured:** selective search alone took {search:.2f} s, and "
                 "{calls} separate network calls {net:.2f} s; YOLO looked at the whole picture once in "
                 "{yolo:.0f} ms — **{x:.0f}× faster**.").format(yolo=yolo['seconds'] * 1000,
                                                               x=r.seconds / yolo['seconds'], **values)
    else:
        text = _("**Why R-CNN is slow, measured:** selective search alone took {search:.2f} s, and "
                 "{calls} separate network calls {net:.2f} s.").format(**values)
    if fast is not None:
        text += " " + _("**Fast R-CNN** runs the convolutions once on the whole picture ({trunk:.0f} ms "
                        "here) and cuts each region's features out of that map (RoI align onto the 4×4 grid the "
                        "heads take: {heads:.1f} ms for all {n} regions): the network "
                        "part drops from {net:.2f} s to {fast:.3f} s, but selective search still "
                        "costs what it cost — the heads here were trained on warped crops, not on RoI features, so "
                        "its answers differ somewhat from R-CNN's.").format(
            trunk=fast.trunk_seconds * 1000, heads=fast.head_seconds * 1000, n=len(props), net=scored.seconds,
            fast=fast.seconds)
    st.markdown(text + " " + _("**Faster R-CNN** removes that last cost: a small network (the region proposal "
                               "network) proposes the regions from the same feature map, with anchor boxes like "
                               "YOLO's. It is still two stages — propose, then classify each region — where YOLO "
                               "does one pass."))
    how_it_works(_(
        "- `core.detection.proposals.propose_steps(image, mode)` drives the `selective-search` package one "
        "strategy at a time (Felzenszwalb segmentation, then greedy merging by colour, texture, size and fill); "
        "it builds the first regions itself because the package's own step fails on current SciPy.\n"
        "- `score_steps(lm, image, boxes)` crops and warps each region (`crop`) and calls the classifier once "
        "per region, counting and timing the calls; `finish` keeps regions over the threshold and runs "
        "`core.detection.boxes.batched_nms` (class by class).\n"
        "- `fast_rcnn(lm, image, boxes)`: the conv trunk once, `torchvision.ops.roi_align`, the heads; "
        "`recall(gt, proposals)`: true boxes some proposal overlaps with IoU ≥ 0.5.\n"
        "- The fine-tuned classifier: `core.detection.rcnn_finetune` (R-CNN's training on warped proposals; "
        "`assets/rcnn_shapes.md`). YOLO: the Detect tab's detector and thresholds (`Detector.detect`)."))
