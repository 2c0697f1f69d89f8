"""core.convolution: the notes' worked examples, and agreement with PyTorch."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from core import convolution as cv
from core.convolution import (
    AVGPOOL_INPUT, AVGPOOL_RESULT, KERNELS, LEARN_4x4, MAXPOOL_INPUT, MAXPOOL_RESULT,
    NOTES_6x6, NOTES_6x6_VERTICAL, STEP_IMAGE, STEP_RESULT, TRANSPOSE_INPUT,
    TRANSPOSE_KERNEL, VOLUME_FILTERS, VOLUME_INPUT, apply_filter, conv2d, conv2d_steps,
    conv_transpose2d, conv_transpose2d_steps, output_size, pool2d, same_padding,
    transposed_output_size,
)
from tests.pageapp import page_app

VERTICAL = [[1, 0, -1], [1, 0, -1], [1, 0, -1]]


@pytest.fixture(autouse=True, scope="module")
def _torch_one_thread():
    """Tiny tensors: torch's thread pool only costs time here (restored afterwards)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64))


def torch_conv(x: np.ndarray, k: np.ndarray, p: int, s: int) -> np.ndarray:
    """x HxWxC, k fxfxCxK (notes' layout) -> torch -> HoxWoxK."""
    xt = _t(x).permute(2, 0, 1)[None]
    kt = _t(k).permute(3, 2, 0, 1)
    return F.conv2d(xt, kt, padding=p, stride=s)[0].permute(1, 2, 0).numpy()


# --------------------------------------------------------------------- the notes' numbers


def test_notes_6x6_vertical_edge_example():
    np.testing.assert_array_equal(NOTES_6x6[0], [3, 0, 1, 2, 7, 4])
    np.testing.assert_array_equal(NOTES_6x6[5], [2, 4, 5, 2, 3, 9])
    np.testing.assert_array_equal(KERNELS["vertical"], VERTICAL)
    out = conv2d(NOTES_6x6, KERNELS["vertical"])
    assert out.shape == (4, 4)
    np.testing.assert_array_equal(
        out, [[-5, -4, 0, 8], [-10, -2, 2, 3], [0, -2, -4, -7], [-3, -2, -3, -16]]
    )
    np.testing.assert_array_equal(out, NOTES_6x6_VERTICAL)


def test_step_image_gives_30_column_and_minus_30_when_flipped():
    np.testing.assert_array_equal(STEP_IMAGE, [[10, 10, 10, 0, 0, 0]] * 6)
    out = conv2d(STEP_IMAGE, VERTICAL)
    np.testing.assert_array_equal(out, [[0, 30, 30, 0]] * 4)
    np.testing.assert_array_equal(out, STEP_RESULT)
    flipped = conv2d(STEP_IMAGE[:, ::-1], VERTICAL)  # dark -> bright: negative edge
    np.testing.assert_array_equal(flipped, [[0, -30, -30, 0]] * 4)


def test_notes_kernels_match_the_notes_matrices():
    np.testing.assert_array_equal(KERNELS["sobel_x"], [[1, 0, -1], [2, 0, -2], [1, 0, -1]])
    np.testing.assert_array_equal(KERNELS["scharr_x"], [[3, 0, -3], [10, 0, -10], [3, 0, -3]])
    np.testing.assert_array_equal(KERNELS["horizontal"], [[1, 1, 1], [0, 0, 0], [-1, -1, -1]])
    # "turn the vertical filter 90 degrees clockwise" gives the horizontal one
    for x, y in [("vertical", "horizontal"), ("sobel_x", "sobel_y"), ("scharr_x", "scharr_y")]:
        np.testing.assert_array_equal(np.rot90(KERNELS[x], -1), KERNELS[y])
    with pytest.raises(ValueError):
        KERNELS["vertical"][0, 0] = 5  # shared constants are read-only


def test_learn_4x4_is_part_of_the_6x6_image():
    np.testing.assert_array_equal(LEARN_4x4, [[2, 7, 2, 5], [0, 1, 3, 1], [4, 2, 1, 6], [2, 4, 5, 2]])
    np.testing.assert_array_equal(LEARN_4x4, NOTES_6x6[2:6, 0:4])


def test_max_pooling_example():
    out = pool2d(MAXPOOL_INPUT, f=3, s=1, mode="max")
    np.testing.assert_array_equal(out, [[9, 9, 5], [9, 9, 5], [8, 6, 9]])
    np.testing.assert_array_equal(out, MAXPOOL_RESULT)


