"""Inside the network › Adversarial & fooling: invisible changes that flip the class, and a
picture from noise the network is sure about."""
from __future__ import annotations

import numpy as np
import streamlit as st

from core.vis import attribution as T
from core.vis import optimise as O
from dashboard import jobs
from dashboard.i18n import _
from dashboard.widgets import download_png, how_it_works

from .common import Inside, top_table


def render(c: Inside) -> None:
    st.write(_("An adversarial example changes every pixel by an invisible amount in the direction "
             "that hurts the network most — the sign of the loss gradient — and the class changes. "
             "A fooling image goes further: from pure noise to a picture the network is sure about."))
    st.latex(r"x_{adv}=x+\epsilon\,\mathrm{sign}\big(\nabla_x J(x,y)\big)")
    e1, e2, e3 = st.columns(3)
    eps255 = e1.slider(_("ε (out of 255 per pixel)"), 0.5, 16.0, 2.0, step=0.5, key="inside-adv-eps")
    adv_steps = e2.slider(_("Steps (1 = FGSM)"), 1, 20, 10, key="inside-adv-steps")
    tgt_opts = [-1] + list(range(len(c.labels)))
    adv_target = e3.selectbox(_("Push toward"), tgt_opts, index=0,
                              format_func=lambda k: _("a clearly different class (untargeted)") if k < 0 else c.class_name(k),
                              key=f"inside-adv-target-{c.key}")
    if st.button(_("Attack"), type="primary", key="inside-adv-go", icon=":material/bolt:"):
        r = O.adversarial(c.lm, c.crop, None if adv_target < 0 else int(adv_target), eps=eps255 / 255, steps=adv_steps)
        st.session_state["inside-adv"] = dict(r=r, pic=c.crop, model=c.key)
    res = st.session_state.get("inside-adv")
    if res and res["model"] == c.key and np.array_equal(res["pic"], c.crop):
        _attack(res, c)
    elif res:
        st.caption(_("The last attack was on another picture or model: press **Attack** again."))
    _fooling(c)
    how_it_works(_("`core.vis.optimise.adversarial(model, image, target, eps, steps)`: FGSM (one "
                 "step of ε·sign(∇x J)) or iterative FGSM projected back into the ε-ball; untargeted "
                 "with several steps, it first leaves the picture's 20 most likely classes (so a "
                 "tabby does not just become an Egyptian cat), then raises the strongest class "
                 "outside them. The result is rounded to 8-bit pixels and scored as such. "
                 "`fooling_image(model, target)` "
                 "starts from uniform noise and lets Adam raise log p(target) until it passes 0.99."))


def outcome(r: O.Adversarial, name) -> str:
    """What the attack did, in words: a targeted attack that misses its target does not "change
    the class" as asked, even when the top class moved (``name``: class index → its name)."""
    top = r.after[0][0]
    if r.target is not None:
        if top == r.target:
            return _("**target reached**: the network now says {top}").format(top=name(top))
        if top != r.source:
            return _("the class changed to {top}, **but not to the target** {target}").format(
                top=name(top), target=name(r.target))
        return _("**unchanged**: still {top}; the target {target} was not reached").format(
            top=name(top), target=name(r.target))
    if top != r.source:
        return _("**the class changed** from {source} to {top}").format(source=name(r.source), top=name(top))
    return _("**unchanged**: still {top}").format(top=name(top))


def _attack(res: dict, c: Inside) -> None:
    r = res["r"]
    biggest = float(np.abs(r.perturbation).max())
    c1, c2, c3 = st.columns(3)
    c1.image(res["pic"], caption=_("original"), width="stretch")
    c2.image(r.amplified(), caption=_("perturbation ×{gain:.0f} (max {biggest:.1f}/255)").format(
        gain=0.5 / max(1e-9, biggest), biggest=biggest * 255), width="stretch")
    c3.image(r.image, caption=_("adversarial"), width="stretch")
    t1, t2 = st.columns(2)
    with t1:
        st.caption(_("Before (on the {w}×{h} network view, as in every tab)").format(
            w=res["pic"].shape[1], h=res["pic"].shape[0]))
        top_table(r.before)
    with t2:
        how = "FGSM" if r.steps == 1 else _("{n} steps").format(n=r.steps)
        st.caption(_("After ({how}, {seconds:.1f} s) — {outcome}").format(
            how=how, seconds=r.seconds, outcome=outcome(r, c.class_name)))
        top_table(r.after)
    download_png(r.image, "adversarial.png", key="inside-adv-png")


def _fooling(c: Inside) -> None:
    st.subheader(_("Fooling image from noise"))
    fool_cls = st.selectbox(_("Make the network see"), list(range(len(c.labels))), index=min(859, len(c.labels) - 1),
                            format_func=c.class_name, key=f"inside-fool-class-{c.key}")
    stopped = jobs.interrupted("inside-fool-run")      # a Stop: keep what the run had reached
    if stopped is not None and st.session_state.get("inside-fool-img") is not None:
        _keep(c, stopped, True)
    if st.button(_("Fool it"), key="inside-fool-go", icon=":material/blur_on:"):
        for k in ("inside-fool", "inside-fool-img"):     # nothing of an earlier run stays beside this one
            st.session_state.pop(k, None)
        last = jobs.follow(O.fooling_image(c.lm, int(fool_cls), size=160, steps=80), "inside-fool-run",
                           image_width=240,
                           on_snapshot=lambda snap: _last_picture(snap, int(fool_cls)))
        if last is not None:
            _keep(c, last, False)
    res = st.session_state.get("inside-fool")
    if res and (res["model"], res["target"]) == (c.key, int(fool_cls)):
        c1, c2 = st.columns(2)
        c1.image(res["image"], width="stretch",
                 caption=(_("stopped after {steps} steps: noise to us, {target} to the network") if res["note"]
                          else _("after {steps} steps: noise to us, {target} to the network")).format(
                              steps=res["steps"], target=c.class_name(res["target"])))
        with c2:
            top_table(res["top"])
            download_png(res["image"], "fooling.png", key="inside-fool-png")
    elif res:
        st.caption(_("The last fooling image was for another class or model: press **Fool it** again."))


def _last_picture(snap, target: int) -> None:
    if snap.image is not None:
        st.session_state["inside-fool-img"] = (target, snap.image)


def _keep(c: Inside, snap, note: bool) -> None:
    target, img = st.session_state.pop("inside-fool-img")
    st.session_state["inside-fool"] = dict(image=img, top=T.top_classes(c.lm, img, 3), steps=snap.step,
                                           target=target, model=c.key, note=note)
