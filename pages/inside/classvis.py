"""Inside the network › Class visualization: Lucid's recipe toward a class or one channel."""
from __future__ import annotations

import dataclasses

import streamlit as st

from core import precompute
from core.vis import optimise as O
from dashboard import jobs
from dashboard.i18n import N_, _, opt
from dashboard.widgets import downloads, how_it_works

from . import common
from .common import Inside, top_table

RUN = "inside-cv-run"            # jobs.follow's key
CUSTOM = N_("Custom: any class or channel")


def render(c: Inside) -> None:
    st.write(_("Gradient ascent as in the notes — score the class, back-propagate to the picture, "
             "change the picture to raise the score — made to work on a modern network with "
             "Lucid's recipe: the picture is described by its **Fourier spectrum** (scaled by "
             "1/f^1.5, colours decorrelated), and every step scores a randomly **padded, jittered, "
             "rescaled and rotated** copy, so the picture cannot rely on single pixels. These two "
             "are the regularizer R(I); L2 and TV terms can be added."))
    st.latex(r"I^{*}=\arg\max_I\; \mathbb{E}_{t\sim T}\,S_c\big(t(I)\big)-\lambda_2\lVert I\rVert_2^2"
             r"-\lambda_{TV}\,TV(I),\qquad I=\sigma\!\big(C\cdot\mathcal{F}^{-1}[\hat I/f^{1.5}]\big)")
    D = dict(O.CLASSVIS_DEFAULTS)
    choices = O.presets(c.lm)
    labels = [p.label for p in choices] + [CUSTOM]
    pick = st.selectbox(_("What to draw"), labels, key=f"inside-cv-preset-{c.key}", format_func=opt,
                        help=_("Presets: targets chosen by looking at their pictures on this network."))
    preset = next((p for p in choices if p.label == pick), None)
    if preset is None:
        v1, v2 = st.columns(2)
        mode = v1.radio(_("Maximise"), [N_("A class score"), N_("One channel of a layer")], horizontal=True,
                        key="inside-cv-mode", format_func=opt)
        if mode == "A class score":
            target = v2.selectbox(_("Class"), list(range(len(c.labels))), index=1 if len(c.labels) > 1 else 0,
                                  format_func=c.class_name, key=f"inside-cv-class-{c.key}")
            layer = None
        else:
            layer = v2.selectbox(_("Layer"), c.layer_names, index=c.deep_index, key=f"inside-cv-layer-{c.key}")
            n = c.channels(layer)                       # bounded by the layer's real channel count
            target = st.number_input(_("Channel"), 0, n - 1, 0, key=f"inside-cv-ch-{c.key}",
                                     help=_("`{layer}` has {n} channels: 0 … {last}.").format(
                                         layer=layer, n=n, last=n - 1))
        eta0 = D["step_size"] if layer is None else 0.05
    else:
        target, layer, eta0 = preset.target, preset.layer, preset.step_size
    what = c.class_name(int(target)) if layer is None else common.channel_name(layer, int(target))
    r1, r2, r3 = st.columns(3)
    steps = r1.slider(_("Steps"), 16, 512, D["steps"], step=16, key="inside-cv-steps")
    l2w = r2.slider(_("L2 weight"), 0.0, 50.0, D["l2"], key="inside-cv-l2",
                    help=_("λ₂·mean((I−½)²): pulls colours toward grey."))
    tvw = r3.slider(_("TV weight"), 0.0, 500.0, D["tv"], step=10.0, key="inside-cv-tv",
                    help=_("λ_TV·TV(I): smooths neighbouring pixels. The spectrum scaling already removes "
                           "pixel noise, so both terms start at 0; raise them to see what they do."))
    with st.expander(_("Advanced")):
        b1, b2, b3, b4 = st.columns(4)
        eta = b1.slider(_("Learning rate (Adam)"), 0.005, 0.1, eta0, step=0.005, format="%.3f",
                        key=f"inside-cv-eta-{layer}-{int(target)}")
        side = b2.select_slider(_("Size (px)"), [96, 128, 160, 224], value=D["size"], key="inside-cv-size")
        inits = [N_("noise"), N_("zeros")]
        init = b3.radio(_("Start from"), inits, index=inits.index(D["init"]), key="inside-cv-init", format_func=opt,
                        help=_("noise: a faint random spectrum; zeros: the flat grey picture."))
        jit = b4.slider(_("Extra roll (± px)"), 0, 32, D["roll"], key="inside-cv-jit",
                        help=_("A circular shift before the pad/jitter/scale/rotate transforms."))
        blur = st.slider(_("Blur σ (px) of the scored copy"), 0.0, 2.0, D["blur"], step=0.25, key="inside-cv-blur")
    settings = dict(target=int(target), layer=layer, steps=int(steps), size=int(side), step_size=float(eta),
                    l2=float(l2w), tv=float(tvw), blur=float(blur), roll=int(jit), init=init)
    _finish_stopped(c, settings)
    name = (_("logit of {what}").format(what=c.class_name(int(target))) if layer is None else
            _("mean of {what}").format(what=what))
    if st.button(_("Run gradient ascent"), type="primary", key="inside-cv-go", icon=":material/trending_up:"):
        snapshots, record = precompute.start("classvis", c.lm, None, settings, share=True)
        st.session_state[f"{RUN}-record"], st.session_state[f"{RUN}-settings"] = record, settings
        st.session_state[f"{RUN}-frames"] = frames = []
        last = jobs.follow(_kept(snapshots, frames), RUN, image_width=320, role=snapshots.role,
                           describe=lambda s: _describe(s, name))
        if last is not None:
            st.session_state["inside-cv"] = {**precompute.finish("classvis", c.lm, None, settings, record),
                                             "frames": list(frames)}
    cur = precompute.current("classvis", c.lm, settings, None, st.session_state.get("inside-cv"))
    res = cur.result
    if res:
        _result(res, cur, name)
    _note(preset, layer, c.lm)
    how_it_works(_("`core.vis.optimise.class_visualization(model, class_or_channel, …)` puts together "
                 "pieces of `core.vis.ascent` that compose like Lucent's: the parameterisation "
                 "`FourierImage(size, decay=1.5)` (spectrum → inverse FFT → colour decorrelation → "
                 "sigmoid), the objective `class_logit(c)` or `channel(layer, k)`, the transforms "
                 "`robust()` = `pad(12)`, `random_crop(8)`, `random_scale(0.9…1.1)`, `random_rotate(±10°)`, "
                 "`random_crop(4)`, the terms `l2_penalty` / `tv_penalty`, and the loop `render` "
                 "(Adam). The number on the bar and in the metric is the same: the objective on the "
                 "picture as saved, without transforms."))


