"""Architectures › LeNet-5 live: LeNet-5 trained on scikit-learn's digits in the page, its
curves, confusion matrix and mistakes."""
from __future__ import annotations

import streamlit as st

import core.architectures as arch
from dashboard import figures, jobs
from dashboard.i18n import N_, _
from dashboard.figures import Curve

from .common import BLUE, ORANGE, cached_digits, n

VARIANTS = {"lenet5_modern": N_("modern (ReLU, max pool)"), "lenet5": N_("1998 (tanh, RBF)")}
FORMS = {"lenet5_modern": N_("modern"), "lenet5": "1998"}
# 10 epochs at batch 32, threads=1, measured on this project's 2-core server with the core free
# (process time 5.0 s and 13.2 s; 16 s and 42 s of wall time with the server under load 12)
SECONDS_PER_10 = {"lenet5_modern": 5, "lenet5": 13}


def _other(variant: str) -> str:
    return next(v for v in VARIANTS if v != variant)


def left(snap) -> float:
    """Seconds still to go, from the pace of the epochs so far."""
    return snap.seconds / max(snap.epoch, 1) * (snap.epochs - snap.epoch)


def render() -> None:
    st.write(_(
        "LeNet-5 reads 32×32 greyscale digits: two CONV + POOL stages shrink 32×32×1 to "
        "5×5×16 while the channels grow, then fully connected layers 120 → 84 → 10. Here "
        "it learns scikit-learn's handwritten digits (1,797 images of 8×8 pixels, shipped "
        "with scikit-learn), upsampled to 28×28 and padded to 32×32 like MNIST in the paper."))
    jobs.interrupted("arch-le")  # a stopped run: the model it reached is in arch-lenet
    c = st.columns(5)
    variant = c[0].radio(_("Form"), list(VARIANTS), key="arch-le-variant",
                          format_func={v: _(t) for v, t in VARIANTS.items()}.get)
    epochs = c[1].slider(_("Epochs"), 1, 30, 10, key="arch-le-epochs")
    lr = c[2].select_slider(_("Learning rate (Adam)"), [5e-4, 1e-3, 2e-3, 5e-3, 1e-2], value=5e-3,
                            key="arch-le-lr")
    batch = c[3].select_slider(_("Batch size"), [16, 32, 64, 128], value=32, key="arch-le-batch")
    seed = c[4].number_input(_("Seed"), 0, 9999, 0, key="arch-le-seed")
    data = cached_digits(int(seed))
    go_btn = st.button(_("Train LeNet-5"), type="primary", key="arch-le-go",
                       icon=":material/play_arrow:")
    progress_area = st.container()
    curves = st.empty()
    if go_btn:
        st.session_state.pop("arch-lenet", None)
        snapshots = arch.train_lenet_digits(epochs=epochs, variant=variant, lr=lr,
                                            batch_size=batch, seed=int(seed), data=data,
                                            threads=1)
        jobs.follow(_kept(snapshots, variant, int(seed)), "arch-le", area=progress_area,
                    describe=lambda s: (
                        _("epoch {epoch}/{epochs} · loss {loss:.4f} · held-out accuracy "
                          "{accuracy:.2%} · {seconds:.1f} s, about {left:.0f} s left").format(
                            epoch=s.epoch, epochs=s.epochs, loss=s.loss, accuracy=s.accuracy,
                            seconds=s.seconds, left=left(s)) if s.epoch < s.epochs else
                        _("epoch {epoch}/{epochs} · loss {loss:.4f} · held-out accuracy "
                          "{accuracy:.2%} · {seconds:.1f} s").format(
                            epoch=s.epoch, epochs=s.epochs, loss=s.loss, accuracy=s.accuracy,
                            seconds=s.seconds)),
                    on_snapshot=lambda s: _curves(curves, s.history),
                    stop_help=_("Stops training; the model reached so far is kept."))
    state = st.session_state.get("arch-lenet")
    if not state:
        st.info(_("Press **Train LeNet-5**. Measured on one free CPU core, ten epochs take "
                  "about {s} s for the {form} form (batch 32; the other form: {other} s); a "
                  "busy shared server takes several times longer (4× under a load of 14 "
                  "here). The bar shows the time left.").format(
                    s=SECONDS_PER_10[variant], form=_(FORMS[variant]),
                    other=SECONDS_PER_10[_other(variant)]),
                icon=":material/info:")
        return
    if not go_btn:  # (while training, the loop drew them)
        _curves(curves, state["history"])
    _results(state, data, int(seed))
    with st.expander(_("How it works")):
        st.markdown(_(
            "- `core.architectures.digits_dataset(seed)` loads scikit-learn's digits, splits "
            "off a stratified 20% test set, and `to_lenet_input` upsamples 8×8 → 28×28 and pads "
            "to 32×32 (background −0.1, ink 1.175, as in the paper).\n"
            "- `core.architectures.train_lenet_digits(epochs, variant={variant}, lr, "
            "batch_size, seed)` is an iterator: Adam with a cosine learning-rate schedule and "
            "random shifts of up to 2 pixels; after every epoch it yields a snapshot (loss, "
            "held-out accuracy, history, the model). Stop breaks the loop.\n"
            "- `confusion_matrix(y_true, y_pred)` and `misclassified(model, data)` draw the "
            "results.\n"
            "- The 1998 form has 60,000 trainable parameters (scaled tanh, trainable "
            "subsampling, the sparse C3 table, Euclidean RBF outputs with fixed codes); the "
            "modern form 61,706.").format(variant=repr(variant)))


