"""core.vis: feature maps, filters, attribution (one call shape), class visualization,
feature inversion, adversarial examples and neighbours, on the offline ImageNet model."""
from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from core import images, zoo
from core.vis import attribution as T
from core.vis import features as Fe
from core.vis import neighbours as N
from core.vis import optimise as O

CATS = {281, 282, 283, 284, 285}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def cat():
    return images.load_sample("chelsea")


@pytest.fixture(scope="module")
def whole(cat):
    return Fe.prepare(cat, 160, crop=False)      # 241×160: the whole picture, the cat's face in the middle


def _state(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def _hooks(model):
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks)
               for m in model.modules())


def test_prepare_and_filters(lm, cat):
    crop = Fe.prepare(cat, 224)
    assert crop.shape == (224, 224, 3) and crop.dtype == np.uint8
    fg = Fe.filters(lm)
    assert fg.rgb and fg.shape[1] == 3 and fg.image.dtype == np.uint8 and fg.image.ndim == 3
    deep = Fe.filters(lm, "blocks[4]")
    assert not deep.rgb and deep.shape[1] != 3


def test_activations_are_sorted_strongest_first(lm, cat):
    fm = Fe.activations(lm, Fe.prepare(cat, 128), ["blocks[1]", "conv_head"])
    for name, f in fm.items():
        assert f.maps.ndim == 3 and len(f.channels) == f.maps.shape[0]
        assert np.all(np.diff(f.strength) <= 1e-6)
        assert sorted(f.channels.tolist()) == list(range(f.maps.shape[0]))
    assert fm["blocks[1]"].maps.shape[1] > fm["conv_head"].maps.shape[1]   # deeper = coarser


def test_every_method_one_call_shape(lm, whole):
    for m in T.METHODS:
        opts = {"occlusion": dict(window=64, stride=48), "smoothgrad": dict(samples=4),
                "integrated_gradients": dict(steps=8)}.get(m, {})
        r = T.explain(m, lm, whole, **opts)
        assert r.map.shape == whole.shape[:2], m
        assert r.map.dtype == np.float32 and r.map.min() >= 0 and r.map.max() == pytest.approx(1.0), m
        assert r.target in CATS, m
    with pytest.raises(ValueError, match="Unknown attribution"):
        T.attribute("lime", lm, whole)


def test_gradcam_falls_on_the_cat(lm, whole):
    heat = T.attribute("gradcam", lm, whole)
    h, w = heat.shape
    face = (int(w * 0.2), int(h * 0.2), int(w * 0.85), h)     # eyes, nose and muzzle: 52 % of the picture
    assert T.mass_inside(heat, face) > 0.7
    ys, xs = np.unravel_index(np.argmax(heat), heat.shape)
    assert face[0] <= xs < face[2] and face[1] <= ys < face[3]


