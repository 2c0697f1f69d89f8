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


def test_methods_are_one_registry_and_a_misspelled_option_is_an_error(lm, whole):
    assert list(T.METHODS) == list(T.REGISTRY) and T.METHODS["gradcam"] == "Grad-CAM"
    assert dict(T.METHODS) == {m.name: m.title for m in T.REGISTRY.values()}
    assert T.REGISTRY["gradient"].percentile == 99.0 and T.REGISTRY["occlusion"].percentile == 100.0
    assert T.REGISTRY["smoothgrad"].options == ("samples", "noise", "batch", "seed")
    with pytest.raises(ValueError, match="bad_option"):
        T.attribute("gradient", lm, whole, bad_option=1)
    with pytest.raises(ValueError, match="'sample'.*samples"):
        T.explain("smoothgrad", lm, whole, sample=4)           # the real one is "samples"


def test_gradcam_frame_runs_one_forward_pass(lm, cat):
    calls = []
    from core.vis import ascent as A

    twin = A._folded(A.as_net(lm))         # gradients to the input run on the folded copy
    modules = [lm.model] + ([twin.module] if twin else [])
    hs = [m.register_forward_pre_hook(lambda *_: calls.append(1)) for m in modules]
    try:
        out, data = T.gradcam_frame(cat, lm)
    finally:
        for h in hs:
            h.remove()
    assert len(calls) == 1
    assert out.shape == cat.shape and data["target"] in CATS
    small = Fe.prepare(cat, 224, crop=False)
    assert abs(data["probability"] - T.probabilities(lm, small)[data["target"]]) < 0.05


def test_catalogue_cam_layer_and_name_come_from_the_zoo(lm):
    from core.vis import ascent as A

    for name in ("vgg16", "efficientnet_lite0"):
        meta = zoo.get_entry(name).meta
        assert A.CATALOGUE[name] == list(meta.layers)
        assert (A.HIGH_LAYER[name], A.LOW_LAYER[name]) == (meta.layers.high, meta.layers.low)
        assert T.CAM_LAYER[name] == meta.cam_layer
    assert T.cam_layer(lm) == "conv_head" and A.as_net(lm).name == lm.name
    net = A.as_net(lm)
    assert net.mean.flatten().tolist() == pytest.approx(list(lm.transforms.mean))
    import torchvision

    with torch.device("meta"):                                   # a bare module: recognised by its architecture
        assert A.as_net(torchvision.models.vgg16(weights=None)).name == "vgg16"
        fake = torchvision.models.VGG(torch.nn.Sequential(*[torch.nn.Identity() for _ in range(31)]))
        assert A.as_net(fake).name == "vgg"                      # 31 feature layers alone do not make a VGG-16


def test_locks_are_kept_in_one_table():
    from core.vis import ascent as A

    m = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU())
    assert A.as_net(m).lock is A.module_lock(m) is A.as_net(m).lock
    twin, lock = T.guided_copy(m)
    assert lock is A.module_lock(twin) and T.guided_copy(m)[0] is twin
    assert isinstance(twin[1], T.GuidedReLU) and isinstance(m[1], torch.nn.ReLU)


def test_class_visualization_roll_and_its_old_name(lm):
    new = list(O.class_visualization(lm, 130, steps=3, size=64, roll=4))
    with pytest.warns(DeprecationWarning, match="roll"):
        old = list(O.class_visualization(lm, 130, steps=3, size=64, jitter=4))
    assert np.array_equal(new[-1].image, old[-1].image)


def test_one_picture_cadence():
    due = [s for s in range(1, 121) if O._picture_due(s, 120)]
    assert len(due) == O.PICTURES_PER_RUN and due[-1] == 120
    assert [s for s in range(1, 8) if O._picture_due(s, 7)] == list(range(1, 8))
    assert O._picture_due(90, 90) and O._picture_due(87, 90) and not O._picture_due(89, 90)