def _kept(snapshots, variant: str, seed: int):
    """The training snapshots, each one's model kept in ``arch-lenet`` (for this page after a
    Stop, and for other pages) before it is drawn."""
    for snap in snapshots:
        st.session_state["arch-lenet"] = {
            "model": snap.model, "history": snap.history, "variant": variant,
            "accuracy": snap.accuracy, "epoch": snap.epoch, "epochs": snap.epochs,
            "seed": seed, "seconds": snap.seconds}
        yield snap


def _results(state: dict, data: arch.DigitsData, seed: int) -> None:
    model = state["model"]
    m = st.columns(4)
    m[0].metric(_("Held-out accuracy"), f"{state['accuracy']:.2%}",
                help=_("{n} digits never seen in training").format(n=len(data.y_test)))
    m[1].metric(_("Epochs"), f"{state['epoch']}/{state['epochs']}")
    m[2].metric(_("Time"), f"{state['seconds']:.1f} s")
    m[3].metric(_("Parameters"), n(sum(p.numel() for p in model.parameters())))
    if state["seed"] != seed:
        st.caption(_("The model was trained with another seed (another split): evaluation "
                     "below uses the current split."))
    pred, _probs = arch.predict(model, data.x_test)
    cm = arch.confusion_matrix(data.y_test.numpy(), pred)
    left, right = st.columns([1, 1], gap="large")
    with left:
        figures.show(figures.confusion(cm, list(range(10)), title=_("confusion matrix (held-out)")),
                     "arch-le-cm", width="stretch")
    with right:
        wrong = arch.misclassified(model, data, limit=12)
        st.markdown(_("**Misclassified held-out digits** ({wrong} of {total}), most confident "
                      "first").format(wrong=int((pred != data.y_test.numpy()).sum()),
                                      total=len(pred)))
        if not wrong:
            st.success(_("None — every held-out digit is right."))
        for row in range(0, len(wrong), 6):
            cols = st.columns(6)
            for col, w in zip(cols, wrong[row:row + 6]):
                col.image(arch.digit_image(w["image"]),
                          caption=f"{w['true']} → {w['pred']} ({w['confidence']:.0%})",
                          width="stretch")
        st.caption(_("Under each: true label → prediction (softmax confidence). The "
                     "pictures are the original 8×8 digits."))
    st.caption(_("The trained model stays in this session (st.session_state) for other pages."))


def _curves(slot, hist) -> None:
    e = hist["epoch"]
    fig = figures.loss_curves(
        [Curve(_("training loss"), e, hist["loss"], BLUE, mode="lines+markers"),
         Curve(_("held-out loss"), e, hist["test_loss"], ORANGE, mode="lines+markers"),
         Curve(_("training accuracy"), e, hist["train_accuracy"], BLUE, "dot", "lines+markers", panel=1),
         Curve(_("held-out accuracy"), e, hist["accuracy"], ORANGE, mode="lines+markers", panel=1)],
        panels=(_("loss"), _("accuracy")), x_title=_("epoch"), height=300, legend_y=-0.3,
        y_format=(None, ".0%"), dtick=1 if len(e) <= 15 else None)
    figures.show(fig, slot=slot, width="stretch")
