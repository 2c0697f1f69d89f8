"""Faults survived (issue 23): a damaged weights file in a cache makes the zoo use the entry's
stand-in exactly as a missing file does, says why, and leaves the file in place, reported."""
from __future__ import annotations

import hashlib
import logging
import os

import numpy as np
import pytest
import torch

from core import zoo


def _place(entry_name: str, data: bytes):
    path = zoo.ENTRIES[entry_name].weights_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


DAMAGE = {
    "random bytes": lambda: os.urandom(100_000),          # a copy interrupted by hand, a bad disk
    "zero bytes": lambda: b"",
    "a truncated checkpoint": None,                        # made below from a real state dict
}


@pytest.mark.parametrize("how", list(DAMAGE))
def test_a_damaged_vgg16_file_falls_back_to_lite0_and_says_why(caches, caplog, how):
    if DAMAGE[how] is None:
        import io

        buf = io.BytesIO()
        torch.save({"features.0.weight": torch.zeros(64, 3, 3, 3)}, buf)
        data = buf.getvalue()[: len(buf.getvalue()) // 2]
    else:
        data = DAMAGE[how]()
    path = _place("vgg16", data)
    with caplog.at_level(logging.WARNING, logger="cnnlab"):
        lm = zoo.load("imagenet")
    assert lm.fallback and lm.name == "efficientnet_lite0"
    assert "VGG-16 weights in the cache are damaged" in lm.provenance, lm.provenance
    assert str(path) in lm.provenance
    assert path.exists() and path.stat().st_size == len(data), "the file is left in place"
    assert any("damaged" in r.getMessage() for r in caplog.records)
    assert zoo.ENTRIES["vgg16"].cache_state().startswith("damaged")
    # the next call works the same way, and the stand-in classifies
    again = zoo.load("vgg16")
    assert again.fallback and again.classify(np.full((64, 64, 3), 128, np.uint8))


def test_a_file_whose_hash_does_not_match_its_name_is_reported(caches):
    path = _place("mobilenet_v2", b"PK\x03\x04 not the real file")
    reason = zoo.check_file(path)
    assert reason and ("does not match" in reason or "checkpoint" in reason)
    assert zoo.ENTRIES["mobilenet_v2"].loader.cache_state(zoo.ENTRIES["mobilenet_v2"], deep=True).startswith("damaged")
    state = zoo.prefetch(["mobilenet_v2"], verify=True)["mobilenet_v2"]
    assert state.startswith("damaged") and "offline" in state


def test_a_sound_file_passes_the_check(caches):
    import io

    buf = io.BytesIO()
    torch.save({"w": torch.ones(3)}, buf)
    digest = hashlib.sha256(buf.getvalue()).hexdigest()[:8]
    path = caches / f"thing-{digest}.pth"
    path.write_bytes(buf.getvalue())
    assert zoo.check_file(path) is None


def test_a_damaged_yolo_file_falls_back_to_the_bundled_shapes_detector(caches):
    path = _place("yolo11n", os.urandom(50_000))
    lm = zoo.load("yolo11n")
    assert lm.fallback and lm.name == "detector-shapes", lm.provenance
    assert "damaged" in lm.provenance and path.exists()


def test_cnnlab_info_marks_damaged_files(caches, capsys):
    from core.cli import main

    _place("vgg16", b"")
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    line = next(l for l in out.splitlines() if l.strip().startswith("vgg16"))
    assert "damaged" in line, line


def test_a_full_disk_during_a_download_leaves_no_partial_file_and_names_the_folder(caches, file_server,
                                                                                  monkeypatch):
    import builtins
    import errno

    root, base = file_server
    (root / "big.pth").write_bytes(os.urandom(3 << 20))
    monkeypatch.delenv("CNNLAB_OFFLINE", raising=False)
    dest = caches / "cache" / "big.pth"
    real_open = builtins.open

    class Full:
        """A file that takes one megabyte, then the disk is full."""

        def __init__(self, f):
            self.f, self.n = f, 0

        def write(self, b):
            self.n += len(b)
            if self.n > 1 << 20:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.f.write(b)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    def fake_open(path, mode="r", *a, **kw):
        f = real_open(path, mode, *a, **kw)
        return Full(f) if str(path).endswith(".part") and "w" in mode else f

    monkeypatch.setattr(builtins, "open", fake_open)
    try:
        with pytest.raises(zoo.WeightsUnavailable, match="no space left") as info:
            zoo.download(f"{base}/big.pth", dest)
    finally:
        monkeypatch.setattr(builtins, "open", real_open)
    assert str(dest.parent) in str(info.value)
    assert not dest.exists() and not list(dest.parent.glob("*.part")), "nothing half-written"


def test_a_loader_that_raises_anything_uses_the_stand_in_and_says_so(caches, monkeypatch):
    from core.zoo.loaders.package import PackageLoader

    def broken(self, entry, device):
        raise KeyError("state_dict")

    monkeypatch.setattr(PackageLoader, "load", broken)     # EfficientNet-Lite0's loader breaks
    with pytest.raises(zoo.ModelUnavailable, match="could not be loaded"):
        zoo.load("efficientnet_lite0")                      # it has no stand-in: a clear error
    monkeypatch.undo()
    assert not zoo.load("efficientnet_lite0").fallback      # and the next call works again


def test_a_loader_with_a_stand_in_that_raises_falls_back(caches, monkeypatch):
    from core.zoo.loaders.torchvision import TorchvisionLoader

    def broken(self, entry, device):
        raise RuntimeError("CUDA driver initialization failed")

    monkeypatch.setattr(TorchvisionLoader, "load", broken)
    lm = zoo.load("vgg16")
    assert lm.fallback and lm.name == "efficientnet_lite0"
    assert "VGG-16 could not be loaded (RuntimeError: CUDA driver initialization failed)" in lm.provenance


def test_cnnlab_prefetch_verify_reports_a_damaged_file_offline(caches, capsys):
    from core.cli import main

    _place("mobilenet_v2", os.urandom(1000))
    assert main(["prefetch", "--verify", "mobilenet_v2"]) == 1
    out = capsys.readouterr().out
    assert "mobilenet_v2" in out and "damaged" in out and "offline" in out


# --------------------------------------------------------------------------- a full disk, prepared results

def _fill_disk_after_part(monkeypatch, P):
    """np.savez_compressed writes part of its file, then the disk is full."""
    import errno

    def full(path, **arrays):
        with open(path, "wb") as f:
            f.write(b"PK\x03\x04" + b"\0" * 4096)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(P.np, "savez_compressed", full)


def test_a_full_disk_while_writing_a_prepared_result_leaves_no_file_and_names_the_folder(tmp_path,
                                                                                        monkeypatch):
    from core import precompute as P

    img = np.zeros((8, 8, 3), np.uint8)
    real = P.np.savez_compressed
    _fill_disk_after_part(monkeypatch, P)
    with pytest.raises(P.StoreFull, match="no space left") as info:
        P.save("demo", {"a": 1}, img, {"image": img, "seconds": 1.0}, folder=tmp_path)
    assert str(tmp_path) in str(info.value) and "half-written" in str(info.value)
    assert list(tmp_path.iterdir()) == [], "nothing half-written, no .part file"
    monkeypatch.setattr(P.np, "savez_compressed", real)     # space freed: the next save works
    path = P.save("demo", {"a": 1}, img, {"image": img + 3, "seconds": 1.0}, folder=tmp_path)
    assert path.exists() and list(tmp_path.iterdir()) == [path]


def test_precompute_run_reports_a_full_disk_and_stops_computing(tmp_path, monkeypatch, capsys):
    from core import cli
    from core import precompute as P

    img = np.zeros((8, 8, 3), np.uint8)
    computed = []
    monkeypatch.setattr(zoo, "load", lambda *a, **k: object())
    monkeypatch.setattr(P, "cases", lambda lm, names, shipped_only: [
        ("demo", f"demo {i}", img, {"i": i}) for i in range(3)])
    monkeypatch.setattr(P, "key_params", lambda kind, lm, settings: settings)

    def compute(kind, lm, pic, settings, **opts):
        computed.append(settings["i"])
        return {"image": pic, "seconds": 0.5}

    monkeypatch.setattr(P, "compute", compute)
    _fill_disk_after_part(monkeypatch, P)
    report = P.run(folder=tmp_path)
    assert computed == [0], "after the disk is full nothing more is computed"
    assert report["demo 0"].startswith("not saved: no space left") and str(tmp_path) in report["demo 0"]
    assert report["demo 1"].startswith("skipped: no space left")
    assert list(tmp_path.iterdir()) == []
    # and the command says so with a failing exit status
    monkeypatch.setattr(P, "run", lambda *a, **k: report)
    assert cli.main(["precompute"]) == 1
    assert "not saved" in capsys.readouterr().out


# --------------------------------------------------------------------------- a load that takes too long

def test_a_load_past_the_time_limit_uses_the_stand_in_then_the_real_model_once_ready(caches,
                                                                                    monkeypatch):
    import dataclasses
    import time

    from core.zoo.loaders.torchvision import TorchvisionLoader

    real = dataclasses.replace(zoo.load("efficientnet_lite0"), name="vgg16", title="VGG-16")
    calls = []

    def slow(self, entry, device):
        calls.append(entry.name)
        time.sleep(1.5)
        return real

    monkeypatch.setattr(TorchvisionLoader, "load", slow)
    monkeypatch.setenv("CNNLAB_LOAD_LIMIT_S", "0.3")
    t0 = time.perf_counter()
    lm = zoo.load("vgg16")
    assert time.perf_counter() - t0 < 1.4, "the caller did not wait for the slow load"
    assert lm.fallback and lm.name == "efficientnet_lite0"
    assert "VGG-16 took longer than 0.3 s to load" in lm.reason and "used once ready" in lm.reason
    assert zoo.still_loading("vgg16") and not zoo.late_ready("vgg16")
    again = zoo.load("vgg16")                      # a second caller does not start a second load
    assert again.fallback and calls == ["vgg16"]
    deadline = time.time() + 10
    while not zoo.late_ready("vgg16") and time.time() < deadline:
        time.sleep(0.1)
    assert zoo.late_ready("vgg16")
    ready = zoo.load("vgg16")                      # finished in the background: used at once
    assert ready is real and not ready.fallback and calls == ["vgg16"]
    assert not zoo.late_ready("vgg16")


def test_the_sidebar_model_list_says_what_stands_in_and_why(caches, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from core.zoo.loaders.torchvision import TorchvisionLoader

    def broken(self, entry, device):
        raise RuntimeError("CUDA driver initialization failed")

    monkeypatch.setattr(TorchvisionLoader, "load", broken)

    def script():
        from dashboard import cache, sidebar

        cache.free_models()
        cache.get_model("vgg16", "cpu")
        sidebar.status_panel()

    at = AppTest.from_function(script, default_timeout=120).run()
    assert not at.exception
    said = " ".join(c.value for c in at.sidebar.caption)
    assert "Standing in for `vgg16`" in said
    assert "VGG-16 could not be loaded (RuntimeError: CUDA driver initialization failed)" in said


# --------------------------------------------------------------------------- out of memory in a job

def test_cuda_out_of_memory_in_a_dream_step_is_a_message_and_the_next_dream_runs(caches, monkeypatch):
    from core.vis import ascent
    from tests.pageapp import page_app

    real = ascent.ascend
    steps = []

    def oom(*a, **k):
        steps.append(1)
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 12.00 GiB")
        yield  # a generator, as the real one

    monkeypatch.setattr(ascent, "ascend", oom)
    at = page_app("deepdream", default_timeout=300).run()
    at.button(key="dd-go").click().run()
    assert not at.exception and steps == [1]
    said = [e.value for e in at.error]
    assert len(said) == 1 and said[0].startswith("This ran out of memory") and "smaller" in said[0]
    assert not any(b.label == "Stop" for b in at.button), "no dead Stop button after the failure"
    monkeypatch.setattr(ascent, "ascend", real)         # memory back: the next dream goes ahead
    at.slider(key="dd-octaves").set_value(2)
    at.slider(key="dd-steps").set_value(3)             # (a short one)
    at.button(key="dd-go").click().run()
    assert not at.exception and not at.error
    captions = [c for i in at.get("image") for c in i.captions]
    assert any(c.startswith("blocks[4] · 6 steps in ") and c.endswith(" s here") for c in captions), captions
