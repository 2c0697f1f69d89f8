"""DeepDream (core.dream) and the gradient-ascent machinery it shares (core.vis.ascent).

All on the offline ImageNet model (EfficientNet-Lite0) with pictures of at most 128 px and a
few steps, so the file runs in well under a minute on two CPU cores.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from core import images
from core.dream import dream, dream_image, octave_sizes, preset
from core.vis import ascent as A


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def cat():
    img = images.load_sample("chelsea", max_side=128)      # 128×85
    assert max(img.shape[:2]) == 128
    return img


def _no_hooks(module: torch.nn.Module) -> bool:
    return all(not m._forward_hooks and not m._forward_pre_hooks and not m._backward_hooks
               for m in module.modules())


def _diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float64) - b.astype(np.float64)).mean())


def test_each_octave_raises_the_objective(lm, cat):
    snaps = list(dream(cat, lm, "blocks[3]", steps=6, octaves=3, octave_scale=1.4, jitter=8))
    assert len(snaps) == 18 and snaps[-1].step == snaps[-1].total == 18
    for octave in (1, 2, 3):
        mine = [s for s in snaps if s.info["octave"] == octave]
        assert [s.info["octave_step"] for s in mine] == list(range(1, 7))
        first, last = mine[0].loss, mine[-1].loss
        assert last > 1.15 * first, f"octave {octave}: objective {first:.3g} -> {last:.3g}"
        assert mine[-1].info["octave_gain"] == pytest.approx(last / first)


def test_output_size_equals_input_size_and_octaves_grow(lm, cat):
    odd = cat[:83, :121]                                     # odd sizes on purpose
    snaps = list(dream(odd, lm, "blocks[1]", steps=2, octaves=3, octave_scale=1.5, jitter=4))
    ends = [s.image.shape[:2] for s in snaps if s.info["octave_step"] == 2]
    assert ends == [(37, 54), (55, 81), (83, 121)]
    assert ends == octave_sizes(83, 121, 3, 1.5)
    assert snaps[-1].image.shape == odd.shape and snaps[-1].image.dtype == np.uint8
    assert _diff(snaps[-1].image, odd) > 2.0                 # it did dream


def test_octaves_1_is_plain_gradient_ascent_on_the_same_layer(lm, cat):
    out = dream_image(cat, lm, "blocks[3]", steps=5, step_size=0.01, octaves=1, jitter=8, seed=3)
    net = A.as_net(lm)
    x = A.to_tensor(cat)
    for state in A.ascend(x, net, A.layer_l2("blocks[3]"), steps=5, step_size=0.01,
                          transforms=[A.roll(8)], smoothing=(0.5, 2.0),
                          generator=torch.Generator().manual_seed(3)):
        x = state.x
    plain = A.to_image(x)
    # the same computation up to float rounding (dream resizes its one octave to its own size
    # and adds a zero detail): a pixel may differ by one grey level after the uint8 rounding
    diff = np.abs(out.astype(int) - plain)
    assert diff.max() <= 1 and (diff > 0).mean() < 0.01, (diff.max(), (diff > 0).mean())
    assert _diff(out, cat) > 2.0
    # and a different layer really gives a different picture
    other = dream_image(cat, lm, "blocks[1]", steps=5, step_size=0.01, octaves=1, jitter=8, seed=3)
    assert _diff(other, out) > 2.0


def test_tiled_and_untiled_agree_on_a_small_image(lm, cat):
    """Stated tolerance: blocks[1] dreamed 2 octaves × 5 steps with 112 px tiles (24 px
    overlap) is within 0.5 grey levels (mean |difference|, 0–255) of the untiled dream — measured
    ~0.0001 — while the dream itself moves the picture by > 5 levels. For the deeper blocks[3]
    (receptive field wider than the margin) the tiled gradient keeps a cosine ≥ 0.95 with the
    untiled one (measured 0.976)."""
    assert len(A.tiles(85, 128, 112, 24)) == 4
    kw = dict(steps=5, octaves=2, jitter=8, seed=1)
    whole = dream_image(cat, lm, "blocks[1]", tile_size=None, **kw)
    tiled = dream_image(cat, lm, "blocks[1]", tile_size=112, overlap=24, **kw)
    assert _diff(whole, cat) > 5.0
    assert _diff(whole, tiled) < 0.5
    x = A.to_tensor(cat)
    _, g0 = A.gradient(lm, x, A.layer_l2("blocks[3]"))
    _, g1 = A.gradient(lm, x, A.layer_l2("blocks[3]"), tile_size=112, overlap=24)
    cos = float((g0 * g1).sum() / (g0.norm() * g1.norm()))
    assert cos >= 0.95, cos


def test_tiles_cover_the_image_once_and_start_on_the_stride_grid():
    h, w = 1080, 1920
    cover = np.zeros((h, w), int)
    parts = A.tiles(h, w, 512, 64)
    for ys, xs, cy, cx in parts:
        assert ys.stop - ys.start <= 512 and xs.stop - xs.start <= 512
        assert ys.start % 32 == 0 and xs.start % 32 == 0
        cover[ys, xs][cy, cx] += 1
    assert (cover == 1).all() and len(parts) == 24


@pytest.mark.parametrize("kwargs, words", [
    (dict(octave_scale=1.0), "octave_scale must be greater than 1"),
    (dict(octave_scale=0.7), "octave_scale must be greater than 1"),
    (dict(steps=0), "steps must be at least 1"),
    (dict(octaves=0), "octaves must be a whole number"),
    (dict(step_size=0.0), "step_size"),
    (dict(layers="blocks[9]"), "Unknown layer 'blocks[9]' for efficientnet_lite0; choose one of: stem, blocks[0]"),
    (dict(layers=[]), "at least one layer"),
    (dict(tile_size=100, overlap=32), "tile_size (100 px) must be at least twice the overlap"),
])
def test_bad_parameters_give_plain_messages(lm, cat, kwargs, words):
    kwargs = {"layers": "blocks[4]", **kwargs}
    with pytest.raises(ValueError) as e:
        dream(cat, lm, **kwargs)                      # raised at the call, before any step
    assert words in str(e.value)


def test_bad_images_give_plain_messages(lm, cat):
    with pytest.raises(ValueError, match="RGB picture"):
        dream(cat[..., 0], lm)
    with pytest.raises(ValueError, match="too small"):
        dream(cat[:8, :8], lm)


def test_per_layer_weights_are_used(lm, cat):
    kw = dict(steps=4, octaves=1, jitter=4, seed=2)
    only4 = dream_image(cat, lm, "blocks[4]", **kw)
    zero1 = dream_image(cat, lm, {"blocks[1]": 0.0, "blocks[4]": 1.0}, **kw)
    mixed = dream_image(cat, lm, {"blocks[1]": 1.0, "blocks[4]": 1.0}, **kw)
    assert np.array_equal(only4, zero1)
    assert _diff(mixed, only4) > 1.0


def test_guide_image_pulls_toward_its_features(lm, cat):
    guide = images.load_sample("coffee", max_side=96)
    kw = dict(steps=6, octaves=1, jitter=4, seed=0)
    free = dream_image(cat, lm, "blocks[3]", **kw)
    snaps = list(dream(cat, lm, "blocks[3]", guide=guide, **kw))
    assert snaps[-1].loss > snaps[0].loss
    assert _diff(snaps[-1].image, free) > 1.0


def test_stopping_early_leaves_the_shared_model_clean(lm, cat):
    before = {k: v.clone() for k, v in lm.model.state_dict().items()}
    it = dream(cat, lm, "blocks[4]", steps=5, octaves=2)
    first = next(it)
    assert first.step == 1 and first.total == 10 and first.info["octave"] == 1
    it.close()
    assert _no_hooks(lm.model)
    assert all(torch.equal(before[k], v) for k, v in lm.model.state_dict().items())
    assert not any(p.requires_grad for p in lm.model.parameters())


def test_activations_stop_after_the_last_layer_and_ignore_other_threads(lm, cat):
    import threading

    net = A.as_net(lm)
    x = A.to_tensor(cat)
    seen = []
    h = lm.model.blocks[5].register_forward_hook(lambda *a: seen.append(1))
    try:
        acts = A.activations(net, x, ["blocks[1]", "blocks[3]"])
        assert not seen                                      # blocks[5] never ran
        assert acts["blocks[1]"].shape[1] == 24 and acts["blocks[3]"].shape[1] == 80
        # a forward pass in another thread while our hooks are attached is not cut short
        out = {}
        with lm.lock:
            t = threading.Thread(target=lambda: out.setdefault("y", lm.model(torch.zeros(1, 3, 64, 64))))
            A.activations(net, x, ["blocks[0]"])
            t.start()
        t.join(30)
        assert out["y"].shape == (1, 1000)
    finally:
        h.remove()
    assert _no_hooks(lm.model)


def test_catalogue_and_presets():
    lite = [i.name for i in A.CATALOGUE["efficientnet_lite0"]]
    assert lite[1:8] == [f"blocks[{i}]" for i in range(7)] and "conv_head" in lite
    vgg = {i.name: i.module for i in A.CATALOGUE["vgg16"]}
    assert vgg["block1_conv1"] == "features.1" and vgg["block5_conv3"] == "features.29"
    import torchvision

    with torch.device("meta"):                               # the structure only, no weights
        v = torchvision.models.vgg16(weights=None)
    assert all(isinstance(v.get_submodule(m), torch.nn.ReLU) for m in vgg.values())
    assert A.resolve_layer(v, "block3_conv2") == "features.13"
    p = preset(A.as_net(torch.nn.Identity(), name="efficientnet_lite0"))
    assert (p["layers"], p["octaves"], p["octave_scale"], p["steps"]) == ("blocks[4]", 4, 1.4, 20)


def test_objectives_compose_and_class_logit_rises(lm, cat):
    net = A.as_net(lm)
    x = A.to_tensor(cat)
    obj = 0.5 * A.layer_l2("blocks[1]") + A.channel("blocks[3]", 7) - A.layer_l2("blocks[2]")
    acts = A.activations(net, x, obj.layers)
    want = (0.5 * acts["blocks[1]"].pow(2).mean() + acts["blocks[3]"][:, 7].mean()
            - acts["blocks[2]"].pow(2).mean())
    assert float(obj(acts)) == pytest.approx(float(want), rel=1e-5)
    # the same loop drives a class logit up (what the class-visualization page builds on)
    target = A.class_logit(948)                              # Granny Smith
    values = [s.value for s in A.ascend(x, net, target, steps=6, step_size=0.02,
                                        transforms=[A.roll(4)], l2=0.1, tv=0.1)]
    assert values[-1] > values[0] + 1.0
    with pytest.raises(ValueError, match="cannot be tiled"):
        A.gradient(net, x, target, tile_size=96, overlap=16)
