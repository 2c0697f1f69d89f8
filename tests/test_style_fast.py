"""Fast style (core.style): the checkerboard meter, the resize-then-convolve decoder, the
retrained bundled models against the first (sub-pixel) one, the held-out photo, the timing.

Small pictures and one CPU thread: the file runs in well under a minute on the shared machine.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn

from core import images
from core import style as S


# one CPU thread for the module (autouse), as in tests/test_style.py
from tests.test_style import one_thread  # noqa: E402,F401


@pytest.fixture(scope="module")
def held_out():
    return images.load_sample(S.HELD_OUT_SAMPLE, max_side=320)


# --------------------------------------------------------------------------- the meter

def test_period2_energy_measures_a_two_pixel_lattice():
    yy, xx = np.mgrid[0:128, 0:160].astype(np.float64)
    smooth = 120 + 60 * np.sin(2 * np.pi * xx / 40) * np.cos(2 * np.pi * yy / 50)
    lattice = 8.0 * ((yy + xx) % 2 * 2 - 1)                 # ±8: a checkerboard
    rgb = lambda a: np.repeat(np.clip(a, 0, 255)[..., None], 3, -1).astype(np.uint8)  # noqa: E731
    assert S.period2_energy(rgb(smooth)) < 0.002            # uint8 rounding noise only
    with_lattice = S.period2_energy(rgb(smooth + lattice))
    # its share of the energy, by hand: 8² against the sine's 60²/4 (the mean removed)
    expected = 64 / (64 + 60 ** 2 / 4)
    assert abs(with_lattice - expected) < 0.01, (with_lattice, expected)
    stripes = rgb(128 + 100 * (xx % 2 * 2 - 1))             # nothing but period-2 columns
    assert S.period2_energy(stripes) > 0.99
    assert S.period2_energy(np.zeros((8, 8, 3), np.uint8)) == 0.0
    with pytest.raises(ValueError, match="4×4"):
        S.period2_energy(np.zeros((2, 9, 3), np.uint8))


def test_transposed_convolution_overlap_alternates_with_period_two():
    taps = S.transposed_overlap(8, 3, 2)
    np.testing.assert_array_equal(taps[2:-2], [2, 1] * 6 + [2])
    np.testing.assert_array_equal(S.transposed_overlap(8, 4, 2)[2:-2], [2] * 14)  # k = 2s: even


def test_period2_spectrum_shows_the_lattice_on_its_border():
    yy, xx = np.mgrid[0:64, 0:64]
    flat = np.full((64, 64, 3), 128, np.uint8)
    board = flat.copy()
    board[(yy + xx) % 2 == 0] = 160
    spec = S.period2_spectrum(board)
    assert spec.shape == (64, 64) and spec.dtype == np.uint8
    assert spec[0, 0] == 255                                  # (½, ½): the corner after fftshift
    assert spec[1:-1, 1:-1].max() < 255


# --------------------------------------------------------------------------- the decoder

def test_the_default_decoder_resizes_then_convolves():
    net = S.TransformerNet()
    assert net.config["upsample"] == "resize"
    assert not any(isinstance(m, nn.PixelShuffle) for m in net.modules())
    assert sum(isinstance(m, nn.Upsample) for m in net.modules()) == 3
    old = S.TransformerNet(upsample="subpixel")
    assert sum(isinstance(m, nn.PixelShuffle) for m in old.modules()) == 3
    with pytest.raises(ValueError, match="upsample"):
        S.TransformerNet(upsample="transposed")
    x = torch.rand(1, 3, 37, 53)
    assert net.eval()(x).shape == x.shape


def test_files_without_an_upsampling_setting_load_as_sub_pixel(tmp_path):
    net = S.TransformerNet(upsample="subpixel").eval()
    path = S.save_fast_style(net, tmp_path / "fast_style_old.pt", {"steps": 1})
    blob = torch.load(path, weights_only=True)
    del blob["config"]["upsample"]                           # as the first files were written
    torch.save(blob, path)
    m = S.load_fast_style(path)
    assert m.net.config["upsample"] == "subpixel"
    frame = (np.random.default_rng(0).random((40, 48, 3)) * 255).astype(np.uint8)
    a, b = S.fast_style_frame(frame, net.half().float()), S.fast_style_frame(frame, m)
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 1


def test_retrained_models_draw_no_lattice_and_the_first_one_did(held_out):
    """The finding: the first Great Wave network put ~6 % of its output's spectral energy in the
    period-2 bands (a photo: ~0.05 %). Retrained with the resize decoder, no bundled model does."""
    photo = S.period2_energy(held_out)
    assert photo < 0.002
    bundled = S.bundled_fast_styles()
    assert {"starry_night", "great_wave"} <= set(bundled) and "great_wave_subpixel" not in bundled
    for name, path in bundled.items():
        m = S.load_fast_style(path)
        assert m.net.config["upsample"] == "resize", name
        out = S.fast_style_frame(held_out, m)
        assert np.abs(out.astype(int) - held_out.astype(int)).mean() > 15, name  # visibly styled
        assert S.period2_energy(out) < 0.005, (name, S.period2_energy(out))
    before = S.load_fast_style(S.bundled_fast_styles(lessons=True)["great_wave_subpixel"])
    assert before.net.config["upsample"] == "subpixel"
    assert S.period2_energy(S.fast_style_frame(held_out, before)) > 0.03


def test_checkerboard_report_compares_photo_before_and_after(held_out):
    every = S.bundled_fast_styles(lessons=True)
    before, after = (S.load_fast_style(every[n]) for n in ("great_wave_subpixel", "great_wave"))
    rep = S.checkerboard_report(held_out, before, after, side=160, crop=32, zoom=4)
    assert rep.labels == ["photo", "great_wave_subpixel", "great_wave"]
    h, w = rep.images[0].shape[:2]
    assert max(h, w) == 160 and all(i.shape == rep.images[0].shape for i in rep.images)
    assert all(c.shape == (128, 128, 3) for c in rep.crops)
    corner = rep.images[0][(h - 32) // 2, (w - 32) // 2]        # the centre crop, each pixel 4×4
    np.testing.assert_array_equal(rep.crops[0][:4, :4], np.broadcast_to(corner, (4, 4, 3)))
    assert rep.energy[1] > 10 * rep.energy[2] and rep.energy[1] > 10 * rep.energy[0]


# --------------------------------------------------------------------------- cards and photos

def test_bundled_models_never_trained_on_the_held_out_photo_and_carry_their_style():
    names = {n for n in images.samples()}
    photos = S.training_photos(max_side=64)
    assert S.HELD_OUT_SAMPLE in names and len(photos) == len(names) - 1
    held = images.load_sample(S.HELD_OUT_SAMPLE, max_side=64)
    assert not any(p.shape == held.shape and np.array_equal(p, held) for p in photos)
    for name, path in S.bundled_fast_styles().items():
        m = S.load_fast_style(path)
        assert m.card["held_out"] == f"sample:{S.HELD_OUT_SAMPLE}", name
        assert m.style is not None and max(m.style.shape[:2]) <= S.STYLE_THUMB_SIDE, name
    lesson = S.load_fast_style(S.bundled_fast_styles(lessons=True)["great_wave_subpixel"])
    assert lesson.style is not None                       # the Great Wave's picture


def test_timed_fast_style_reports_the_median_of_several_calls():
    net = S.TransformerNet().eval()
    frame = np.full((48, 64, 3), 100, np.uint8)
    out, median, times = S.timed_fast_style(frame, net, repeats=5)
    assert out.shape == frame.shape and len(times) == 5
    assert median == float(np.median(times)) and min(times) <= median <= max(times)
    with pytest.raises(ValueError, match="repeats"):
        S.timed_fast_style(frame, net, repeats=0)
