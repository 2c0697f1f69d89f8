"""Segmentation lab: U-Net shapes, metrics, data, training, the bundled model, the frame function."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from core.segmentation import data, metrics
from core.segmentation.infer import BUNDLED_PATH, load_bundled_unet, segment_frame
from core.segmentation.train import evaluate, segmentation_loss, train
from core.segmentation.unet import UNet, shapes

SIZES = [17, 18, 31, 64, 100, 127, 256, 513]


@pytest.fixture(scope="module")
def tiny_unet():
    torch.manual_seed(0)
    return UNet(3, 4, base=4, depth=3).eval()


@pytest.fixture(scope="module")
def bundled():
    return load_bundled_unet("cpu")


# --------------------------------------------------------------------------- U-Net shapes

@pytest.mark.parametrize("size", SIZES)
def test_output_is_input_size_square(tiny_unet, size):
    with torch.inference_mode():
        y = tiny_unet(torch.randn(1, 3, size, size))
    assert tuple(y.shape) == (1, 4, size, size)


@pytest.mark.parametrize("hw", [(17, 513), (513, 18), (33, 45), (1, 1), (7, 64)])
def test_output_is_input_size_rectangles(tiny_unet, hw):
    with torch.inference_mode():
        y = tiny_unet(torch.randn(2, 3, *hw))
    assert tuple(y.shape) == (2, 4, *hw)


@pytest.mark.parametrize("depth", [1, 2, 4])
def test_output_size_for_other_depths(depth):
    net = UNet(1, 2, base=2, depth=depth).eval()
    with torch.inference_mode():
        for s in (17, 30, 65):
            assert tuple(net(torch.randn(1, 1, s, s + 3)).shape) == (1, 2, s, s + 3)


@pytest.mark.parametrize("size,depth,base", [(17, 3, 4), (96, 3, 4), (101, 2, 6), ((40, 57), 4, 2), (513, 3, 2)])
def test_shapes_equal_the_real_forward(size, depth, base):
    net = UNet(3, 5, base=base, depth=depth).eval()
    hw = (size, size) if isinstance(size, int) else size
    with torch.inference_mode():
        feats = net.forward_features(torch.randn(1, 3, *hw))
    table = shapes(size, in_channels=3, num_classes=5, base=base, depth=depth)
    assert [b.name for b in table] == list(feats)
    for b in table:
        assert b.shape == tuple(feats[b.name].shape[1:]), b.name
    # and forward_features agrees with forward
    with torch.inference_mode():
        assert torch.allclose(feats["output"], net(torch.randn(1, 3, *hw) * 0 + feats["input"]))


def test_shapes_params_match_the_module():
    net = UNet(3, 4, base=8, depth=3)
    assert sum(b.params for b in shapes(64, base=8, depth=3)) == sum(p.numel() for p in net.parameters())


def test_shapes_documents_the_padding():
    t = {b.name: b for b in shapes(100, base=16, depth=3)}
    assert t["padded"].shape == (3, 104, 104)
    assert t["bottleneck"].shape == (128, 13, 13)
    assert t["concat1"].shape == (32, 104, 104)
    assert t["output"].shape == (4, 100, 100)
    assert "no padding" in {b.name: b for b in shapes(96, depth=3)}["padded"].op


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError):
        shapes(0)
    with pytest.raises(ValueError):
        UNet(3, 4, depth=0)


# --------------------------------------------------------------------------- metrics

def test_metrics_by_hand():
    # truth / prediction on a 2×3 image, classes 0..2
    t = np.array([[0, 0, 1], [1, 2, 2]])
    p = np.array([[0, 1, 1], [1, 2, 0]])
    cm = metrics.confusion_matrix(t, p, 3)
    assert cm.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert metrics.pixel_accuracy(cm) == pytest.approx(4 / 6)
    # class 0: TP 1, FP 1, FN 1 -> 1/3 ; class 1: TP 2, FP 1, FN 0 -> 2/3 ; class 2: TP 1, FN 1 -> 1/2
    assert metrics.iou_per_class(cm) == pytest.approx([1 / 3, 2 / 3, 1 / 2])
    assert metrics.mean_iou(cm) == pytest.approx((1 / 3 + 2 / 3 + 1 / 2) / 3)
    assert metrics.dice_per_class(cm) == pytest.approx([2 / 4, 4 / 5, 2 / 3])
    assert metrics.mean_dice(cm) == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)


def test_absent_class_is_left_out_of_the_mean():
    t = np.array([0, 0, 1, 1])
    cm = metrics.confusion_matrix(t, t, 3)
    iou = metrics.iou_per_class(cm)
    assert iou[:2].tolist() == [1.0, 1.0] and np.isnan(iou[2])
    assert metrics.mean_iou(cm) == 1.0


def test_metrics_equal_scikit_learn():
    from sklearn.metrics import accuracy_score, f1_score, jaccard_score
    from sklearn.metrics import confusion_matrix as sk_cm

    rng = np.random.default_rng(3)
    t = rng.integers(0, 4, (40, 50))
    p = np.where(rng.random((40, 50)) < 0.6, t, rng.integers(0, 4, (40, 50)))
    cm = metrics.confusion_matrix(t, p, 4)
    assert (cm == sk_cm(t.ravel(), p.ravel(), labels=range(4))).all()
    assert metrics.pixel_accuracy(cm) == pytest.approx(accuracy_score(t.ravel(), p.ravel()))
    assert metrics.iou_per_class(cm) == pytest.approx(jaccard_score(t.ravel(), p.ravel(), average=None))
    assert metrics.mean_iou(cm) == pytest.approx(jaccard_score(t.ravel(), p.ravel(), average="macro"))
    assert metrics.dice_per_class(cm) == pytest.approx(f1_score(t.ravel(), p.ravel(), average=None))


def test_metrics_refuse_mismatches():
    with pytest.raises(ValueError):
        metrics.confusion_matrix(np.zeros((2, 2), int), np.zeros((2, 3), int), 2)
    with pytest.raises(ValueError):
        metrics.confusion_matrix(np.array([0, 5]), np.array([0, 1]), 3)


# --------------------------------------------------------------------------- data

def test_scenes_are_seeded_and_labelled():
    a_img, a_mask = data.scene(5, 96)
    b_img, b_mask = data.scene(5, 96)
    c_img, _ = data.scene(6, 96)
    assert (a_img == b_img).all() and (a_mask == b_mask).all()
    assert not (a_img == c_img).all()
    assert a_img.dtype == np.uint8 and a_img.shape == (96, 96, 3) and a_mask.shape == (96, 96)
    x, y = data.batch(np.random.default_rng(0), 48, 64)
    counts = np.bincount(y.ravel(), minlength=len(data.CLASSES))
    assert (counts > 0).all(), "every class appears in a batch"
    assert 0.4 < counts[0] / y.size < 0.95, "background is neither everything nor nothing"
    # colour does not give the class away: mean colours of one class vary widely between scenes
    reds = [x[i][y[i] == 1, 0].mean() for i in range(48) if (y[i] == 1).sum() > 30]
    assert np.std(reds) > 25


def test_overlay_paints_only_foreground():
    img = np.full((10, 10, 3), 100, np.uint8)
    mask = np.zeros((10, 10), np.int64)
    mask[2:8, 2:8] = 2
    out = data.overlay(img, mask, alpha=1.0, outline=False)
    assert (out[0, 0] == 100).all()
    assert tuple(out[5, 5]) == tuple(data.PALETTE[2])
    assert (data.overlay(img, mask, alpha=0.0, outline=False) == img).all()


# --------------------------------------------------------------------------- training

def test_training_loss_falls_within_200_steps():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    net = UNet(3, 4, base=4, depth=2)
    snaps = list(train(net, steps=120, batch_size=4, image_size=48, lr=1e-2, seed=1, val_every=60))
    losses = np.array([s.loss for s in snaps])
    assert len(snaps) == 120 and snaps[-1].step == snaps[-1].total == 120
    assert losses[-20:].mean() < 0.75 * losses[:10].mean(), (losses[:10].mean(), losses[-20:].mean())
    img = snaps[-1].image
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
    assert np.isfinite(snaps[-1].info["val_miou"])
    assert not net.training, "the model is left in eval mode"


def test_training_is_reproducible():
    def run():
        torch.manual_seed(0)
        net = UNet(3, 4, base=2, depth=2)
        return [s.loss for s in train(net, steps=3, batch_size=2, image_size=32, seed=4, val_every=10)]
    torch.set_num_threads(1)
    assert run() == run()


def test_loss_is_low_for_a_perfect_prediction():
    y = torch.from_numpy(data.scene(1, 32)[1])[None]
    good = torch.nn.functional.one_hot(y, 4).permute(0, 3, 1, 2).float() * 20
    assert segmentation_loss(good, y).item() < 0.01
    assert segmentation_loss(torch.zeros_like(good), y).item() > 1.0


# --------------------------------------------------------------------------- the bundled model

def test_bundled_unet_is_shipped_small_and_documented(bundled):
    assert BUNDLED_PATH.exists()
    assert BUNDLED_PATH.stat().st_size <= 6 * 2**20
    card = BUNDLED_PATH.with_suffix(".md").read_text()
    assert "mean IoU" in card and "circle" in card
    assert bundled.task == "segmentation" and bundled.labels == list(data.CLASSES)
    assert "bundled" in bundled.provenance and "generated shapes" in bundled.provenance
    assert not any(p.requires_grad for p in bundled.model.parameters())
    assert not bundled.model.training


def test_bundled_unet_reaches_miou_085_on_fresh_scenes(bundled):
    size = bundled.meta["recipe"]["image_size"]
    rep = evaluate(bundled.model, n=48, size=size, seed=987_654)   # a seed used nowhere else
    assert rep["mean_iou"] >= 0.85, rep["iou"]
    assert min(rep["iou"].values()) >= 0.7, rep["iou"]


def test_segment_frame_is_pure_and_sized(bundled):
    img, truth = data.scene(31337, 80)
    before = {k: v.clone() for k, v in bundled.model.state_dict().items()}
    r = segment_frame(img, bundled, alpha=0.5)
    assert r.image.shape == img.shape and r.image.dtype == np.uint8
    assert r.mask.shape == truth.shape
    assert sum(r.areas.values()) == pytest.approx(1.0)
    assert list(r.areas) == list(data.CLASSES)
    assert (r.mask == truth).mean() > 0.9
    # alpha 0 without outline leaves the frame as it was
    assert (segment_frame(img, bundled, alpha=0.0, outline=False).image == img).all()
    for k, v in bundled.model.state_dict().items():
        assert torch.equal(v, before[k])
    # any frame size, also with a working size
    odd = np.random.default_rng(0).integers(0, 256, (45, 77, 3), dtype=np.uint8)
    assert segment_frame(odd, bundled, 0.4, work_side=64).image.shape == odd.shape
    with pytest.raises(ValueError):
        segment_frame(odd.astype(np.float32), bundled)


# --------------------------------------------------------------------------- pictures for the page

def test_to_display_enlarges_by_whole_pixels():
    from core.segmentation.show import to_display

    a = np.array([[0, 255], [10, 20]], np.uint8)
    big = to_display(a, 3)
    assert big.shape == (6, 6) and big.dtype == np.uint8
    assert (big[:3, :3] == 0).all() and (big[:3, 3:] == 255).all() and (big[3:, 3:] == 20).all()
    rgb = np.zeros((4, 5, 3), np.uint8)
    assert to_display(rgb, 2).shape == (8, 10, 3)


def test_feature_and_channel_pictures_by_hand():
    from core.segmentation.show import channel_pictures, feature_picture

    t = torch.zeros(3, 2, 2)
    t[0] = torch.tensor([[1.0, 0.0], [0.0, 0.0]])       # weak
    t[1] = torch.tensor([[0.0, -4.0], [4.0, 0.0]])      # strongest
    t[2] = torch.tensor([[2.0, 2.0], [0.0, 2.0]])       # second
    m = feature_picture(t)                              # mean |a| = [[3, 6], [4, 2]] / 3
    assert m.dtype == np.uint8 and m.shape == (2, 2)
    assert (m == np.array([[63, 255], [127, 0]], np.uint8)).all()
    assert (feature_picture(t.numpy()) == m).all()      # numpy arrays as well as tensors
    pics = channel_pictures(t, k=2)
    assert len(pics) == 2
    assert (pics[0] == np.array([[127, 0], [255, 127]], np.uint8)).all()   # channel 1, min → 0
    assert (pics[1] == np.array([[255, 255], [0, 255]], np.uint8)).all()   # channel 2
    assert len(channel_pictures(t)) == 3                # k larger than the channels
    flat = feature_picture(torch.ones(2, 3, 3))         # constant: no division by zero
    assert (flat == 0).all()


def test_upsampling_views_match_conv_transpose():
    from core.convolution import conv_transpose2d
    from core.segmentation.show import BILINEAR_4, upsampling_views

    views = upsampling_views(11, 48)
    assert list(views) == ["input 48×48", "2×2 ones, s=2 → 96×96", "bilinear 4×4, s=2, p=1 → 96×96",
                           "3×3 ones, s=2, p=1 → 95×95"]
    assert all(v.dtype == np.uint8 and v.max() == 255 for v in views.values())
    g = data.scene(11, 48)[0].mean(axis=2) / 255.0
    bil = conv_transpose2d(g, BILINEAR_4, stride=2, padding=1)
    assert np.abs(views["bilinear 4×4, s=2, p=1 → 96×96"].astype(int)
                  - (bil / bil.max() * 255).astype(int)).max() <= 1
    # 2×2 ones with stride 2: every input cell becomes a 2×2 block
    two = views["2×2 ones, s=2 → 96×96"]
    assert (two[::2, ::2] == two[1::2, 1::2]).all()


def test_skip_study_drops_each_skip_and_leaves_the_model(tiny_unet):
    from core.segmentation.infer import skip_study

    img, truth = data.scene(5, 48)
    before = {k: v.clone() for k, v in tiny_unet.state_dict().items()}
    study = skip_study(tiny_unet, img, truth)
    assert study.pred.shape == truth.shape and 0.0 <= study.miou <= 1.0
    assert study.miou == pytest.approx(metrics.scores(truth, study.pred, 4)["mean_iou"])
    assert [lv.level for lv in study.levels] == [1, 2, 3]
    for lv in study.levels:
        s = 2 ** (lv.level - 1)
        assert lv.enc.shape == lv.up.shape == (4 * s, 48 // s, 48 // s)
        assert lv.ablated.shape == truth.shape and 0.0 <= lv.ablated_miou <= 1.0
    x = data.to_tensor(img)
    with torch.inference_mode():
        ref = tiny_unet.forward_features(x, drop_skips=(2,))["output"].argmax(1)[0].numpy()
    assert (study.levels[1].ablated == ref).all()
    for k, v in tiny_unet.state_dict().items():
        assert torch.equal(v, before[k])


# --------------------------------------------------------------------------- working size, transfer

def test_working_size_is_chosen_so_shapes_are_the_trained_size(bundled):
    from core.segmentation.infer import choose_work_side

    img, truth = data.scene(22, 192)                      # shapes 60–120 px across: too large
    ws = choose_work_side(bundled, img)
    assert 64 <= ws.side <= 128, ws
    lo, hi = 20, 41
    assert lo * 0.7 <= ws.diameter <= hi * 1.3 and str(ws.side) in ws.why
    at_auto = metrics.scores(truth, segment_frame(img, bundled, work_side=ws.side).mask, 4)["mean_iou"]
    at_full = metrics.scores(truth, segment_frame(img, bundled).mask, 4)["mean_iou"]
    assert at_auto >= 0.75 and at_auto > at_full + 0.2, (at_auto, at_full)


def test_coins_come_out_as_circles_at_the_chosen_working_size(bundled):
    from core.images import load_sample
    from core.segmentation.infer import choose_work_side

    coins = load_sample("coins")
    ws = choose_work_side(bundled, coins)
    areas = segment_frame(coins, bundled, work_side=ws.side).areas
    assert areas["circle"] > 4 * (areas["square"] + areas["triangle"]), (ws, areas)
    old = segment_frame(coins, bundled, work_side=128).areas      # the old fixed default
    assert old["circle"] < old["square"] + old["triangle"]


def test_transfer_encoder_copies_only_the_encoder_and_learns_fast(bundled):
    from core.segmentation.train import transfer_encoder

    torch.manual_seed(0)
    net = UNet(3, 4, base=8, depth=3)
    dec_before = net.dec[0][0].weight.clone()
    assert transfer_encoder(net, bundled) > 0
    assert torch.equal(net.down[0][0].weight, bundled.model.down[0][0].weight)
    assert torch.equal(net.bottleneck[3].weight, bundled.model.bottleneck[3].weight)
    assert torch.equal(net.dec[0][0].weight, dec_before)             # the decoder is new
    assert net.down[0][0].weight.data_ptr() != bundled.model.down[0][0].weight.data_ptr()
    with pytest.raises(ValueError, match="does not fit"):
        transfer_encoder(UNet(3, 4, base=4, depth=3), bundled)

    # the tab's default start: 300 steps (of its 400) already pass the 0.6 the tab promises
    from core.segmentation.train import DEFAULT_RUN

    r = DEFAULT_RUN
    last = None
    for last in train(net, steps=300, batch_size=r["batch_size"], image_size=r["image_size"], lr=r["lr"],
                      seed=r["seed"], val_every=299):
        pass
    assert last.info["val_miou"] >= 0.6, last.describe()
    assert not any(p.requires_grad for p in bundled.model.parameters())   # the shared one untouched


def test_validation_uses_several_fixed_scenes():
    from core.segmentation.train import validation_scenes

    x, y = validation_scenes(3, 40, 21)
    assert x.shape == (3, 40, 40, 3) and y.shape == (3, 40, 40)
    assert (x[1] == data.scene(22, 40)[0]).all()
    with pytest.raises(ValueError):
        next(train(UNet(3, 4, base=2, depth=2), steps=1, val_scenes=0))


def test_skip_importance_averages_over_scenes(bundled):
    from core.segmentation.infer import skip_importance, skip_study

    avg = skip_importance(bundled, n=8, size=64, seed=77)
    assert list(avg) == [None, 1, 2, 3]
    assert avg[None] >= 0.85
    assert avg[3] < avg[None] - 0.1, avg           # the deepest skip carries the most for this net
    # one scene's study agrees with the average over that single scene
    img, truth = data.batch(np.random.default_rng(5), 1, 64)
    one = skip_importance(bundled, n=1, size=64, seed=5)
    study = skip_study(bundled, img[0], truth[0])
    assert one[None] == pytest.approx(study.miou)
    assert [one[lv.level] for lv in study.levels] == pytest.approx([lv.ablated_miou for lv in study.levels])
