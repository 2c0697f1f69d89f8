"""Prepared results (issue 15 §5): stored by exact picture, model and settings, shipped in
``assets/prepared/``, shown at once by every slow view on a fresh clone, never for anything else."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from core import precompute as P
from core import zoo
from core.images import load_sample, resize_max
from tests.pageapp import page_app


@pytest.fixture
def store(tmp_path, monkeypatch):
    """An empty user store (a fresh clone): only what ships in assets/prepared/ is there."""
    monkeypatch.setenv("CNNLAB_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def lm():
    return zoo.load("imagenet")


# --------------------------------------------------------------------------- storage and keys

def test_round_trip_and_keys(store):
    img = np.zeros((8, 8, 3), np.uint8)
    frames = [np.full((8, 8, 3), i, np.uint8) for i in range(3)]
    P.save("demo", {"a": 1}, img, {"image": img + 1, "frames": frames, "seconds": 2.5,
                                   "losses": [(1, 0, 0.5)]})
    got = P.load("demo", {"a": 1}, img)
    assert got["prepared"] and got["prepared_in"] == "store" and got["seconds"] == 2.5
    assert (got["image"] == 1).all() and [int(f[0, 0, 0]) for f in got["frames"]] == [0, 1, 2]
    assert P.load("demo", {"a": 2}, img) is None          # other settings
    assert P.load("demo", {"a": 1}, img + 1) is None      # other picture
    assert P.load("other", {"a": 1}, img) is None         # other kind
    assert P.load("demo", {"a": 1.0}, img) is not None    # the same value in another type


def test_compact_storage_keeps_pictures_exact_and_maps_close(tmp_path):
    rng = np.random.default_rng(0)
    pic = rng.integers(0, 255, (40, 60, 3), dtype=np.uint8)
    heat = rng.random((40, 60)).astype(np.float32)
    frames = [np.full((400, 300, 3), i, np.uint8) for i in range(20)]
    path = P.save("demo", {}, None, {"image": pic, "map": heat, "maps": [heat], "frames": frames,
                                     "raw": np.arange(4.0) * 3}, folder=tmp_path, compact=True)
    got = P.read_file(path)
    assert np.array_equal(got["image"], pic) and np.array_equal(got["raw"], np.arange(4.0) * 3)
    assert np.abs(got["map"] - heat).max() <= 0.5 / 255 + 1e-6 and got["map"].dtype == np.float32
    assert np.abs(got["maps"][0] - heat).max() <= 0.5 / 255 + 1e-6
    assert len(got["frames"]) == P.SHIPPED_FRAMES
    assert int(got["frames"][0][0, 0, 0]) == 0 and int(got["frames"][-1][0, 0, 0]) == 19
    assert max(got["frames"][0].shape[:2]) == P.SHIPPED_FRAME_SIDE


def test_the_user_store_comes_before_the_shipped_results(store, tmp_path, monkeypatch):
    shipped = tmp_path / "shipped"
    monkeypatch.setattr(P, "SHIPPED", shipped)
    img = np.zeros((4, 4, 3), np.uint8)
    P.save("demo", {"a": 1}, img, {"v": "shipped"}, folder=shipped, compact=True)
    got = P.load("demo", {"a": 1}, img)
    assert got["v"] == "shipped" and got["prepared_in"] == "shipped"
    P.save("demo", {"a": 1}, img, {"v": "mine"})
    got = P.load("demo", {"a": 1}, img)
    assert got["v"] == "mine" and got["prepared_in"] == "store"


def _changed(value):
    """Another value of the same kind, for every kind of setting the views have."""
    if value is None:
        return "blocks[2]"
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value * 2 + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, list):
        return value[:-1] if len(value) > 1 else value + value
    raise AssertionError(f"no change for {value!r}")


@pytest.mark.parametrize("kind", list(P.JOBS))
def test_the_key_changes_with_picture_model_and_every_setting(kind, lm):
    job = P.JOBS[kind]
    pic = job.picture(lm)
    settings = job.defaults(lm, pic)
    base = P.key(kind, lm, settings, pic)
    assert P.key(kind, lm, dict(settings), pic) == base                       # stable
    assert P.key(kind, "vgg16", settings, pic) != base                         # model
    assert P.key("other", lm, settings, pic) != base                           # view
    if pic is not None:                                                        # each picture
        pics = [pic] if isinstance(pic, np.ndarray) else list(pic)
        for i in range(len(pics)):
            other = [p.copy() for p in pics]
            other[i][0, 0, 0] ^= 1
            assert P.key(kind, lm, settings, other[0] if isinstance(pic, np.ndarray) else tuple(other)) != base
    for name, value in settings.items():                                       # each setting
        assert P.key(kind, lm, {**settings, name: _changed(value)}, pic) != base, name
    if kind == "deepdream":                                                    # a guide picture too
        guide = np.zeros((8, 8, 3), np.uint8)
        assert P.key(kind, lm, {**settings, "guide": guide}, pic) != base


def test_current_prefers_this_sessions_run_then_the_prepared_one(store, lm):
    settings = P.defaults("classvis", lm)
    k = P.key("classvis", lm, settings, None)
    mine = {"key": k, "image": 1}
    assert P.current("classvis", lm, settings, None, mine).state == "computed"
    cur = P.current("classvis", lm, settings, None, None)
    assert cur.state == "prepared" and "prepared ahead — press Run gradient ascent" in cur.tail
    other = {**settings, "steps": settings["steps"] + 10}
    cur = P.current("classvis", lm, other, None, mine)
    assert cur.state == "stale" and cur.result is mine and cur.tail == "" and "changed" in cur.stale_note
    assert P.current("classvis", lm, other, None, None).state is None


# --------------------------------------------------------------------------- the same call as the page

def test_a_recorded_dream_matches_the_plain_iterator(store, lm):
    from core import dream as dd

    torch.set_num_threads(1)
    img = resize_max(load_sample("china"), 96)
    settings = dict(layers="blocks[1]", steps=3, step_size=0.01, octaves=2, octave_scale=1.4,
                    jitter=4, tile_size=512, seed=0, guide=None)
    snaps, record = P.start("deepdream", lm, img, settings)
    last = list(snaps)[-1]
    plain = list(dd.dream(img, lm, **settings, snapshot_every=1))[-1]
    assert np.array_equal(last.image, plain.image)
    assert len(record.rows) == last.total == 6 and record.frames[0] is img and record.done
    res = P.finish("deepdream", lm, img, settings, record)
    assert res["key"] == P.key("deepdream", lm, settings, img) and not res["stopped"]
    with pytest.raises(ValueError):
        P.start("deepdream", lm, img, {**settings, "octave_scale": 0.5})


def test_prepared_texture_is_the_core_call_of_the_page(lm):
    from core import style as S

    torch.set_num_threads(1)
    job = P.JOBS["texture"]
    pic = job.picture(lm)
    settings = {**job.defaults(lm, pic), "steps": 10, "size": 64}
    res = P.compute("texture", lm, pic, settings, threads=1)
    plain = S.run_to_end(S.synthesize_texture(pic, lm, 64, style_layers=settings["style_layers"], steps=10,
                                              tv_weight=settings["tv_weight"], snapshot_every=5, threads=1))
    assert np.array_equal(res["image"], plain.image) and res["rows"][-1]["J_style"] < res["rows"][0]["J_style"]


# --------------------------------------------------------------------------- what ships

def test_every_default_result_ships_compactly_with_its_card(store, lm):
    folder = P.shipped_dir()
    cases = P.cases(lm, shipped_only=True)
    assert {kind for kind, *_ in cases} == set(P.JOBS)
    for kind, label, pic, settings in cases:
        got = P.find(kind, lm, settings, pic)
        assert got is not None and got["prepared_in"] == "shipped", \
            f"{label}: not in assets/prepared — run `python scripts/make_prepared_assets.py`"
    total = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    assert total < 4 * 2 ** 20, f"assets/prepared is {total / 2 ** 20:.1f} MiB"
    card = (folder / "README.md").read_text()
    assert "make_prepared_assets.py" in card and "EfficientNet-Lite0" in card
    assert len(list(folder.glob("*.npz"))) == len(cases), "files no view asks for"


# --------------------------------------------------------------------------- the pages, fresh clone

def _texts(at) -> list[str]:
    """Every image caption and caption on the page."""
    out = [img.caption for el in at.get("image") for img in el.proto.imgs]
    return out + [c.value for c in at.caption]


def _prepared(at) -> list[str]:
    return [t for t in _texts(at) if "prepared ahead" in t.lower()]


def _open(package: str, tab: str, prefix: str):
    at = page_app(package, default_timeout=240)
    at.session_state[f"{prefix}tab"] = tab
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def test_dream_tab_opens_with_the_prepared_dream(store):
    at = _open("deepdream", "Dream", "dd-")
    assert any("blocks[4]" in t and "press Dream to compute it now" in t for t in _prepared(at)), _texts(at)
    at.slider(key="dd-steps").set_value(19).run()
    assert not _prepared(at) and not at.exception


def test_low_vs_high_tab_opens_with_both_prepared_dreams(store):
    at = _open("deepdream", "Low vs high layer", "dd-")
    shown = _prepared(at)
    assert any(t.startswith("low layer: blocks[1]") for t in shown), _texts(at)
    assert any(t.startswith("high layer: blocks[4]") for t in shown), _texts(at)
    at.selectbox(key="dd-low-efficientnet_lite0").set_value("blocks[2]").run()
    shown = _prepared(at)
    assert not any(t.startswith("low layer") for t in shown) and any(t.startswith("high layer") for t in shown)


def test_class_visualization_opens_with_the_prepared_picture(store):
    at = _open("inside", "Class visualization", "inside-")
    assert any(t.startswith("1 goldfish") and "press Run gradient ascent" in t for t in _prepared(at)), _texts(at)
    assert at.metric, "the objective of the prepared picture"
    at.slider(key="inside-cv-steps").set_value(90).run()
    assert not _prepared(at) and not at.metric


def test_feature_inversion_opens_with_the_prepared_reconstructions(store):
    at = _open("inside", "Feature inversion", "inside-")
    assert any("press **Invert** to compute it now" in t for t in _prepared(at)), _texts(at)
    captions = " ".join(_texts(at))
    assert all(f"{lay} · feature error" in captions for lay in ("stem", "blocks[1]", "blocks[3]", "blocks[5]"))
    at.slider(key="inside-inv-tv").set_value(1.0).run()
    assert not _prepared(at)


def test_saliency_opens_with_the_prepared_maps(store):
    at = _open("inside", "Saliency", "inside-")
    assert any("press **Explain** to compute it now" in t for t in _prepared(at)), _texts(at)
    captions = " ".join(_texts(at))
    assert "Occlusion ·" in captions and "SmoothGrad ·" in captions and "Grad-CAM ·" in captions
    at.slider(key="inside-sg-n").set_value(8).run()
    assert not _prepared(at) and "Press **Explain**" in " ".join(_texts(at))


def test_texture_synthesis_opens_with_the_prepared_texture(store):
    at = _open("style", "Texture synthesis", "st-")
    assert any(t.startswith("Synthesised from noise") and "press Synthesize" in t for t in _prepared(at)), \
        _texts(at)
    at.slider(key="st-tex-steps").set_value(140).run()
    assert not _prepared(at)


def test_style_transfer_and_the_beta_sweep_open_with_prepared_results(store):
    at = _open("style", "Style transfer", "st-")
    shown = _prepared(at)
    assert any(t.startswith("β = 1000") and "press Stylize" in t for t in shown), _texts(at)
    assert any("press **Run the sweep (128 px)** to compute it now" in t for t in shown), _texts(at)
    assert sum(t.startswith("β = ") for t in _texts(at)) == 1 + 4          # the result + the sweep grid
    at.slider(key="st-steps").set_value(90).run()                           # the transfer's own setting
    shown = _prepared(at)
    assert not any("Stylize" in t for t in shown) and any("Run the sweep" in t for t in shown)
    at.select_slider(key="st-tv").set_value(3.0).run()                      # shared by both
    assert not _prepared(at) and not at.exception