def test_gradcam_matches_a_hand_computation(lm, whole):
    """Grad-CAM equals ReLU(Σ α_k A^k) computed directly with the model's own forward_features."""
    x = torch.tensor(whole / 255.0, dtype=torch.float32).permute(2, 0, 1)[None]
    mean = torch.tensor(lm.meta["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(lm.meta["std"]).view(1, 3, 1, 1)
    with torch.enable_grad():
        a = lm.model.forward_features((x - mean) / std).detach().requires_grad_(True)
        out = lm.model.forward_head(a)
        (g,) = torch.autograd.grad(out[0, 285], a)
    cam = torch.relu((g.mean((2, 3), keepdim=True) * a.detach()).sum(1, keepdim=True))
    cam = torch.nn.functional.interpolate(cam, size=whole.shape[:2], mode="bilinear", align_corners=False)[0, 0]
    r = T.explain("gradcam", lm, whole, 285)
    np.testing.assert_allclose(r.raw, cam.numpy(), rtol=1e-3, atol=1e-4 * float(cam.max()))


def test_occluding_the_cat_lowers_its_probability(lm, whole):
    h, w = whole.shape[:2]
    _, before, after_cat, t = T.occlude(lm, whole, (int(w * 0.2), int(h * 0.2), int(w * 0.85), h))
    _, _, after_wall, _ = T.occlude(lm, whole, (0, 0, int(w * 0.2), h), t)   # a strip of fur and wall
    assert t in CATS
    assert after_cat < 0.5 * before
    assert after_wall > after_cat


def test_guided_backprop_leaves_the_cached_model_untouched(lm, whole):
    before = _state(lm.model)
    types = [type(m) for m in lm.model.modules()]
    g = T.attribute("guided_backprop", lm, whole, 281)
    v = T.attribute("gradient", lm, whole, 281)
    assert not np.allclose(g, v)                          # the copy really is guided
    assert _hooks(lm.model) == 0
    assert [type(m) for m in lm.model.modules()] == types
    assert all(torch.equal(before[k], v2) for k, v2 in lm.model.state_dict().items())
    assert not any(p.requires_grad for p in lm.model.parameters())


def test_two_threads_give_the_same_maps_as_one(lm, whole):
    small = Fe.prepare(whole, 96)
    alone = {m: T.attribute(m, lm, small, 281) for m in ("gradient", "gradcam")}
    got = {}

    def run(m):
        got[m] = T.attribute(m, lm, small, 281)

    threads = [threading.Thread(target=run, args=(m,)) for m in alone]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for m in alone:
        np.testing.assert_allclose(got[m], alone[m], atol=1e-5)
    assert _hooks(lm.model) == 0


def test_gradcam_frame_is_a_frame_function(lm, cat):
    out, data = T.gradcam_frame(cat, lm)
    assert out.shape == cat.shape and out.dtype == np.uint8
    assert data["target"] in CATS and 0 < data["probability"] <= 1


def test_class_visualization_raises_the_logit(lm):
    snaps = list(O.class_visualization(lm, 130, steps=15, size=96))
    last = snaps[-1]
    assert last.image is not None and last.image.shape == (96, 96, 3)
    start = snaps[0].info["start"]
    end = O.objective_value(lm, last.image, 130)
    assert end > start + 5 and end > 10 * abs(start)


def test_feature_inversion_lowers_its_loss(lm, cat):
    small = Fe.prepare(cat, 64)
    snaps = list(O.feature_inversion(lm, small, "blocks[1]", steps=40))
    first, last = snaps[0].loss, snaps[-1].loss
    assert last < 0.2 * first
    assert O.feature_loss(lm, small, snaps[-1].image, "blocks[1]") < 0.2 * first


def test_adversarial_flips_the_top_class_with_small_eps(lm, cat):
    crop = Fe.prepare(cat, 128)
    r = O.adversarial(lm, crop, eps=2 / 255, steps=5)
    assert r.before[0][0] in CATS and r.flipped
    assert np.abs(r.perturbation).max() <= 2 / 255 + 1 / 255 + 1e-6     # eps plus 8-bit rounding
    t = O.adversarial(lm, crop, target=859, eps=8 / 255, steps=20)     # toaster
    assert t.after[0][0] == 859


def test_fooling_image_from_noise(lm):
    snaps = list(O.fooling_image(lm, 859, size=96, steps=60, lr=0.05, stop_at=0.9))
    assert snaps[-1].info["probability"] >= 0.9 and snaps[-1].image is not None


def test_neighbours_feature_space_sees_through_a_mirror(lm):
    names = ["chelsea", "coffee", "astronaut", "rocket", "china", "flower"]
    pics = [Fe.prepare(images.load_sample(n, max_side=512), 96) for n in names]
    query = pics[0][:, ::-1].copy()                         # the cat, mirrored
    feats = N.embed(lm, pics + [query])
    assert N.neighbours(feats[-1], feats[:-1], k=1)[0][0] == 0
    xy = N.project(feats, "pca")
    assert xy.shape == (len(pics) + 1, 2)
    from core.embeddings.project import pca

    assert np.allclose(np.abs(xy), np.abs(pca(feats, 2)), atol=1e-4)   # one implementation
    assert N.project(feats, "tsne").shape == (len(pics) + 1, 2)
    with pytest.raises(ValueError, match="Unknown projection"):
        N.project(feats, "lda")


def test_top_patches(lm, cat):
    gallery = Fe.gallery_variants(cat, 96) + Fe.gallery_variants(images.load_sample("coffee"), 96)
    patches = Fe.top_patches(lm, "blocks[2]", 5, gallery, k=4)
    assert len(patches) == 4
    assert all(a.score >= b.score for a, b in zip(patches, patches[1:]))
    for p in patches:
        x0, y0, x1, y1 = p.box
        assert p.crop.shape == (y1 - y0, x1 - x0, 3) and 0 < x1 - x0 <= 96
