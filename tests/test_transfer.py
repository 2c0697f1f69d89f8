"""core.transfer: the head learns on frozen features, features are computed once per picture, the
frame function draws the probabilities, and the three regimes order as measured on lfw_subset."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from core import transfer
from core.transfer import head as H
from core.transfer import regimes as R

PREPARED = Path(__file__).resolve().parents[1] / "assets" / "transfer_regimes.json"


def _stripes(rng) -> np.ndarray:
    """Synthetic class A: black and white horizontal stripes of random period and phase."""
    period, phase = int(rng.integers(8, 24)), int(rng.integers(0, 24))
    rows = ((np.arange(160) + phase) // period) % 2
    return np.repeat(np.repeat((rows * 255).astype(np.uint8)[:, None], 160, 1)[..., None], 3, 2)


def _disc(rng) -> np.ndarray:
    """Synthetic class B: one red disc of random size and place on a pale green background."""
    im = np.full((160, 160, 3), (200, 230, 200), np.uint8)
    r = int(rng.integers(25, 55))
    cx, cy = (int(v) for v in rng.integers(r, 160 - r, 2))
    cv2.circle(im, (cx, cy), r, (220, 30, 30), -1)
    return im


def test_head_learns_two_synthetic_classes(lm):
    rng = np.random.default_rng(0)
    train = [_stripes(rng) for _ in range(5)] + [_disc(rng) for _ in range(5)]
    test = [_stripes(rng) for _ in range(8)] + [_disc(rng) for _ in range(8)]
    y_test = np.r_[np.zeros(8), np.ones(8)]
    cache = transfer.FeatureCache()
    head = transfer.fit_head(cache.features(lm, train), [0] * 5 + [1] * 5, ["stripes", "disc"], steps=100)
    p = head.probabilities(cache.features(lm, test))
    assert np.allclose(p.sum(1), 1)
    assert (p.argmax(1) == y_test).mean() >= 0.95
    assert head.parameters == 2 * 1280 + 2


def test_features_are_computed_once_per_picture(lm, monkeypatch):
    calls: list[int] = []
    real = H.model_features
    monkeypatch.setattr(H, "model_features", lambda m, ims, **kw: calls.append(len(ims)) or real(m, ims, **kw))
    pics = transfer.bundled("grass", 3, seed=5)
    cache = transfer.FeatureCache()
    first = cache.features(lm, pics)
    assert calls == [3] and cache.computed == 3
    again = cache.features(lm, [pics[1].copy(), pics[0]] + transfer.bundled("brick", 1))
    assert calls == [3, 1] and cache.computed == 4          # only the brick was new
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[1], first[0])
    assert cache.missing(lm, [transfer.picture_key(p) for p in pics]) == 0


def test_training_loss_falls_and_snapshots_carry_history():
    rng = np.random.default_rng(1)
    x = np.r_[rng.normal(0, 1, (6, 16)), rng.normal(3, 1, (6, 16))]
    snaps = list(transfer.train_head(x, [0] * 6 + [1] * 6, ["a", "b"], steps=40))
    assert [s.step for s in snaps] == list(range(1, 41)) and snaps[-1].fraction == 1.0
    assert snaps[-1].loss < 0.5 * snaps[0].loss and snaps[-1].accuracy == 1.0
    assert len(snaps[-1].history["loss"]) == 40


@pytest.mark.parametrize("labels,classes,match", [
    ([0, 0, 0], ["a", "b"], "at least one picture; empty: b"),
    ([0, 1, 2, 3, 4, 5], list("abcdef"), "between 2 and 5"),
    ([0], ["a"], "between 2 and 5"),
])
def test_bad_class_sets_are_clear_errors(labels, classes, match):
    with pytest.raises(ValueError, match=match):
        next(transfer.train_head(np.ones((len(labels), 4)), labels, classes))


def test_frame_function_draws_the_probabilities(lm):
    pics = transfer.bundled("cat", 3) + transfer.bundled("coffee", 3)
    head = transfer.fit_head(transfer.model_features(lm, pics), [0, 0, 0, 1, 1, 1], ["cat", "coffee"], steps=60)
    frame = transfer.bundled("cat", 1, seed=77)[0]
    out, data = transfer.classify_frame(frame, lm, head)
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert abs(sum(data["probabilities"].values()) - 1) < 1e-6 and data["best"] == "cat"
    assert np.abs(out.astype(int) - frame).mean() > 5          # bars and text were drawn


def test_bundled_sets():
    for name in transfer.BUNDLED:
        pics = transfer.bundled(name, 2, seed=3)
        assert len(pics) == 2 and all(p.shape == (160, 160, 3) and p.dtype == np.uint8 for p in pics)
    assert transfer.picture_key(transfer.bundled("brick", 1, 0)[0]) != transfer.picture_key(transfer.bundled("brick", 1, 1)[0])
    with pytest.raises(ValueError, match="Unknown bundled set"):
        transfer.bundled("zebras")


def test_prepared_sweep_shows_pretrained_features_win_with_little_data(lm):
    data = json.loads(PREPARED.read_text())
    assert data["made_from"] == R.made_from(lm)         # made from this data, model and recipe
    s = data["summary"]
    for n in ("1", "2", "5"):
        assert s["frozen"][n][0] >= s["scratch"][n][0] + 0.04, n
        assert s["finetune"][n][0] >= s["scratch"][n][0] + 0.04, n
    assert s["scratch"]["50"][0] >= 0.95                  # with enough data, scratch catches up
    assert s["scratch"]["50"][0] - s["scratch"]["1"][0] >= 0.15


def test_live_points_reproduce_the_prepared_ones(lm):
    """The page's "rerun one point" is the code that made the asset: same seed, same accuracy."""
    rows = {(r["regime"], r["n"], r["seed"]): r["accuracy"] for r in json.loads(PREPARED.read_text())["rows"]}
    for regime, n, seed in (("frozen", 2, 0), ("frozen", 5, 1), ("scratch", 2, 0), ("scratch", 2, 1)):
        got = R.run_point(regime, n, seed, lm)["accuracy"]
        assert got == pytest.approx(rows[(regime, n, seed)], abs=0.011), (regime, n, seed)


def test_split_keeps_test_pictures_out_of_training():
    pool, test = R.split(3)
    assert len(test) == 100 and not set(pool.ravel()) & set(test)
    assert np.array_equal(R.split(0)[1], test)
    with pytest.raises(ValueError, match="between 1 and 50"):
        R.training_indices(51, 0)
