"""Prepared results: stored by exact picture and settings, found by the page, never confused."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from core import precompute, zoo
from core.images import load_sample, resize_max
from tests.pageapp import page_app


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNLAB_HOME", str(tmp_path))
    return tmp_path


def test_round_trip_and_keys(store):
    img = np.zeros((8, 8, 3), np.uint8)
    frames = [np.full((8, 8, 3), i, np.uint8) for i in range(3)]
    precompute.save("demo", {"a": 1}, img, {"image": img + 1, "frames": frames, "seconds": 2.5,
                                            "losses": [(1, 0, 0.5)]})
    got = precompute.load("demo", {"a": 1}, img)
    assert got["prepared"] and got["seconds"] == 2.5 and (got["image"] == 1).all()
    assert [int(f[0, 0, 0]) for f in got["frames"]] == [0, 1, 2]
    assert precompute.load("demo", {"a": 2}, img) is None          # other settings
    assert precompute.load("demo", {"a": 1}, img + 1) is None      # other picture
    assert precompute.load("other", {"a": 1}, img) is None         # other kind


def test_recorded_dream_matches_the_plain_iterator(store):
    from core import dream as dd

    torch.set_num_threads(1)
    lm = zoo.load("imagenet")
    img = resize_max(load_sample("china"), 96)
    settings = dict(layers="blocks[1]", steps=3, step_size=0.01, octaves=2, octave_scale=1.4,
                    jitter=4, tile_size=512, seed=0)
    snaps, record = precompute.run_dream_recorded(img, lm, settings)
    last = list(snaps)[-1]
    plain = list(dd.dream(img, lm, **settings, snapshot_every=1))[-1]
    assert np.array_equal(last.image, plain.image)
    assert len(record["losses"]) == last.total == 6 and record["frames"][0] is img
    with pytest.raises(ValueError):
        precompute.run_dream_recorded(img, lm, {**settings, "octave_scale": 0.5})


def test_the_deepdream_page_shows_a_prepared_dream(store):
    from core import dream as dd

    lm = zoo.load("imagenet")
    classic = dd.preset(lm)
    image = resize_max(load_sample("china", max_side=2048), precompute.DREAM_SIDE)
    settings = dict(layers=classic["layers"], steps=classic["steps"], step_size=classic["step_size"],
                    octaves=classic["octaves"], octave_scale=classic["octave_scale"],
                    jitter=classic["jitter"], tile_size=512, seed=0)
    marker = np.full_like(image, 7)
    precompute.save("deepdream", precompute.dream_params(settings, lm.name), image, dict(
        image=marker, frames=[image, marker], losses=[(1, 0, 1.0), (2, 0, 2.0)],
        layer=settings["layers"], step=80, total=80, seconds=12.0, stopped=False))
    at = page_app("deepdream", default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    captions = " ".join(str(i.proto) for i in at.get("image"))
    assert "prepared ahead" in captions, captions
