"""Style: Gram matrices, texture synthesis, Gatys style transfer and fast style (core.style).

Tabs: ``gram.py`` (Gram matrix), ``texture.py`` (Texture synthesis), ``transfer.py`` (Style
transfer), ``fast.py`` (Fast style); what they share is in ``common.py``.
"""
from __future__ import annotations

import streamlit as st

from core import style as S
from core.devices import job_threads
from dashboard import tabs
from dashboard.i18n import N_, _
from dashboard.tabs import Tab
from dashboard.widgets import model_picker

from . import fast, gram, texture, transfer
from .common import Style

TABS = [Tab(N_("Gram matrix"), gram.render), Tab(N_("Texture synthesis"), texture.render),
        Tab(N_("Style transfer"), transfer.render), Tab(N_("Fast style"), fast.render)]
INTRO = N_("A convolutional layer turns a picture into n_H × n_W feature vectors of n_C numbers. "
         "**Where** things are is the content; **which channels fire together**, wherever they "
         "are, is the style. The Gram matrix keeps only the second: it sums the outer products of "
         "the feature vectors over all positions. Style transfer then looks for a picture G whose "
         "deep features match the content picture C and whose Gram matrices match the style "
         "picture S, by gradient descent on G's pixels.")


def render() -> None:
    st.title(_("Style: Gram matrices and style transfer"))
    st.write(_(INTRO))
    st.latex(r"J(G)=\alpha\,J_{content}(C,G)+\beta\,J_{style}(S,G)\;(+\;w_{TV}\,J_{TV}(G)),"
             r"\qquad G:=G-\frac{\partial J(G)}{\partial G}")
    st.latex(r"G^{[l]}_{kk'}=\sum_{i=1}^{n_H}\sum_{j=1}^{n_W}a^{[l]}_{ijk}\,a^{[l]}_{ijk'},\qquad "
             r"J^{[l]}_{style}(S,G)=\frac{1}{(2\,n_H^{[l]}n_W^{[l]}n_C^{[l]})^{2}}"
             r"\sum_{k}\sum_{k'}\big(G^{[l](S)}_{kk'}-G^{[l](G)}_{kk'}\big)^{2}")
    st.latex(r"J_{content}(C,G)=\tfrac12\lVert a^{[l](C)}-a^{[l](G)}\rVert^{2},\qquad "
             r"J_{TV}(G)=\sum_{i,j}(G_{i,j+1}-G_{i,j})^{2}+(G_{i+1,j}-G_{i,j})^{2}")
    st.caption(_("Content loss on one deep layer (notes 000: an MSE; 004: ½‖·‖²), style loss on "
                 "several layers through Gram matrices, and the noise loss (잡음 손실): pixel "
                 "differences after shifting the picture one pixel right and one pixel down."))
    # The loss network: the ImageNet classifier, or the visitor's own (its style and content
    # layers come from the model itself, core.zoo.own).
    lm = model_picker("st-model", own=True, label=N_("Loss network (style and content layers)"))
    # One CPU thread while optimising: on a busy 2-core machine torch's thread hand-offs cost more
    # than they gain (measured several times slower with 2); a GPU is left alone.
    threads = job_threads() if str(getattr(lm, "device", "cpu")) == "cpu" else None
    s = Style(lm=lm, table=S.loss_layers(lm), threads=threads)
    # "-up": the style pictures' uploaders (st-tex-up, …), which a script may not assign
    tabs.run(TABS, "st-", s)
    _how_it_works(s)


def _how_it_works(s: Style) -> None:
    with st.expander(_("How it works")):
        st.markdown(_("""
1. **Activations** come from `core.vis.ascent.activations`: per-call hooks on {title}, attached
   under the model's lock and removed right after; the forward pass stops after the last layer
   needed. Gradients are taken with respect to the pixels only.
2. **Gram matrix** — `core.style.gram_matrix(features)` for (C,H,W) or (B,C,H,W): F Fᵀ summed
   over positions (notes 004) or divided by H·W (`normalize="hw"`, the notes' average).
   `gram_report` finds the most correlated channel pair, `shuffle_patches` and
   `permute_positions` make the same-Gram pictures, `gram_distance` measures the difference.
3. **Losses** — `content_loss` (MSE of one deep layer, default {content_label}),
   `style_loss` (several layers with weights λ_l; `normalization="notes"` is the notes'
   1/(2n_Hn_Wn_C)² formula, `"hw"` — used on this page — the relative error of G = FFᵀ/HW
   averaged over layers, measured best-looking on EfficientNet-Lite0) and `tv_loss` (squared
   right-shift and down-shift differences: the notes' noise loss).
4. **Style transfer** — `core.style.stylize(content, style, model, …)` minimises
   αJ_content + βJ_style + w·TV with L-BFGS (history 50, strong Wolfe line search) or Adam and
   yields a snapshot every few loss evaluations with each term: the live picture and curves.
   **Texture synthesis** — `synthesize_texture(style, model, size)`: the same from noise with α = 0,
   plus the pixels' own Gram matrix (colours), optimised at half size.
5. **Fast style** — `TransformerNet` (Johnson et al., slimmed: stride-2 convolutions, residual
   blocks at 1/8 size, resize-then-convolve upsampling, instance norm), trained per style by
   `train_fast_style` with the same losses on random photo crops (`make assets` trains the
   bundled ones; card in `assets/fast_style.md`); `fast_style_frame(frame, model)` is the frame
   function used for pictures, snapshots and the webcam.
""").format(title=s.lm.title, content_label=s.table.content_label))
