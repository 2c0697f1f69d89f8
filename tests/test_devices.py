import pytest
import torch

from core.devices import device_info, pick_device
from core.snapshots import Snapshot


def test_auto_picks_an_available_device(monkeypatch):
    monkeypatch.delenv("CNNLAB_DEVICE", raising=False)
    d = pick_device()
    assert d == ("cuda" if torch.cuda.is_available() else
                 "mps" if torch.backends.mps.is_available() else "cpu")
    info = device_info(d)
    assert info.device == d and str(info)


def test_override_and_bad_values(monkeypatch):
    monkeypatch.setenv("CNNLAB_DEVICE", "cpu")
    assert pick_device() == "cpu"
    assert "threads" in device_info().detail
    monkeypatch.setenv("CNNLAB_DEVICE", "tpu")
    with pytest.raises(ValueError, match="Unknown device"):
        pick_device()
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            pick_device("cuda")


def test_snapshot_fraction_and_text():
    s = Snapshot(step=5, total=20, loss=0.25, info={"acc": 0.5, "note": "x"})
    assert s.fraction == 0.25
    assert s.describe() == "step 5/20 · loss 0.25 · acc 0.5"
    assert Snapshot(3, 0).fraction == 0.0