def _describe(s, name: str) -> str:
    p = s.info.get("probability")
    if p is None:
        return _("step {step}/{total} · {name} {value:.2f}").format(step=s.step, total=s.total, name=name, value=s.loss)
    return _("step {step}/{total} · {name} {value:.2f} · p {p:.3f}").format(step=s.step, total=s.total, name=name,
                                                                           value=s.loss, p=p)


def _kept(snapshots, frames: list):
    """The run's pictures, kept as they come (for the GIF, and for a stopped run's last picture)."""
    for snap in snapshots:
        if snap is not None and snap.image is not None:     # None: a shared run's heartbeat
            frames.append(snap.image)
        yield snap


def _finish_stopped(c: Inside, settings: dict) -> None:
    """A run that was stopped (Stop, or any widget change) becomes a result marked stopped."""
    snap = jobs.interrupted(RUN)
    frames = st.session_state.get(f"{RUN}-frames") or []
    record = st.session_state.get(f"{RUN}-record")
    if snap is None or record is None or record.last is None or not frames:
        return
    if record.last.image is None:
        record.last = dataclasses.replace(record.last, image=frames[-1])
    ran = st.session_state.get(f"{RUN}-settings", settings)
    st.session_state["inside-cv"] = {**precompute.finish("classvis", c.lm, None, ran, record),
                                     "frames": list(frames)}


def _result(res: dict, cur, name: str) -> None:
    c1, c2 = st.columns([1, 1])
    values = dict(what=common.what(res["what"]), seconds=res["seconds"], tail=common.tail(cur))
    caption = (_("{what} · {seconds:.1f} s · stopped early{tail}") if res.get("stopped") else
               _("{what} · {seconds:.1f} s{tail}")).format(**values)
    c1.image(res["image"], caption=caption, width="stretch")
    if common.stale_note(cur):
        c1.caption(common.stale_note(cur))
    with c2:
        st.metric(_("Objective: {name}").format(name=name), f"{res['end']:.2f}",
                  _("{delta:+.2f} from the start").format(delta=res["end"] - res["start"]))
        st.caption(_("What the network now says about this picture:"))
        top_table(res["top"])
        downloads(res["image"], res.get("frames") or [], "class-visualization", key="inside-cv")


def _note(preset, layer, lm) -> None:
    if preset is not None:
        if preset.abstract:
            st.warning(_("What this picture shows on this network: {seen}. The network is sure; a person "
                         "is not — the notes' point that a picture can fool the model (the fooling images "
                         "in the last tab are the extreme case).").format(seen=_(preset.seen)))
        else:
            st.info(_("What this picture shows on this network: {seen}.").format(seen=_(preset.seen)))
    else:
        if lm.name == "efficientnet_lite0":
            st.info(_("Many classes and channels stay abstract textures even when the score is at ~100 %: "
                      "the network's certainty does not mean a person can name the picture. Channels of "
                      "blocks[3]–blocks[5] (eyes, fur, scales) are the most readable on EfficientNet-Lite0."))
        else:
            st.info(_("Many classes and channels stay abstract textures even when the score is at ~100 %: "
                      "the network's certainty does not mean a person can name the picture. Channels of "
                      "the middle stages are usually the most readable."))
