"""Inside the network (issue 16): filters and how deeper filters mix channels, the tabs' fixes."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from core import images
from core.vis import ascent as A
from core.vis import features as Fe

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def crop(lm):
    return lm.prepare(images.load_sample("chelsea", max_side=1024))


def _hooks(model):
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


def test_first_layer_grid_has_full_rows_of_big_tiles(lm):
    assert [Fe.grid_cols(n) for n in (32, 64, 96, 16, 7)] == [8, 8, 12, 4, 3]
    fg = Fe.filters(lm)
    assert fg.shape[0] == 32 and fg.image.shape[1] > fg.image.shape[0]    # 8 × 4, not 6 × 6
    assert fg.image.shape[0] >= 4 * 60                                     # tiles of about 64 px


def test_conv_mix_is_the_sum_it_claims(lm, crop):
    """A 1×1 convolution without bias: all the terms w_i · in_i add up to the output map, and the
    terms shown are the largest ones, strongest output channels first."""
    before = _hooks(lm.model)
    mix = Fe.conv_mix(lm, crop, "blocks[3]", n=3, inputs=4)
    assert _hooks(lm.model) == before
    assert mix.layer == "blocks.3.2.conv_pwl" and mix.shape[2:] == (1, 1) and len(mix.rows) == 3
    net = A.as_net(lm)
    conv = dict(lm.model.named_modules())[mix.layer]
    xin, out = Fe._conv_io(net, A.to_tensor(crop), mix.layer)
    means = out[0].mean((1, 2))
    assert [r.channel for r in mix.rows] == torch.argsort(means, descending=True)[:3].tolist()
    w = conv.weight[:, :, 0, 0]
    for r in mix.rows:
        terms = w[r.channel][:, None, None] * xin[0]
        assert np.allclose(terms.sum(0).numpy(), r.output, atol=1e-3)
        size = terms.abs().mean((1, 2))
        assert r.inputs == torch.argsort(size, descending=True)[:4].tolist()
        assert np.allclose(r.maps[0], xin[0, r.inputs[0]].numpy())
        assert abs(r.weights[0] - float(w[r.channel, r.inputs[0]])) < 1e-6
        assert 0 < sum(r.share) < 1 and r.share == sorted(r.share, reverse=True)


def test_conv_mix_on_the_rgb_stem_and_a_depthwise_block(lm, crop):
    stem = Fe.conv_mix(lm, crop, "stem", n=2, inputs=4)
    assert stem.shape[1] == 3 and all(sorted(r.inputs) == [0, 1, 2] for r in stem.rows)   # only 3 inputs
    assert abs(sum(stem.rows[0].share) - 1) < 1e-5
    dw = Fe.conv_mix(lm, crop, "blocks.1.0.conv_dw", n=2, inputs=3)    # groups = channels
    assert dw.groups == 96 and all(r.inputs == [r.channel] for r in dw.rows)


def _tab(name: str):
    from tests.pageapp import page_app

    at = page_app("inside", default_timeout=240).run()
    at.session_state["inside-tab"] = name
    return at.run()


def test_filters_tab_channels_shown_never_exceeds_the_layer():
    at = _tab("Filters & feature maps")
    assert not at.exception, [e.value for e in at.exception]
    layer = [s for s in at.selectbox if (s.key or "").startswith("inside-fm-layer")][0]
    for name, total in (("blocks[0]", 16), ("blocks[1]", 24), ("blocks[3]", 80)):
        layer.set_value(name)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        shown = [s for s in at.select_slider if (s.key or "").startswith("inside-fm-n")][0]
        assert max(shown.options, key=int) == str(min(total, 64)) and int(shown.value) <= total
        layer = [s for s in at.selectbox if (s.key or "").startswith("inside-fm-layer")][0]
    captions = " ".join(c.value for c in at.caption)
    assert "each output map sums" in captions


def test_default_neighbours_query_shows_features_beat_pixels(lm):
    """Issue 16: with the cat mirrored, pixel space also found the cat. The default query (mirrored,
    half the brightness) is found by feature space and missed by pixel space."""
    from core.vis import neighbours as N

    names, gal = [], []
    for name in images.samples():
        views = Fe.gallery_variants(images.load_sample(name, max_side=512), 128)
        gal += [views[0], views[1], views[2], views[4]]
        names += [name] * 4
    q = N.query_view(images.load_sample("chelsea", max_side=1024))
    assert q.shape == (128, 128, 3) and q.mean() < 0.6 * Fe.prepare(images.load_sample("chelsea"), 128).mean()
    feats, pix = N.embed(lm, gal + [q]), N.pixels(gal + [q])
    by_features = [names[i] for i, _ in N.neighbours(feats[-1], feats[:-1], k=4)]
    by_pixels = [names[i] for i, _ in N.neighbours(pix[-1], pix[:-1], k=5)]
    assert by_features == ["chelsea"] * 4 and "chelsea" not in by_pixels
    with pytest.raises(ValueError, match="Unknown query"):
        N.query_view(q, "upside")


def test_adversarial_outcome_says_what_happened():
    from core.vis.optimise import Adversarial
    from pages.inside.adversarial import outcome

    def r(after, target):
        return Adversarial(np.zeros((2, 2, 3), np.uint8), np.zeros((2, 2, 3)), [(281, "tabby", 0.6)],
                           [(after, "x", 0.5)], 281, target, 2 / 255, 10, 0.1)

    name = str
    assert "target reached" in outcome(r(859, 859), name)
    missed = outcome(r(282, 859), name)
    assert "changed to 282" in missed and "not to the target" in missed and "**the class changed**" not in missed
    assert "unchanged" in outcome(r(281, 859), name) and "unchanged" in outcome(r(281, None), name)
    assert "the class changed" in outcome(r(500, None), name)


def test_saliency_with_no_method_cannot_explain():
    at = _tab("Saliency")
    at.multiselect(key="inside-sal-methods").set_value([]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.button(key="inside-sal-go").disabled
    assert any("at least one method" in w.value for w in at.warning)


def test_top_patches_spread_over_photos_and_stay_off_the_padding(lm):
    """Issue 16: views of one photo filled the top patches, and blocks[3] channel 31 found only
    the zero padding at the left edge (all 9 boxes started at x = 0)."""
    named = [(n, Fe.gallery_variants(images.load_sample(n, max_side=256), 96, mirror=True))
             for n in ("chelsea", "coffee", "flower", "china")]
    assert all(len(v) == 6 and np.array_equal(v[5], v[0][:, ::-1]) for _, v in named)
    gal = [v for _, vs in named for v in vs]
    groups = [n for n, vs in named for _ in vs]
    found = Fe.top_patches(lm, "blocks[1]", 5, gal, k=6, groups=groups, per_group=2)
    assert len(found) == 6
    assert max(sum(groups[p.index] == n for p in found) for n, _ in named) == 2
    h = Fe.activations(lm, gal[0], ["blocks[1]"])["blocks[1]"].maps.shape[1]   # 24 cells
    assert all(1 <= y < h - 1 and 1 <= x < h - 1 for y, x in (p.position for p in found))
    for p in found:                                   # the one-pass boxes equal one-by-one boxes
        one = Fe._rf_boxes(A.as_net(lm), A.to_tensor(gal[p.index]), "blocks[1]", 5, [p.position])[0]
        assert one == p.box
    with pytest.raises(ValueError, match="one group per"):
        Fe.top_patches(lm, "blocks[1]", 5, gal, groups=groups[:3])


def test_the_classification_stays_while_other_widgets_change():
    """It was drawn only in the run the button started: any other widget wiped it."""
    at = _tab("What the model says")
    at.button(key="inside-classify-go").click().run()
    first = at.dataframe[0].value["class"].tolist()
    at.run()                                            # any rerun (another widget, a tab switch)
    assert not at.exception and at.dataframe and at.dataframe[0].value["class"].tolist() == first
    at.selectbox(key="inside-classify-sample").set_value("coffee").run()
    assert not at.dataframe                             # not shown beside another picture
