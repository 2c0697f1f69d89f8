"""Test-wide settings: offline, caches in a temporary folder, the shared test data located."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the page packages (pages/) are not installed, only core/ and dashboard/
    sys.path.insert(0, str(ROOT))

# Tests never touch the network and never write into the user's caches.
os.environ.setdefault("CNNLAB_OFFLINE", "1")
os.environ.setdefault("CNNLAB_WARMUP", "0")  # no background warm-up thread in test processes
_HOME = Path(tempfile.mkdtemp(prefix="cnnlab-test-home-"))
os.environ.setdefault("CNNLAB_HOME", str(_HOME / "cnnlab"))
os.environ.setdefault("TORCH_HOME", str(_HOME / "torch"))
os.environ.setdefault("YOLO_CONFIG_DIR", str(_HOME / "cnnlab" / "ultralytics"))


def _find_shared_data() -> Path:
    env = os.environ.get("CNNLAB_SHARED_DATA")
    candidates = [Path(env)] if env else []
    candidates += [ROOT.parent / "shared" / "data", ROOT.parent.parent / "shared" / "data"]
    for c in candidates:
        if (c / "SOURCES.md").exists():
            return c
    raise FileNotFoundError("The shared test data (../shared/data) is missing; set CNNLAB_SHARED_DATA.")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return _find_shared_data()


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="module")
def one_torch_thread():
    """Small-input correctness tests run on one PyTorch thread: on a busy 2-core machine the
    thread hand-offs made them many times slower. Use with
    ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``."""
    import torch

    from core.devices import torch_threads

    before = torch.get_num_threads()
    with torch_threads(1):
        yield
    assert torch.get_num_threads() == before


@pytest.fixture(scope="session")
def lm():
    """The zoo's ImageNet classifier (offline: EfficientNet-Lite0), shared read-only."""
    from core import zoo

    return zoo.load("imagenet")


@pytest.fixture(scope="session")
def lenet_windows():
    """The zoo's LeNet-5 with a "no digit" class (``lenet5-digits-windows``), trained on first
    use (~10 s on one thread), shared read-only."""
    from core import zoo

    return zoo.load("lenet5-digits-windows")


@pytest.fixture
def file_server(tmp_path):
    """A local HTTP server for a folder (the real download path, no network): (folder, base URL)."""
    import http.server
    import threading

    root = tmp_path / "served"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(root), **kw)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


@pytest.fixture
def caches(tmp_path, monkeypatch):
    """Empty torch-hub and CNN Lab caches for one test."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("CNNLAB_HOME", str(tmp_path / "cnnlab"))
    monkeypatch.setenv("YOLO_CONFIG_DIR", str(tmp_path / "cnnlab" / "ultralytics"))
    return tmp_path
