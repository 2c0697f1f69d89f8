"""Style (core.style): the notes' formulas by hand, style transfer and texture synthesis that
really lower their losses, and the bundled fast-style models.

Pictures of at most 96 px and one CPU thread, so the file runs in well under 90 s on the shared
two-core machine.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from core import images, zoo
from core import style as S
from core.vis import ascent as A


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Small pictures gain nothing from intra-op threads, and on a shared two-core machine
    spinning threads make these tests several times slower; restored afterwards."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def lm():
    return zoo.load("imagenet")


@pytest.fixture(scope="module")
def starry(shared_data):
    return images.load_image(shared_data / "style" / "starry_night.jpg", max_side=128)


@pytest.fixture(scope="module")
def cat():
    return images.load_sample("chelsea", max_side=96)


def _hand_gram(a: np.ndarray) -> np.ndarray:
    """G_kk' = Σ_i Σ_j a_ijk · a_ijk' with loops (a: C×H×W)."""
    c, h, w = a.shape
    g = np.zeros((c, c))
    for k, k2 in itertools.product(range(c), range(c)):
        for i, j in itertools.product(range(h), range(w)):
            g[k, k2] += a[k, i, j] * a[k2, i, j]
    return g


# --------------------------------------------------------------------------- formulas by hand

def test_gram_matrix_equals_the_notes_sum_and_average():
    a = torch.arange(24, dtype=torch.float64).reshape(3, 2, 4) / 10 - 1.0   # n_C=3, n_H=2, n_W=4
    hand = _hand_gram(a.numpy())
    assert hand[0, 0] == pytest.approx(sum(v * v for v in a[0].flatten().tolist()))
    np.testing.assert_allclose(S.gram_matrix(a).numpy(), hand, rtol=1e-12)
    np.testing.assert_allclose(S.gram_matrix(a, "hw").numpy(), hand / 8, rtol=1e-12)
    batch = torch.stack([a, 2 * a])
    g = S.gram_matrix(batch)
    assert g.shape == (2, 3, 3)
    np.testing.assert_allclose(g[1].numpy(), 4 * hand, rtol=1e-12)
    np.testing.assert_allclose(S.gram_matrix(a).numpy(), S.gram_matrix(a).numpy().T)
    with pytest.raises(ValueError, match="C,H,W"):
        S.gram_matrix(a[0])


def test_gram_gradient_is_the_same_as_autograds_own():
    """gram_matrix's one-product backward ((∂G + ∂Gᵀ)F) gives autograd's gradient of F Fᵀ."""
    gen = torch.Generator().manual_seed(3)
    f = torch.rand(2, 4, 3, 5, generator=gen, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: S.gram_matrix(t, "hw"), (f,))
    w = torch.rand(2, 4, 4, generator=gen, dtype=torch.float64)   # a non-symmetric ∂L/∂G
    (S.gram_matrix(f) * w).sum().backward()
    flat = f.detach().reshape(2, 4, 15).requires_grad_(True)
    ((flat @ flat.transpose(1, 2)) * w).sum().backward()
    np.testing.assert_allclose(f.grad.reshape(2, 4, 15).numpy(), flat.grad.numpy(), rtol=1e-12)


def test_style_loss_equals_the_notes_normalisation_by_hand():
    gen = torch.Generator().manual_seed(1)
    fs = torch.rand(1, 3, 2, 4, generator=gen, dtype=torch.float64)
    fg = torch.rand(1, 3, 2, 4, generator=gen, dtype=torch.float64)
    gs, gg = _hand_gram(fs[0].numpy()), _hand_gram(fg[0].numpy())
    nH, nW, nC = 2, 4, 3
    hand = ((gs - gg) ** 2).sum() / (2 * nH * nW * nC) ** 2           # 1/(2·n_H·n_W·n_C)² Σ(…)²
    one = S.style_layer_loss(fg, S.style_gram(fs, "notes"), "notes")
    assert float(one) == pytest.approx(hand, rel=1e-10)
    # several layers, per-layer weights λ_l: J_style = Σ_l λ_l J^[l]
    f2s = torch.rand(1, 2, 3, 3, generator=gen, dtype=torch.float64)
    f2g = torch.rand(1, 2, 3, 3, generator=gen, dtype=torch.float64)
    hand2 = ((_hand_gram(f2s[0].numpy()) - _hand_gram(f2g[0].numpy())) ** 2).sum() / (2 * 3 * 3 * 2) ** 2
    total, per = S.style_loss({"a": fg, "b": f2g}, {"a": fs, "b": f2s}, {"a": 0.25, "b": 2.0}, "notes")
    assert float(total) == pytest.approx(0.25 * hand + 2.0 * hand2, rel=1e-10)
    assert per["a"] == pytest.approx(hand, rel=1e-10) and per["b"] == pytest.approx(hand2, rel=1e-10)
    # the page's variant: G = FFᵀ/HW, ‖G − G_S‖²/‖G_S‖², weighted average over layers
    rel = ((gs / 8 - gg / 8) ** 2).sum() / ((gs / 8) ** 2).sum()
    rel2 = ((_hand_gram(f2s[0].numpy()) / 9 - _hand_gram(f2g[0].numpy()) / 9) ** 2).sum() \
        / ((_hand_gram(f2s[0].numpy()) / 9) ** 2).sum()
    total_hw, _ = S.style_loss({"a": fg, "b": f2g}, {"a": fs, "b": f2s}, {"a": 1.0, "b": 3.0}, "hw")
    assert float(total_hw) == pytest.approx((rel + 3 * rel2) / 4, rel=1e-10)


def test_content_loss_mse_and_half_sse():
    a = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    b = torch.tensor([[1.0, 0.0], [3.0, 1.0]])
    assert float(S.content_loss(a, b)) == pytest.approx((4 + 9) / 4)
    assert float(S.content_loss(a, b, "half_sse")) == pytest.approx(0.5 * (4 + 9))


def test_tv_loss_equals_the_hand_sum_of_right_and_down_differences():
    x = torch.tensor([[[[0.0, 1.0, 3.0], [2.0, 2.0, 0.0]]]])     # 1×1×2×3
    right = (1 - 0) ** 2 + (3 - 1) ** 2 + (2 - 2) ** 2 + (0 - 2) ** 2   # x[i,j+1] − x[i,j]
    down = (2 - 0) ** 2 + (2 - 1) ** 2 + (0 - 3) ** 2                    # x[i+1,j] − x[i,j]
    assert float(S.tv_loss(x)) == pytest.approx(right + down)             # 9 + 14 = 23
    assert float(S.tv_loss(x, "mean")) == pytest.approx(right / 4 + down / 3)
    assert float(S.tv_loss(torch.full((1, 3, 5, 5), 0.3))) == 0.0


def test_same_gram_different_layout():
    f = torch.rand(8, 6, 7, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    p = S.permute_positions(f, seed=3)
    assert not torch.equal(p, f)
    torch.testing.assert_close(S.gram_matrix(p), S.gram_matrix(f))
    img = images.load_sample("coffee", max_side=128)
    sh = S.shuffle_patches(img, patch=16, seed=1)
    assert sh.shape[0] % 16 == 0 and sh.shape[1] % 16 == 0
    assert np.array_equal(np.sort(sh.reshape(-1)), np.sort(img[:sh.shape[0], :sh.shape[1]].reshape(-1)))


def test_permuting_positions_changes_the_gram_only_by_rounding():
    f = np.random.default_rng(0).random((8, 6, 7)).astype(np.float32)
    assert S.permutation_gram_change(f, seed=0) < 1e-12
    assert S.permutation_gram_change(np.zeros((3, 4, 4), np.float32)) == 0.0


def test_co_occurrence_maps_are_the_two_channels_and_their_product_enlarged():
    f = np.zeros((3, 2, 3), np.float32)
    f[0] = [[0, 1, 2], [3, 4, 5]]
    f[1] = [[5, 0, 0], [0, 0, 5]]
    a, b, prod = S.co_occurrence_maps(f, 0, 1, zoom=4)
    assert a.shape == b.shape == prod.shape == (8, 12) and a.dtype == np.uint8
    assert a[0, 0] == 0 and a[-1, -1] >= 254 and a[0, 4] in (50, 51)    # 0..5 stretched to 0..255
    assert (a[:4, :4] == a[0, 0]).all()                                   # one cell → 4×4 px
    assert prod[-1, -1] >= 254 and prod[0, 0] == 0 and prod[0, 4] == 0    # bright where both fire
    with pytest.raises(ValueError, match="between 0 and 2"):
        S.co_occurrence_maps(f, 0, 3)


# --------------------------------------------------------------------------- on the loss network

def test_style_loss_of_an_image_against_itself_is_zero(lm, cat, starry):
    same = S.gram_distance(cat, cat, lm, size=96)
    assert set(same) == set(S.LOSS_LAYERS["efficientnet_lite0"].default_style)
    assert max(same.values()) < 1e-10
    other = S.gram_distance(cat, starry, lm, size=96)
    assert min(other.values()) > 1e-3
    net = A.as_net(lm)
    x = A.to_tensor(cat)
    paths = ["bn1", "blocks.2.0.bn1"]
    with torch.no_grad():
        acts = A.activations(net, x, paths)
    total, _ = S.style_loss(acts, acts, normalization="notes")
    assert float(total) == 0.0


def test_shuffled_patches_keep_the_gram_closer_than_another_picture(lm, cat, starry):
    shuffled = S.shuffle_patches(cat, patch=32, seed=0)
    crop = cat[:shuffled.shape[0], :shuffled.shape[1]]
    near = S.gram_distance(shuffled, crop, lm, layers=["stem", "blocks[1][0] expand"], size=96)
    far = S.gram_distance(starry, crop, lm, layers=["stem", "blocks[1][0] expand"], size=96)
    assert all(near[k] < 0.3 * far[k] for k in near)


def test_stylize_lowers_the_total_loss_by_80_percent_in_100_steps(lm, cat, starry):
    snaps = list(S.stylize(cat, starry, lm, steps=100, size=80, snapshot_every=10))
    first, last = snaps[0], snaps[-1]
    assert first.step == 0 and last.step == 100 and last.total == 100
    assert last.loss <= 0.2 * first.loss, (first.loss, last.loss)
    for key in ("content", "style", "tv", "J_content", "J_style", "J_tv", "per_layer"):
        assert key in last.info
    assert last.loss == pytest.approx(last.info["content"] + last.info["style"] + last.info["tv"], rel=1e-4)
    assert first.info["content"] == 0.0              # starts from the content picture
    assert last.image.shape == (53, 80, 3) and last.image.dtype == np.uint8
    assert np.abs(last.image.astype(int) - first.image.astype(int)).mean() > 5


def test_stylize_options_adam_noise_notes_and_colour(lm, cat, starry):
    snaps = list(S.stylize(cat, starry, lm, steps=6, size=48, optimizer="adam", init="noise",
                           normalization="notes", beta=1e6, snapshot_every=3, preserve_color=True,
                           style_layers={"stem": 1.0, "blocks[2][0] expand": 0.5}))
    assert [s.step for s in snaps] == [0, 3, 6]
    assert set(snaps[-1].info["per_layer"]) == {"stem", "blocks[2][0] expand"}
    import cv2
    out = snaps[-1].image
    small = cv2.resize(cat, (out.shape[1], out.shape[0]), interpolation=cv2.INTER_AREA)
    chroma = lambda im: cv2.cvtColor(im, cv2.COLOR_RGB2YCrCb)[..., 1:].astype(int)  # noqa: E731
    assert np.abs(chroma(out) - chroma(small)).mean() < 2.0
    with pytest.raises(ValueError, match="optimizer"):
        S.stylize(cat, starry, lm, optimizer="sgd")
    with pytest.raises(ValueError, match="beta"):
        S.stylize(cat, starry, lm, beta=-1)
    with pytest.raises(ValueError, match="style layer"):
        S.stylize(cat, starry, lm, style_layers=[])


def test_sweep_beta_gives_one_result_per_beta_smallest_first(lm, cat, starry):
    snaps = list(S.sweep_beta(cat, starry, lm, [1e4, 1e1], steps=2, size=48, threads=1))
    assert [s.info["beta"] for s in snaps] == [10.0, 1e4]
    assert [(s.step, s.total) for s in snaps] == [(1, 2), (2, 2)]
    assert all(s.image.shape[2] == 3 and max(s.image.shape[:2]) == 48 for s in snaps)
    assert not np.array_equal(snaps[0].image, snaps[1].image)
    with pytest.raises(ValueError, match="at least one"):
        S.sweep_beta(cat, starry, lm, [])


def test_texture_synthesis_lowers_the_gram_distance_by_90_percent(lm, starry):
    snaps = list(S.synthesize_texture(starry, lm, 64, steps=100, style_size=96, snapshot_every=20))
    first, last = snaps[0], snaps[-1]
    assert last.image.shape == (64, 64, 3)
    assert last.info["J_style"] <= 0.1 * first.info["J_style"], (first.info["J_style"], last.info["J_style"])


def test_procedural_styles_are_varied_pictures():
    for name in S.PATTERNS:
        a = S.procedural_style(name, 96)
        assert a.shape == (96, 96, 3) and a.dtype == np.uint8
        assert a.std() > 20, name
    with pytest.raises(ValueError, match="Unknown pattern"):
        S.procedural_style("plaid")


# --------------------------------------------------------------------------- fast style

def test_bundled_fast_models_run_on_512_and_change_the_picture(shared_data):
    bundled = S.bundled_fast_styles()
    assert len(bundled) >= 2, bundled
    img = images.load_image(shared_data / "content" / "golden_gate.jpg", max_side=None)
    h0, w0 = (img.shape[0] - 512) // 2, (img.shape[1] - 512) // 2
    img = np.ascontiguousarray(img[max(0, h0):max(0, h0) + 512, max(0, w0):max(0, w0) + 512])
    if img.shape[:2] != (512, 512):
        import cv2
        img = cv2.resize(img, (512, 512))
    outs = []
    for name, path in bundled.items():
        assert path.stat().st_size <= 10 * 2**20
        m = S.load_fast_style(path)
        assert m.card.get("steps", 0) > 0 and not m.net.training
        out = S.fast_style_frame(img, m)
        assert out.shape == (512, 512, 3) and out.dtype == np.uint8
        assert np.abs(out.astype(int) - img.astype(int)).mean() > 15, name
        outs.append(out)
    assert np.abs(outs[0].astype(int) - outs[1].astype(int)).mean() > 5   # different styles


def test_fast_style_frame_keeps_odd_sizes_and_strength_zero_is_identity():
    net = S.TransformerNet()
    net.eval()
    frame = (np.random.default_rng(0).random((67, 101, 3)) * 255).astype(np.uint8)
    assert S.fast_style_frame(frame, net).shape == (67, 101, 3)
    assert S.fast_style_frame(frame, net, max_side=48).shape == (67, 101, 3)
    np.testing.assert_array_equal(S.fast_style_frame(frame, net, strength=0.0), frame)


def test_train_style_cli_writes_a_loadable_model(tmp_path, shared_data):
    content = tmp_path / "content"
    content.mkdir()
    from PIL import Image
    Image.fromarray(images.load_sample("coffee", max_side=96)).save(content / "coffee.png")
    out = tmp_path / "fast_style_test.pt"
    rc = S.train_style_main([str(shared_data / "style" / "great_wave.jpg"), "--content-dir",
                             str(content), "--out", str(out), "--steps", "3", "--size", "48",
                             "--batch", "1"])
    assert rc == 0 and out.exists()
    m = S.load_fast_style(out)
    assert m.card["steps"] == 3 and m.card["n_content"] == 1
    assert S.train_style_main([str(tmp_path / "missing.jpg"), "--content-dir", str(content)]) == 2


# --------------------------------------------------------------------------- the page

def test_style_page_opens_every_tab_and_synthesizes_a_texture():
    from tests.pageapp import page_app

    at = page_app("style", default_timeout=180).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.label for t in at.tabs] == ["Gram matrix", "Texture synthesis", "Style transfer",
                                          "Fast style"]
    assert at.dataframe, "the Gram tab's distance table"
    for label in ("Style transfer", "Fast style", "Texture synthesis"):
        at.session_state["st-tab"] = label
        at.run()
        assert not at.exception and not at.error, (label, [e.value for e in at.exception])
    at.radio(key="st-tex-kind").set_value("Upload").run()      # an uploader the tabs must not assign
    at.select_slider(key="st-tex-size").set_value(96).run()    # the kept settings survive it
    assert not at.exception and not at.error, [e.value for e in at.exception]
    at.radio(key="st-tex-kind").set_value("Pattern").run()
    at.slider(key="st-tex-steps").set_value(20).run()
    at.button(key="st-tex-go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.exception]
    res = at.session_state["st-tex-result"]
    assert res["image"].shape == (96, 96, 3) and res["rows"][-1]["J_style"] < res["rows"][0]["J_style"]


def test_gram_of_channels_last_activations_is_the_same_without_a_copy():
    """NHWC activations (the folded loss network on the CPU) take the (B, HW, C) path: the same
    Gram and gradient as the NCHW one, checked by gradcheck."""
    gen = torch.Generator().manual_seed(4)
    f = torch.rand(2, 4, 3, 5, generator=gen, dtype=torch.float64)
    nhwc = f.contiguous(memory_format=torch.channels_last).requires_grad_(True)
    assert nhwc.is_contiguous(memory_format=torch.channels_last)
    assert torch.allclose(S.gram_matrix(nhwc, "hw"), S.gram_matrix(f, "hw"))
    assert torch.autograd.gradcheck(lambda t: S.gram_matrix(t.contiguous(memory_format=torch.channels_last), "hw"),
                                    (nhwc,))
    w = torch.rand(2, 4, 4, generator=gen, dtype=torch.float64)
    (S.gram_matrix(nhwc) * w).sum().backward()
    plain = f.clone().requires_grad_(True)
    (S.gram_matrix(plain) * w).sum().backward()
    assert torch.allclose(nhwc.grad, plain.grad)
