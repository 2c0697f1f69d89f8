"""Style › Fast style › the checkerboard lesson: the first Great Wave network (sub-pixel
decoder) next to the retrained one (resize-then-convolve), on the picture being stylised."""
from __future__ import annotations

import streamlit as st

from core import style as S
from dashboard.cache import get_model
from dashboard.i18n import _


def _pair() -> tuple[str, str] | None:
    """(lesson model, its retrained style) when both are bundled."""
    every, styles = S.bundled_fast_styles(lessons=True), S.bundled_fast_styles()
    for before, after in S.LESSON_MODELS.items():
        if before in every and after in styles:
            return before, after
    return None


@st.cache_data(show_spinner=False, max_entries=8)
def _report(_before, _after, names: tuple[str, str], image, threads) -> S.CheckerboardReport:
    return S.checkerboard_report(image, _before, _after, side=320, threads=threads)


def lesson(image, threads: int | None) -> None:
    pair = _pair()
    if pair is None:
        return
    with st.expander(_("Lesson: the white lattice of the first Great Wave network "
                       "(checkerboard artefacts of upsampling)")):
        st.markdown(_(
            "A decoder has to make pixels: it doubles the resolution three times. The first "
            "version of this network did it with **sub-pixel convolutions**: a 3×3 convolution "
            "makes 4× the channels, a pixel shuffle lays them out as 2×2 blocks. That is a "
            "**transposed convolution** with stride 2 in disguise — each of the four positions in "
            "a block gets its own kernel, and nothing makes them agree. A transposed convolution "
            "with a 3×3 kernel and stride 2 even lands an uneven number of kernel taps on "
            "neighbouring pixels (the counts below), so a pattern with a period of **2 pixels** "
            "is built in; training then used that lattice to imitate the painting's fine texture. "
            "The retrained network **resizes, then convolves**: nearest-neighbour ×2 and one "
            "3×3 kernel shared by every pixel (Odena, Dumoulin & Olah, *Deconvolution and "
            "checkerboard artifacts*, Distill 2016)."))
        taps = S.transposed_overlap(8, 3, 2)[2:-2]
        st.caption(_("Taps per output pixel, 1-D transposed convolution, kernel 3, stride 2, on "
                     "ones: {taps} — alternating, period 2 "
                     "(`core.style.transposed_overlap`).").format(taps=", ".join(f"{t:g}" for t in taps)))
        before, after = (get_model(f"fast-style-{n}").model for n in pair)
        rep = _report(before, after, pair, image, threads)
        titles = [_("Photo"), _("Before: sub-pixel decoder"), _("After: resize, then convolve")]
        spec_caption = _("power spectrum, zero frequency in the middle: a lattice adds bright "
                        "spots at ¼ and ½ cycle/px")
        cols = st.columns(3)
        for col, title, img, crop, spec, e in zip(cols, titles, rep.images, rep.crops,
                                                  rep.spectra, rep.energy):
            col.markdown(_("**{title}**  \nperiod-2 energy **{energy}**").format(title=title, energy=_pct(e)))
            col.image(img, width="stretch")
            col.image(crop, caption=_("centre, 4× enlarged (every pixel a 4×4 block)"), width="stretch")
            col.image(spec, caption=spec_caption, width="stretch")
        st.caption(_(
            "Period-2 energy (`core.style.period2_energy`): the share of the picture's spectral "
            "energy within 1/64 cycle/px of the Nyquist frequency ½, where a 2-px lattice shows "
            "up (the border of the spectrum; the spots at ¼ come from the ×2 before it). Before: {before}, "
            "after: {after}, the photo: {photo}. Both networks "
            "were trained with the same recipe; only the decoder changed "
            "(card: `assets/fast_style.md`).").format(
                before=_pct(rep.energy[1]), after=_pct(rep.energy[2]), photo=_pct(rep.energy[0])))


def _pct(v: float) -> str:
    p = 100 * v
    return f"{p:.2f} %" if p >= 0.1 else f"{p:.3f} %"