def test_average_pooling_example():
    out = pool2d(AVGPOOL_INPUT, f=2, s=2, mode="avg")
    np.testing.assert_allclose(out, [[3.75, 1.25], [4, 2]])
    np.testing.assert_allclose(out, AVGPOOL_RESULT)


def test_pooling_a_volume_keeps_channels():
    x = np.stack([MAXPOOL_INPUT, MAXPOOL_INPUT * 2], axis=-1)  # 5x5x2
    out = pool2d(x, 3, 1)
    assert out.shape == (3, 3, 2)
    np.testing.assert_array_equal(out[..., 1], MAXPOOL_RESULT * 2)


def test_volume_one_and_two_filters():
    assert VOLUME_INPUT.shape == (6, 6, 3) and VOLUME_FILTERS.shape == (3, 3, 3, 2)
    one = conv2d(VOLUME_INPUT, VOLUME_FILTERS[..., 0])
    assert one.shape == (4, 4, 1)
    # filter 1 looks only at the red channel, which is the notes' 6x6 image
    np.testing.assert_array_equal(one[..., 0], NOTES_6x6_VERTICAL)
    two = conv2d(VOLUME_INPUT, VOLUME_FILTERS)
    assert two.shape == (4, 4, 2)
    np.testing.assert_array_equal(two[..., 0], NOTES_6x6_VERTICAL)
    # each output value is the sum of the three per-channel 2-D convolutions
    per_channel = sum(
        conv2d(VOLUME_INPUT[..., c], VOLUME_FILTERS[..., c, 1]) for c in range(3)
    )
    np.testing.assert_array_equal(two[..., 1], per_channel)
    np.testing.assert_array_equal(two[0, 0, 1], -7.0)


def test_transposed_example_and_steps():
    out = conv_transpose2d(TRANSPOSE_INPUT, TRANSPOSE_KERNEL, stride=2, padding=1, output_padding=1)
    np.testing.assert_array_equal(out, [[0, 4, 0, 1], [10, 7, 6, 3], [0, 7, 0, 2], [6, 3, 4, 2]])
    steps = list(conv_transpose2d_steps(TRANSPOSE_INPUT, TRANSPOSE_KERNEL, 2, 1, 1))
    assert len(steps) == 4
    np.testing.assert_array_equal(steps[0].patch, 2 * TRANSPOSE_KERNEL)
    assert steps[3].full_pos == (2, 2)
    r0, r1, c0, c1 = steps[-1].crop
    np.testing.assert_array_equal(steps[-1].canvas[r0:r1, c0:c1], out)
    assert steps[0].canvas.sum() == 2 * TRANSPOSE_KERNEL.sum()  # canvas is a snapshot


# --------------------------------------------------------------------- output size


@pytest.mark.parametrize(
    "n,f,p,s,want",
    [(6, 3, 0, 1, 4), (6, 3, 1, 1, 6), (7, 3, 0, 2, 3), (8, 3, 0, 2, 3), (5, 3, 0, 1, 3),
     (4, 2, 0, 2, 2), (1, 1, 0, 1, 1), (6, 6, 0, 1, 1)],
)
def test_output_size_examples(n, f, p, s, want):
    assert output_size(n, f, p, s) == want


def test_output_size_matches_torch_over_a_grid():
    checked = 0
    for n, f, p, s in itertools.product(range(1, 10), range(1, 6), range(0, 3), range(1, 4)):
        if f > n + 2 * p:
            with pytest.raises(ValueError):
                output_size(n, f, p, s)
            continue
        got = F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, f, f), padding=p, stride=s)
        assert output_size(n, f, p, s) == got.shape[-1], (n, f, p, s)
        checked += 1
    assert checked > 300


def test_same_padding():
    for f in (1, 3, 5, 7):
        p = same_padding(f)
        assert p == (f - 1) // 2
        assert output_size(9, f, p, 1) == 9
    with pytest.raises(ValueError, match="even"):
        same_padding(4)


@pytest.mark.parametrize(
    "args,match",
    [
        ((3, 5, 0, 1), "larger than the padded input"),
        ((6, 3, 0, 0), "stride"),
        ((6, 3, 0, -2), "stride"),
        ((6, 3, -1, 1), "negative"),
        ((0, 1, 0, 1), "at least 1"),
        ((6, 0, 0, 1), "at least 1"),
        ((6, 2.5, 0, 1), "whole number"),
    ],
)
def test_output_size_errors_explain_the_rule(args, match):
    with pytest.raises(ValueError, match=match):
        output_size(*args)