def test_channels_tells_a_layers_real_channel_count(lm):
    from core.vis import features as Fe

    from core.vis import ascent as A

    for info in A.layer_catalogue(lm)[:4]:
        maps = Fe.activations(lm, np.full((96, 96, 3), 90, np.uint8), [info.name])[info.name].maps
        assert Fe.channels(lm, info.name) == maps.shape[0]
    assert Fe.channels(lm, "blocks[3]") == 80     # the layer of the channel-4000 report


def test_the_untargeted_attack_leaves_the_whole_neighbourhood(lm):
    """Issue 16: the default untargeted attack flipped tabby to Egyptian cat (a neighbour); it now
    leaves the picture's 20 most likely classes and ends confidently on a clearly different one."""
    seen = lm.prepare(images.load_sample("chelsea", max_side=1024))
    near = {k for k, *_ in T.top_classes(lm, seen, 20)}
    r = O.adversarial(lm, seen, eps=2 / 255, steps=10)
    assert r.flipped and r.after[0][0] not in near and r.after[0][0] not in CATS
    assert r.after[0][2] > 0.5
    assert np.abs(r.perturbation).max() <= 2 / 255 + 1 / 255 + 1e-6
    plain = O.adversarial(lm, seen, eps=2 / 255, steps=10, away_from=1)   # the old behaviour
    assert plain.flipped


def test_folded_batch_norm_gives_the_same_activations_and_gradients(lm):
    """Optimising an input runs a copy with batch norm folded into its convolutions (~35 %
    faster on the CPU): the same activations and input gradients as the model, the model itself
    untouched, and a folded convolution asked for by name comes from the model."""
    from core.vis import ascent as A

    net = A.as_net(lm)
    twin = A._folded(net)
    assert twin is not None and "conv_stem" in twin.convs and twin.module is not lm.model
    assert isinstance(lm.model.bn1, torch.nn.BatchNorm2d), "the cached model is not modified"
    x0 = torch.rand(1, 3, 96, 96, generator=torch.Generator().manual_seed(1))
    layers = ["bn1", "blocks.2.0.bn1", "blocks.3", A.OUTPUT]
    grads = []
    for fold in (True, False):
        x = x0.clone().requires_grad_(True)
        acts = A.activations(lm, x, layers, fold=fold)
        sum(a.mean() for a in acts.values()).backward()
        grads.append(x.grad)
        if fold:
            folded = {k: v.detach() for k, v in acts.items()}
        else:
            for k, v in acts.items():
                assert torch.allclose(folded[k], v.detach(), atol=1e-3, rtol=1e-3), k
    assert float((grads[0] - grads[1]).norm() / grads[1].norm()) < 1e-2
    x = x0.clone().requires_grad_(True)
    raw = A.activations(lm, x, ["conv_stem"])["conv_stem"]
    with torch.no_grad():
        assert torch.allclose(raw, lm.model.conv_stem((x0 - net.mean) / net.std), atol=1e-5)


def test_a_module_that_does_not_fold_cleanly_is_used_as_it_is():
    """A conv and a batch norm registered side by side but not applied one after the other:
    the check on a random picture refuses the folded copy."""
    from core.vis import ascent as A

    class Odd(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 3, 3, padding=1)
            self.bn = torch.nn.BatchNorm2d(3)
            with torch.no_grad():
                self.bn.running_mean.fill_(0.5)
                self.bn.running_var.fill_(4.0)

        def forward(self, x):
            return self.conv(x) + self.bn(x)      # the BN sees the input, not the conv

    m = Odd().eval()
    assert A._folded(A.as_net(m)) is None
    m2 = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4)).train()
    assert A._folded(A.as_net(m2)) is None, "a training module is never folded"
    # A model that only takes 32 px pictures (a Linear after flattening) cannot run the check
    # picture: not folded, and its gradients still come, from the model itself.
    fixed = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(),
                                torch.nn.Linear(4 * 30 * 30, 2)).eval()
    assert A._folded(A.as_net(fixed)) is None
    x = torch.rand(1, 3, 32, 32, requires_grad=True)
    A.activations(fixed, x, [A.OUTPUT])[A.OUTPUT].sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
