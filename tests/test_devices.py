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


def test_thread_policy_from_the_deployment_and_the_machine(monkeypatch):
    """CNNLAB_TORCH_THREADS sets a heavy job's threads and, applied at start, the process's (so
    the queue runs cores ÷ threads jobs at once); unset, one thread on a small machine."""
    import core.devices as D
    from core import jobs

    saved = torch.get_num_threads()
    monkeypatch.delenv("CNNLAB_TORCH_THREADS", raising=False)
    monkeypatch.delenv("CNNLAB_HOSTED", raising=False)
    monkeypatch.delenv("CNNLAB_JOB_SLOTS", raising=False)
    monkeypatch.delenv("CNNLAB_JOBS", raising=False)
    monkeypatch.setattr(D.os, "cpu_count", lambda: 2)
    assert D.job_threads() == 1
    monkeypatch.setattr(D.os, "cpu_count", lambda: 32)
    assert D.job_threads() == 8
    assert D.apply_thread_policy() is None and torch.get_num_threads() == saved
    monkeypatch.setenv("CNNLAB_TORCH_THREADS", "nonsense")
    assert D.job_threads() == 8
    monkeypatch.delenv("CNNLAB_TORCH_THREADS")
    monkeypatch.setenv("CNNLAB_HOSTED", "1")        # a hosted demo applies the policy unasked
    monkeypatch.setattr(D, "_APPLIED", None)
    try:
        assert D.apply_thread_policy() == 8 and torch.get_num_threads() == 8
    finally:
        torch.set_num_threads(saved)
        D._APPLIED = None
    monkeypatch.delenv("CNNLAB_HOSTED")
    monkeypatch.setenv("CNNLAB_TORCH_THREADS", "1")
    monkeypatch.setattr(D, "_APPLIED", None)
    try:
        assert D.apply_thread_policy() == 1 and torch.get_num_threads() == 1
        monkeypatch.setattr(jobs.os, "cpu_count", lambda: 4)
        if not torch.cuda.is_available():
            assert jobs.default_slots() == 4
        with D.torch_threads("job"):
            assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(saved)
        D._APPLIED = None