def test_conv_and_pool_errors():
    with pytest.raises(ValueError, match="channels"):
        conv2d(np.zeros((6, 6, 3)), np.zeros((3, 3, 2)))
    with pytest.raises(ValueError, match="channels"):
        conv2d(np.zeros((6, 6, 3)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="larger than the padded input"):
        conv2d(np.zeros((2, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="stride"):
        conv2d(np.zeros((6, 6)), np.zeros((3, 3)), stride=0)
    with pytest.raises(ValueError, match="'max' or 'avg'"):
        pool2d(np.zeros((4, 4)), 2, 2, mode="median")
    with pytest.raises(ValueError, match="larger than the padded input"):
        pool2d(np.zeros((2, 2)), 3, 1)
    with pytest.raises(ValueError, match="smaller than the stride"):
        transposed_output_size(2, 3, 1, 2, output_padding=2)
    with pytest.raises(ValueError, match="Unknown kernel"):
        apply_filter(np.zeros((4, 4)), "nope")


def test_transposed_output_size_matches_torch():
    for n, f, p, s in itertools.product(range(1, 5), range(1, 5), range(0, 3), range(1, 4)):
        for op in range(s):
            full = (n - 1) * s + f + op
            if 2 * p >= full:
                with pytest.raises(ValueError):
                    transposed_output_size(n, f, p, s, op)
                continue
            got = F.conv_transpose2d(
                torch.zeros(1, 1, n, n), torch.zeros(1, 1, f, f), stride=s, padding=p,
                output_padding=op,
            )
            assert transposed_output_size(n, f, p, s, op) == got.shape[-1]


# --------------------------------------------------------------------- against torch


def test_conv2d_equals_torch_on_random_shapes():
    rng = np.random.default_rng(0)
    cases = 0
    grid = list(itertools.product(
        (5, 8, 11), (6, 9), (1, 3), (1, 4), (1, 2, 3, 5), (0, 1, 2), (1, 2, 3)
    ))
    for h, w, c, k_out, f, p, s in grid:
        if f > min(h, w) + 2 * p:
            continue
        x = rng.normal(size=(h, w, c))
        k = rng.normal(size=(f, f, c, k_out))
        got = conv2d(x, k, padding=p, stride=s)
        np.testing.assert_allclose(got, torch_conv(x, k, p, s), rtol=1e-10, atol=1e-10)
        cases += 1
    assert cases > 300


def test_conv2d_shapes_2d_and_single_filter():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(7, 9))
    k = rng.normal(size=(3, 3))
    out = conv2d(x, k, padding=1, stride=2)
    assert out.ndim == 2 and out.shape == (4, 5)
    np.testing.assert_allclose(out, torch_conv(x[..., None], k[..., None, None], 1, 2)[..., 0])
    # rectangular filters work too
    kr = rng.normal(size=(2, 4))
    np.testing.assert_allclose(conv2d(x, kr), torch_conv(x[..., None], kr[..., None, None], 0, 1)[..., 0])
    # integer images are not overflowed
    u8 = np.full((4, 4), 255, dtype=np.uint8)
    assert conv2d(u8, np.ones((3, 3)))[0, 0] == 9 * 255


def test_conv2d_is_cross_correlation_not_flipped():
    x = np.zeros((3, 3))
    x[0, 0] = 1.0
    k = np.arange(9.0).reshape(3, 3)
    assert conv2d(x, k)[0, 0] == k[0, 0]  # a flipped kernel would give k[2, 2]


def test_conv2d_steps_match_conv2d():
    rng = np.random.default_rng(2)
    for x, k, p, s in [
        (NOTES_6x6, VERTICAL, 0, 1),
        (rng.normal(size=(7, 8)), rng.normal(size=(3, 3)), 1, 2),
        (VOLUME_INPUT, VOLUME_FILTERS[..., 1], 0, 1),
    ]:
        steps = list(conv2d_steps(x, k, padding=p, stride=s))
        want = conv2d(x, k, padding=p, stride=s)
        assert len(steps) == steps[0].total == want.shape[0] * want.shape[1]
        for st in steps:
            np.testing.assert_allclose(st.value, want[st.out_pos].squeeze())
            np.testing.assert_allclose(st.products.sum(), st.value)
            assert st.in_pos == (st.out_pos[0] * s, st.out_pos[1] * s)
    first = next(conv2d_steps(NOTES_6x6, VERTICAL))
    np.testing.assert_array_equal(first.window, [[3, 0, 1], [1, 5, 8], [2, 7, 2]])
    np.testing.assert_array_equal(first.products, [[3, 0, -1], [1, 0, -8], [2, 0, -2]])
    assert first.value == -5


def test_pool2d_equals_torch():
    rng = np.random.default_rng(3)
    for h, w, c, f, s in itertools.product((4, 7, 10), (5, 8), (1, 3), (1, 2, 3), (1, 2, 3)):
        x = rng.normal(size=(h, w, c))
        xt = _t(x).permute(2, 0, 1)[None]
        for mode, fn in (("max", F.max_pool2d), ("avg", F.avg_pool2d)):
            want = fn(xt, f, s)[0].permute(1, 2, 0).numpy()
            np.testing.assert_allclose(pool2d(x, f, s, mode), want, rtol=1e-12, atol=1e-12)
    # the step view agrees with the vectorised one
    for mode in ("max", "avg"):
        steps = list(cv.pool2d_steps(MAXPOOL_INPUT, 3, 1, mode))
        got = np.array([st.value for st in steps]).reshape(3, 3)
        np.testing.assert_allclose(got, pool2d(MAXPOOL_INPUT, 3, 1, mode))


def test_conv_transpose2d_equals_torch():
    rng = np.random.default_rng(4)
    cases = 0
    for h, c, k_out, f, s, p in itertools.product((1, 2, 4), (1, 2), (1, 3), (1, 2, 3), (1, 2, 3), (0, 1)):
        for op in range(s):
            if 2 * p >= (h - 1) * s + f + op:
                continue
            x = rng.normal(size=(h, h + 1, c))
            k = rng.normal(size=(f, f, c, k_out))
            # torch's transposed weight is (C_in, C_out, kh, kw)
            want = F.conv_transpose2d(
                _t(x).permute(2, 0, 1)[None], _t(k).permute(2, 3, 0, 1), stride=s,
                padding=p, output_padding=op,
            )[0].permute(1, 2, 0).numpy()
            np.testing.assert_allclose(conv_transpose2d(x, k, s, p, op), want, atol=1e-10)
            cases += 1
    assert cases > 100
    x2 = rng.normal(size=(3, 3))
    k2 = rng.normal(size=(3, 3))
    want2 = F.conv_transpose2d(_t(x2)[None, None], _t(k2)[None, None], stride=2, padding=1)[0, 0]
    np.testing.assert_allclose(conv_transpose2d(x2, k2, 2, 1), want2.numpy(), atol=1e-10)


# --------------------------------------------------------------------- photos


def test_apply_filter_equals_conv2d_on_the_interior():
    rng = np.random.default_rng(5)
    img = rng.integers(0, 256, (40, 53, 3), dtype=np.uint8)
    for name in ("vertical", "sobel_x", "scharr_y", "laplacian", "gaussian_5x5", "emboss"):
        k = KERNELS[name]
        r = k.shape[0] // 2
        for border in cv.BORDERS:
            out = apply_filter(img, k, border)
            assert out.shape == img.shape and out.dtype == np.float32
            for c in range(3):
                want = conv2d(img[..., c].astype(float), k)
                np.testing.assert_allclose(out[r:-r, r:-r, c], want, rtol=1e-5, atol=1e-2)
    # zero border == zero padding in conv2d (same size)
    g = rng.normal(size=(17, 12)).astype(np.float32)
    np.testing.assert_allclose(
        apply_filter(g, "sobel_x", "zero"), conv2d(g, KERNELS["sobel_x"], padding=1), atol=1e-4
    )
    # the notes' example through the fast path (interior)
    np.testing.assert_allclose(apply_filter(NOTES_6x6, "vertical")[1:-1, 1:-1], NOTES_6x6_VERTICAL)


def test_gradients_and_edge_frame():
    # bright left, dark right: a positive vertical edge, brightness increases to the left
    img = np.zeros((20, 20, 3), dtype=np.uint8)
    img[:, :10] = 200
    maps = cv.gradients(img, "sobel")
    assert maps.gx[10, 9] > 0 and abs(maps.gy[10, 9]) < 1e-3
    assert maps.magnitude[10, 9] == pytest.approx(4 * 200, rel=1e-3)
    assert abs(abs(maps.orientation[10, 9]) - 180) < 1e-3  # towards the left
    top = np.zeros((20, 20, 3), dtype=np.uint8)
    top[:10] = 200  # bright on top: brightness increases upwards -> 90 degrees
    assert cv.gradients(top, "sobel").orientation[9, 10] == pytest.approx(90)

    for kernel, display in [("sobel", "auto"), ("sobel", "orientation"), ("vertical", "auto"),
                            ("laplacian", "magnitude"), ("gaussian", "auto"), (KERNELS["emboss"], "image")]:
        out = cv.edge_frame(img, kernel, display)
        assert out.shape == img.shape and out.dtype == np.uint8
    # signed display: red for a positive edge, blue for a negative one, black elsewhere
    sig = cv.edge_frame(img, "vertical", "signed")
    assert sig[10, 10, 0] > 100 and sig[10, 10, 2] < 100
    assert (sig[10, 2] == 0).all()
    flipped = cv.edge_frame(img[:, ::-1].copy(), "vertical", "signed")
    assert flipped[10, 9, 2] > 100 and flipped[10, 9, 0] < 100
    # blur keeps a flat image flat
    flat = np.full((8, 8, 3), 77, dtype=np.uint8)
    np.testing.assert_array_equal(cv.edge_frame(flat, "gaussian"), flat)
    with pytest.raises(ValueError, match="display"):
        cv.edge_frame(img, "vertical", "sparkle")


def test_signed_to_rgb_is_diverging():
    rgb = cv.signed_to_rgb(np.array([[-1.0, 0.0, 1.0]]), scale=1.0)
    assert tuple(rgb[0, 1]) == (247, 247, 247)
    assert rgb[0, 0, 2] > rgb[0, 0, 0]  # negative: blue
    assert rgb[0, 2, 0] > rgb[0, 2, 2]  # positive: red


# --------------------------------------------------------------------- bookkeeping, learning


def test_layer_shapes_and_parameter_counts():
    sh = cv.conv_layer_shapes(6, 6, 3, f=3, n_c=2)
    assert sh.a_prev == (6, 6, 3) and sh.filter == (3, 3, 3)
    assert sh.weights == (3, 3, 3, 2) and sh.bias == (1, 1, 1, 2) and sh.a == (4, 4, 2)
    assert sh.params_per_filter == 3 * 3 * 3 + 1 == 28 and sh.params == 56
    assert cv.conv_layer_shapes(39, 39, 3, 3, 10, p=0, s=1).a == (37, 37, 10)
    assert cv.conv_params(1, 32, 16) == (32 + 1) * 16
    cost = cv.bottleneck_mults(28, 28, 192, 32, 5, c_mid=16)
    assert cost["direct"] == 120_422_400
    assert cost["reduce"] == 2_408_448 and cost["conv"] == 10_035_200
    assert cost["bottleneck"] == 12_443_648


def test_one_by_one_convolution_mixes_channels():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(6, 6, 32))
    w = rng.normal(size=(1, 1, 32, 5))
    out = conv2d(x, w)
    assert out.shape == (6, 6, 5)
    np.testing.assert_allclose(out, x @ w[0, 0])  # a per-pixel matrix product


def test_learning_the_filter_recovers_the_vertical_kernel():
    pairs = cv.make_edge_pairs("vertical", n=6, size=10, seed=0)
    steps = list(cv.learn_filter_steps(pairs, steps=150, seed=1))
    assert len(steps) == 150
    assert steps[-1].loss < 1e-6 * steps[0].loss
    np.testing.assert_allclose(steps[-1].kernel, VERTICAL, atol=1e-3)
    # the notes' 4x4 image: one 2x2 target, too little data to pin down 9 weights,
    # but the fit must still be exact on it
    few = cv.make_edge_pairs("vertical", images=[LEARN_4x4])
    last = list(cv.learn_filter_steps(few, steps=300, seed=0))[-1]
    assert last.loss < 1e-6
    with pytest.raises(ValueError, match="target"):
        next(cv.learn_filter_steps([(np.zeros((5, 5)), np.zeros((2, 2)))]))


def test_edge_kernel_detection_and_limit_size():
    assert cv.is_edge_kernel("sobel_x") and cv.is_edge_kernel("laplacian")
    assert not cv.is_edge_kernel("sharpen") and not cv.is_edge_kernel("box")
    big = np.zeros((100, 300, 3), dtype=np.uint8)
    assert cv.limit_size(big, 150).shape == (50, 150, 3)
    assert cv.limit_size(big, 1000) is big


# --------------------------------------------------------------------- the page (AppTest)

PAGE_TABS = ["Edge filters", "Worked examples", "Output size", "Volumes", "1×1 conv",
             "Pooling", "Transposed conv", "Learn a filter"]


def test_page_tabs_render_the_notes_numbers_and_explain_bad_parameters(root):

    at = page_app("convolution", default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Convolution lab"
    assert [t.label for t in at.tabs] == PAGE_TABS
    # the first tab ran above; these four are checked for errors here, the others below
    for label in ["Volumes", "1×1 conv", "Transposed conv", "Learn a filter"]:
        at.session_state["conv-tab"] = label
        at.run()
        assert not at.exception, (label, [e.value for e in at.exception])
        assert not at.error, (label, [e.value for e in at.error])
    text = lambda: " ".join(m.value for m in at.markdown)  # noqa: E731

    at.session_state["conv-tab"] = "Worked examples"
    at.run()
    assert not at.exception and not at.error
    assert "= **-5**" in text()  # first window of the 6x6 example
    at.slider(key="conv-worked-step").set_value(16).run()
    assert "= **-16**" in text()  # last window
    assert "**30**" in text()
    at.toggle(key="conv-worked-flip").set_value(True).run()
    assert "**−30**" in text()

    at.session_state["conv-tab"] = "Pooling"
    at.run()
    assert not at.exception and not at.error
    assert "= **9**" in text()  # last window of the max-pooling example
    at.radio(key="conv-pool-ex").set_value("average: 4×4, f=2, s=2").run()
    assert "= **2**" in text()

    at.session_state["conv-tab"] = "Output size"
    at.run()
    assert not at.exception and not at.error
    assert at.metric[0].value == "3×3"  # n=6, f=3, p=1, s=2: floor(2.5) + 1
    at.number_input(key="conv-n").set_value(1).run()
    at.number_input(key="conv-p").set_value(0).run()
    assert not at.exception and "larger than the padded input" in at.error[0].value

    at.session_state["conv-tab"] = "Learn a filter"
    at.session_state["conv-learn-steps"] = 30
    at.run()
    at.button(key="conv-learn-run").click().run()
    assert not at.exception
    assert "Final loss" in text()


# --------------------------------------------------------------------- what the page shows


def test_outputs_so_far_fills_the_output_window_by_window():
    steps = list(conv2d_steps(NOTES_6x6, KERNELS["vertical"]))
    first = cv.outputs_so_far(steps, 1)
    assert first.shape == (4, 4) and first[0, 0] == -5 and np.isnan(first).sum() == 15
    np.testing.assert_array_equal(cv.outputs_so_far(steps, len(steps)), NOTES_6x6_VERTICAL)
    pooled = cv.outputs_so_far(list(cv.pool2d_steps(AVGPOOL_INPUT, 2, 2, "avg")), 4)
    np.testing.assert_allclose(pooled, AVGPOOL_RESULT)
    with pytest.raises(ValueError):
        cv.outputs_so_far([], 1)


def test_channel_sums_add_up_to_the_window_value():
    step = next(conv2d_steps(VOLUME_INPUT, VOLUME_FILTERS[..., 0]))
    sums = cv.channel_sums(step)
    assert sums.shape == (3,) and sums.sum() == pytest.approx(step.value)
    assert sums[0] == NOTES_6x6_VERTICAL[0, 0] and sums[1] == sums[2] == 0  # filter 1: red only
    flat = next(conv2d_steps(NOTES_6x6, KERNELS["vertical"]))
    assert cv.channel_sums(flat).tolist() == [-5]


def test_window_coverage_marks_padding_input_and_the_floor_left_over():
    cov = cv.window_coverage(6, 3, 1, 2)  # padded 8: windows at 0, 2, 4 cover rows 0..6
    assert cov.shape == (8, 8)
    assert cov[0, 0] == cv.PADDING_SEEN and cov[1, 1] == cv.INPUT_SEEN
    assert (cov[7, :] == cv.NEVER_SEEN).all() and (cov[:, 7] == cv.NEVER_SEEN).all()
    assert (cov[:7, :7] != cv.NEVER_SEEN).all()
    assert (cv.window_coverage(6, 3) == cv.INPUT_SEEN).all()
    with pytest.raises(ValueError):
        cv.window_coverage(1, 3)


def test_pictures_of_maps_scale_clip_and_enlarge():
    resp = np.array([[-100.0, 0.0], [50.0, 400.0]])
    assert cv.percentile_scale(resp, 100) == 400.0
    assert cv.percentile_scale(np.zeros((3, 3))) == 1.0
    gray = cv.magnitude_to_gray(resp, 200.0)
    assert gray.dtype == np.uint8 and gray.tolist() == [[127, 0], [63, 255]]
    with pytest.raises(ValueError):
        cv.magnitude_to_gray(resp, 0.0)
    assert cv.to_picture(np.array([-3.0, 1.4, 1.6, 300.0])).tolist() == [0, 1, 2, 255]
    big = cv.enlarge(np.array([[1, 2], [3, 4]], dtype=np.uint8), 2)
    assert big.dtype == np.uint8
    np.testing.assert_array_equal(big, np.kron([[1, 2], [3, 4]], np.ones((2, 2))))
    with pytest.raises(ValueError):
        cv.enlarge(big, 0)


def test_one_by_one_example_spells_out_one_pixel():
    ex = cv.one_by_one_example(8)
    assert ex.x.shape == (6, 6, 32) and ex.w.shape == (1, 1, 32, 8) and ex.out.shape == (6, 6, 8)
    assert ex.pixel.shape == (3, 32)
    assert ex.pixel[2].sum() == pytest.approx(ex.out[0, 0, 0])
    np.testing.assert_array_equal(ex.pixel[2], ex.pixel[0] * ex.pixel[1])
    assert ex.x.min() >= -3 and ex.x.max() <= 3 and ex.w.min() >= -2 and ex.w.max() <= 2
    with pytest.raises(ValueError):
        cv.one_by_one_example(0)


# --------------------------------------------------------------------- issue 16

def test_zero_insertion_gives_the_transposed_convolution_for_every_small_geometry():
    rng = np.random.default_rng(0)
    checked = 0
    for n, f, s in itertools.product(range(1, 5), range(1, 5), range(1, 4)):
        for op in range(s):
            for p in range(cv.max_transposed_padding(n, f, s, op) + 1):
                x = rng.integers(0, 5, (n, n + 1)).astype(float)
                k = rng.integers(-2, 3, (f, f)).astype(float)
                z = cv.zero_insertion(x, k, s, p, op)
                want = F.conv_transpose2d(_t(x)[None, None], _t(k)[None, None], stride=s,
                                          padding=p, output_padding=op)[0, 0].numpy()
                np.testing.assert_allclose(conv2d(z.grid, z.flipped), want, atol=1e-10)
                assert all(z.grid[r, c] == x[i // x.shape[1], i % x.shape[1]]
                           for i, (r, c) in enumerate(z.cells)) or z.border < 0
                checked += 1
            # one more padding leaves nothing: a clear message, not a crash
            with pytest.raises(ValueError, match="Use at most p"):
                transposed_output_size(n, f, cv.max_transposed_padding(n, f, s, op) + 1, s, op)
    assert checked > 200
    z = cv.zero_insertion(TRANSPOSE_INPUT, TRANSPOSE_KERNEL, 2, 1, 1)
    np.testing.assert_array_equal(z.grid[1:4, 1:4], [[2, 0, 1], [0, 0, 0], [3, 0, 2]])  # s − 1 = 1 zero
    assert z.border == 1 and z.grid.shape == (6, 6)


def test_transposed_formula_shows_the_numbers_once():
    text = cv.transposed_formula(3, 3, 0, 1)
    assert text.endswith(r"(3-1)\cdot 1 + 3 - 2\cdot 0 + 0 = 5")
    assert text.count("= 5") == 1
    with pytest.raises(ValueError) as e:  # the old message said "(n-1)·s + f = 5 = 5"
        transposed_output_size(3, 3, 3, 1)
    assert "(3−1)·1 + 3 = 5;" in str(e.value) and "= 5 = 5" not in str(e.value)


@pytest.mark.parametrize("name, words", [
    ("vertical", ("left side", "right side", "+30")), ("sobel_x", ("left side", "right side")),
    ("horizontal", ("top side", "bottom side")), ("sobel_y", ("top side", "bottom side")),
    ("scharr_y", ("top side", "bottom side")),
    ("laplacian", ("no direction", "blue where a pixel is brighter")),
])
def test_edge_sign_follows_the_filter(name, words):
    text = cv.edge_sign(name)
    assert all(w in text for w in words), text
    if name != "vertical":
        assert "+30" not in text
    turned = cv.edge_sign(-cv.get_kernel(name))  # the opposite filter: the opposite sides
    if "left side" in text:
        assert "right side, blue" in turned
    assert turned != text


def test_edge_caption_follows_the_chosen_filter():
    at = page_app("convolution", default_timeout=120).run()
    caption = lambda: " ".join(c.value for c in at.caption if "Range of the response" in c.value)  # noqa: E731
    assert "left side" in caption()  # the default sobel_x
    at.selectbox(key="conv-edges-name").set_value("sobel_y").run()
    assert "top side" in caption() and "left side" not in caption()
    at.selectbox(key="conv-edges-name").set_value("laplacian").run()
    assert "no direction" in caption()


def _transposed_tab(page: str):
    at = page_app(page, default_timeout=120)
    if page == "convolution":
        at.session_state["conv-tab"] = "Transposed conv"
    return at.run()


@pytest.mark.parametrize("page, key", [("convolution", "conv-t"), ("segmentation", "seg-tc")])
def test_both_transposed_tabs_share_one_convention_and_constrain_output_padding(page, key):
    at = _transposed_tab(page)
    assert not at.exception, [e.value for e in at.exception]
    latex = lambda: [m.value for m in at.latex if "out\\_pad" in m.value]  # noqa: E731
    assert latex() and r"(n-1)\,s + f - 2p + \text{out\_pad}" in latex()[0]
    assert [r.label for r in at.radio if r.key == f"{key}-view"] == ["View"]
    # stride 1 with output padding 1 used to fail; now output padding follows the stride
    at.number_input(key=f"{key}-s").set_value(2).run()
    at.number_input(key=f"{key}-op").set_value(1).run()
    at.number_input(key=f"{key}-s").set_value(1).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    op = at.number_input(key=f"{key}-op")
    assert op.value == 0 and op.disabled and op.max == 0
    # padding is bounded so that something is left; its bound follows n, f and s
    p = at.number_input(key=f"{key}-p")
    p.set_value(p.max).run()
    assert not at.exception and not at.error
    at.radio(key=f"{key}-view").set_value(at.radio(key=f"{key}-view").options[1]).run()
    assert not at.exception and not at.error
    assert any("fractionally strided" in c.value for c in at.caption)
    # the other page's tab is linked
    assert any("Transposed conv" in m.value for m in at.markdown if "See also" in m.value)


def test_one_by_one_strip_is_labelled_and_large_enough():
    import json

    at = page_app("convolution", default_timeout=120)
    at.session_state["conv-tab"] = "1×1 conv"
    at.run()
    assert not at.exception and not at.error
    strips = [json.loads(c.proto.spec) for c in at.get("plotly_chart")
              if "channels" in str(json.loads(c.proto.spec)["layout"].get("title"))]
    assert len(strips) == 2  # channels 1–16 and 17–32 (one 32-wide strip was 24 px a cell)
    for spec in strips:
        lay = spec["layout"]
        assert lay["yaxis"]["ticktext"] == ["x: input", "w: filter 1", "x · w"]
        assert len(lay["xaxis"]["ticktext"]) == 16
        plot_w = lay["width"] - lay["margin"]["l"] - lay["margin"]["r"]
        assert plot_w / 16 >= 38, plot_w  # px per cell
        assert lay["width"] <= 820  # fits the main column at 1280 px with the sidebar open
    assert [s["layout"]["xaxis"]["ticktext"][0] for s in strips] == ["1", "17"]
    ex = cv.one_by_one_example(8)
    total = sum(float(t.split("= ")[-1]) for t in
                (s["layout"]["title"]["text"] for s in strips))
    assert total == ex.out[0, 0, 0]


def test_learn_a_filter_keeps_what_a_stopped_run_reached():
    at = page_app("convolution", default_timeout=120)
    at.session_state["conv-tab"] = "Learn a filter"
    at.session_state["conv-learn-steps"] = 30
    at.run()
    # what on_snapshot keeps during a run, as a Stop leaves it (step 10 of 30)
    config = ("vertical", "random 8×8 images", 4, 30, 0.0, 0)
    at.session_state["conv-learn-result"] = (config, [5.0, 2.0], np.zeros((3, 3)), 10, 30)
    at.run()
    assert not at.exception and not at.error
    assert any("Stopped at step 10 of 30" in m.value for m in at.markdown)
