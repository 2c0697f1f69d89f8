"""Segmentation › What the skips carry: each level's skip, what comes from below, and the
prediction without that skip."""
from __future__ import annotations

import streamlit as st

from core.segmentation import data
from core.segmentation.infer import skip_importance, skip_study
from core.segmentation.show import channel_pictures, feature_picture, to_display
from dashboard.i18n import _

from .common import bundled_or_error

AVERAGE_OVER = 16


@st.cache_data(show_spinner=False, max_entries=8)
def _importance_cached(size: int) -> dict:
    lm = bundled_or_error()
    with lm.lock:
        return skip_importance(lm, n=AVERAGE_OVER, size=size)


def _importance(size: int) -> dict:
    with st.spinner(_("Measuring every skip on {n} scenes…").format(n=AVERAGE_OVER)):
        return _importance_cached(size)


def render() -> None:
    st.subheader(_("What each skip connection carries"))
    st.write(_("Left: the encoder map that is copied across (sharp, local: edges and textures). Middle: "
             "what comes up from below through the transposed convolution (coarse, but it knows *what* "
             "the shape is). Right: the prediction when that skip is replaced by zeros, and its mIoU — "
             "a measurement of how much this trained net relies on that level's detail (it differs "
             "from level to level and from scene to scene)."))
    lm = bundled_or_error()
    if lm is not None:
        _levels(lm)
    with st.expander(_("How it works")):
        st.markdown(_(
            "- `UNet.forward_features(x)` returns every intermediate tensor by name (`enc1`, `up1`, "
            "`concat1`, …) in one pass; nothing is hooked or changed in the cached model.\n"
            "- `UNet.forward_features(x, drop_skips=(level,))` replaces that level's copied encoder "
            "map by zeros before the concatenation: an ablation, computed on the fly.\n"
            "- The pictures show the mean absolute activation over channels, scaled to 0–255."))


def _levels(lm) -> None:
    c1, c2 = st.columns([1, 3])
    seed = c1.number_input(_("scene seed"), 0, 10_000, 9, key="seg-skip-seed")
    trained = int(lm.meta.get("recipe", {}).get("image_size", 64))
    size = c1.select_slider(_("size"), sorted({48, 64, 80, 96, 128, trained}), trained, key="seg-skip-size",
                            help=_("The bundled U-Net was trained on {n}×{n} scenes.").format(n=trained))
    img, truth = data.scene(int(seed), int(size))
    with lm.lock:
        study = skip_study(lm, img, truth)
    big = max(1, 256 // int(size))
    c2.image([to_display(data.overlay(img, truth, 0.55), big), to_display(data.overlay(img, study.pred, 0.55), big)],
             caption=[_("generated scene, ground truth"),
                      _("prediction with every skip (mIoU {miou:.3f})").format(miou=study.miou)])
    avg = _importance(int(size))
    cols = st.columns(len(avg))
    cols[0].metric(_("mIoU, every skip"), f"{avg[None]:.3f}",
                   help=_("Over {n} fresh scenes of {size} px (one confusion matrix), not just the "
                          "scene above.").format(n=AVERAGE_OVER, size=size))
    for lvl, col in zip(range(1, len(avg)), cols[1:]):
        col.metric(_("without skip {level}").format(level=lvl), f"{avg[lvl]:.3f}", f"{avg[lvl] - avg[None]:+.3f}",
                   help=_("enc{level} replaced by zeros before concat{level}, on the same {n} "
                          "scenes.").format(level=lvl, n=AVERAGE_OVER))
    st.caption(_("Averaged over {n} scenes: which level's detail this trained net depends on. "
                 "Below, one scene level by level.").format(n=AVERAGE_OVER))
    scale = max(1, 192 // int(size))
    for lv in study.levels:
        lvl, enc, up = lv.level, lv.enc, lv.up
        zoom = scale * 2 ** (lvl - 1)
        st.markdown(_("**Level {level}** — skip `enc{level}` {enc} is concatenated with `up{level}` {up}").format(
            level=lvl, enc=f"{enc.shape[1]}×{enc.shape[2]}×{enc.shape[0]}", up=f"{up.shape[1]}×{up.shape[2]}×{up.shape[0]}"))
        a, b, c = st.columns(3)
        a.image(to_display(feature_picture(enc), zoom),
                caption=_("enc{level}: mean |activation| (the skip)").format(level=lvl), width="stretch")
        b.image(to_display(feature_picture(up), zoom),
                caption=_("up{level}: mean |activation| (from below)").format(level=lvl), width="stretch")
        c.image(to_display(data.overlay(img, lv.ablated, 0.55), scale),
                caption=_("without this skip: mIoU {miou:.3f}").format(miou=lv.ablated_miou), width="stretch")
        with st.expander(_("Level {level}: the four strongest channels of each").format(level=lvl)):
            st.image([to_display(m, zoom) for m in channel_pictures(enc)],
                     caption=[f"enc{lvl}"] * 4, width=150)
            st.image([to_display(m, zoom) for m in channel_pictures(up)],
                     caption=[f"up{lvl}"] * 4, width=150)
