"""Architectures › Augmentation: the same picture mirrored, cropped, rotated, sheared, warped
and recoloured, seed by seed."""
from __future__ import annotations

import numpy as np
import streamlit as st

import core.architectures as arch
from core.images import resize_max
from dashboard import figures
from dashboard.i18n import N_, _, opt
from dashboard.widgets import download_png, image_input

MIN_SIDE = 16  # px: below this the effects cannot be seen (and a 1×1 picture has no colour spread)


def render() -> None:
    st.write(_("More (virtual) training data from the data you have: the label stays, the "
               "picture changes. Small data sets can be augmented ahead of time; usually it "
               "is done on the fly while loading each batch."))
    left, right = st.columns([1, 1], gap="large")
    with left:
        image = image_input("arch-aug", default="chelsea")
    with right:
        seed = st.number_input(_("Seed"), 0, 10_000, 0, key="arch-aug-seed",
                               help=_("The same seed gives the same pictures."))
        with st.expander(_("Advanced")):
            crop = st.slider(_("random crop: side kept"), 0.2, 1.0, (0.4, 0.8), key="arch-aug-crop")
            rot = st.slider(_("rotation: max degrees"), 0, 180, 30, key="arch-aug-rot")
            shr = st.slider(_("shearing: max degrees"), 0, 45, 20, key="arch-aug-shear")
            warp = st.slider(_("local warping: strength"), 0.0, 0.15, 0.04, 0.005,
                             key="arch-aug-warp")
            shift = st.slider(_("colour shift: max per channel"), 0, 128, 40, key="arch-aug-shift")
            pca_std = st.slider(_("PCA colour: σ of α (AlexNet 0.1)"), 0.0, 2.0, 0.5, 0.05,
                                key="arch-aug-pca")
    if image is None:
        st.info(_("Choose, upload or snap an image."))
        return
    h, w = image.shape[:2]
    if min(h, w) < MIN_SIDE:
        st.warning(_("This picture is {w}×{h} pixels: too small to see what a crop, a rotation "
                     "or a warp does. Use one at least {side} pixels on its shorter side.").format(
                         w=w, h=h, side=MIN_SIDE),
                   icon=":material/photo_size_select_small:")
        return
    img = resize_max(image, 512)
    seed = int(seed)
    outs = {  # English names (the download's file name), shown translated
        N_("original"): img,
        N_("mirror"): arch.mirror(img),
        N_("random crop"): arch.random_crop(img, seed=seed, scale=tuple(crop)),
        N_("rotation"): arch.rotate(img, seed=seed, max_degrees=rot),
        N_("shearing"): arch.shear(img, seed=seed, max_degrees=shr),
        N_("local warping"): arch.local_warp(img, seed=seed, strength=warp),
        N_("colour shift"): arch.color_shift(img, seed=seed, max_shift=shift),
        N_("PCA colour (AlexNet)"): arch.pca_color(img, seed=seed, std=pca_std),
    }
    names = list(outs)
    # the whole width, four to a row (about 290 px each at 1280 px): each effect visible
    for row in range(0, len(names), 4):
        for col, name in zip(st.columns(4), names[row:row + 4]):
            col.image(outs[name], caption=_(name), width="stretch")
    a, b = st.columns([1, 3], vertical_alignment="bottom")
    pick = a.selectbox(_("Download"), names[1:], key="arch-aug-pick", format_func=opt)
    with b:
        download_png(outs[pick], f"{pick.split(' (')[0].replace(' ', '_')}_seed{seed}.png",
                     key="arch-aug-dl")
    vals, vecs = arch.pca_color_basis(img)
    with st.expander(_("PCA colour augmentation: the image's colour directions")):
        st.write(_("AlexNet adds to every pixel a random multiple of the principal components of "
                   "the RGB colours, scaled by how much the colours spread along each: the "
                   "colours move mostly along the directions the picture already varies in."))
        st.latex(r"\Delta I_{xy} = [\,p_1\ p_2\ p_3\,]\,[\,\alpha_1\lambda_1,\ \alpha_2\lambda_2,"
                 r"\ \alpha_3\lambda_3\,]^T,\qquad \alpha_i \sim \mathcal{N}(0, \sigma)")
        figures.table(st, [{_("component"): i + 1, _("spread λ (std)"): round(float(np.sqrt(v)), 4),
                       "R": round(float(vecs[0, i]), 3), "G": round(float(vecs[1, i]), 3),
                       "B": round(float(vecs[2, i]), 3)} for i, v in enumerate(vals)],
                     hide_index=True)
    with st.expander(_("How it works")):
        st.markdown(_(
            "- `core.architectures.mirror`, `random_crop`, `rotate`, `shear`, `local_warp`, "
            "`color_shift` and `pca_color` each take an RGB uint8 image and a `seed` and return "
            "an image of the same size (crops are resized back; rotations and shears fill the "
            "corners by reflection).\n"
            "- Local warping draws a random displacement on a coarse grid and interpolates it "
            "smoothly (bicubic) before resampling, so nearby pixels move together.\n"
            "- `pca_color_basis(image)` is the eigen-decomposition of the 3×3 RGB covariance."))
