"""Where weights live and how they get there: the caches, offline mode, and one download that
never hangs (atomic, checked against the sha256 prefix in the file name)."""
from __future__ import annotations

import errno
import hashlib
import os
import re
import threading
import urllib.request
from pathlib import Path
from typing import Any, Callable

from core.i18n import _

DOWNLOAD_TIMEOUT_S = float(os.environ.get("CNNLAB_DOWNLOAD_TIMEOUT", "3"))
_HASH_RE = re.compile(r"-([a-f0-9]{8,64})\.")

Progress = Callable[[int, "int | None"], None]


class WeightsUnavailable(RuntimeError):
    """Pretrained weights are not in the cache and cannot be downloaded now."""


def offline() -> bool:
    return os.environ.get("CNNLAB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def cnnlab_home() -> Path:
    return Path(os.environ.get("CNNLAB_HOME", Path.home() / ".cache" / "cnnlab")).expanduser()


def weights_dir() -> Path:
    return cnnlab_home() / "weights"


def torch_hub_checkpoints() -> Path:
    import torch

    return Path(torch.hub.get_dir()) / "checkpoints"


def download(url: str, dest: Path, *, timeout: float | None = None,
             progress: Progress | None = None) -> Path:
    """Download ``url`` to ``dest`` atomically; verify the sha256 prefix in the file name.

    Connecting and receiving the response headers must finish within ``timeout`` seconds
    (DNS included: it runs in a worker thread with a deadline); after that every read may stall
    at most ``timeout`` seconds. Raises :class:`WeightsUnavailable` on any failure.
    """
    if offline():
        raise WeightsUnavailable(_("offline mode (CNNLAB_OFFLINE=1): no download attempted"))
    timeout = DOWNLOAD_TIMEOUT_S if timeout is None else timeout
    box: dict[str, Any] = {}

    def _open() -> None:
        try:
            req = urllib.request.Request(url, headers={"User-Agent": "cnn-lab"})
            box["resp"] = urllib.request.urlopen(req, timeout=timeout)
        except BaseException as e:  # noqa: BLE001 - reported to the caller below
            box["err"] = e

    t = threading.Thread(target=_open, daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        raise WeightsUnavailable(f"no answer from {_host(url)} within {timeout:.0f} s")
    if "err" in box:
        raise WeightsUnavailable(f"download from {_host(url)} failed: {_short(box['err'])}")
    resp = box["resp"]
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + f".{os.getpid()}.part")
    sha = hashlib.sha256()
    try:
        total = resp.headers.get("Content-Length")
        total = int(total) if total and total.isdigit() else None
        done = 0
        with resp, open(part, "wb") as f:
            while True:
                chunk = resp.read(1 << 20)
                if not chunk:
                    break
                f.write(chunk)
                sha.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
        if total is not None and done != total:
            raise WeightsUnavailable(f"download ended after {done} of {total} bytes")
        m = _HASH_RE.search(dest.name)
        if m and not sha.hexdigest().startswith(m.group(1)):
            raise WeightsUnavailable(
                f"checksum mismatch for {dest.name}: got {sha.hexdigest()[:len(m.group(1))]}, "
                f"expected {m.group(1)}")
        os.replace(part, dest)
    except WeightsUnavailable:
        raise
    except OSError as e:
        if e.errno == errno.ENOSPC:
            raise WeightsUnavailable(f"no space left on the disk of {dest.parent} for {dest.name}; "
                                     "free some space there or set CNNLAB_HOME / TORCH_HOME to another "
                                     "folder") from e
        raise WeightsUnavailable(f"download from {_host(url)} failed: {_short(e)}") from e
    except Exception as e:  # noqa: BLE001
        raise WeightsUnavailable(f"download from {_host(url)} failed: {_short(e)}") from e
    finally:
        part.unlink(missing_ok=True)
    return dest


class WeightsDamaged(WeightsUnavailable):
    """A weights file is there but cannot be used (truncated, zero bytes, wrong hash, unreadable):
    the zoo falls back exactly as for a missing file and leaves the file in place, reported."""


def check_file(path: Path, *, deep: bool = True) -> str | None:
    """Why the weights file at ``path`` is damaged, or None when it looks sound.

    Checks: empty file; the sha256 prefix in the name (torchvision's ``-397923af.`` convention);
    PyTorch checkpoints (``.pt``/``.pth``, a zip archive since PyTorch 1.6) that are not a readable
    archive. ``deep=False`` skips the hash (which reads the whole file).
    """
    import zipfile

    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as e:
        return f"cannot be read ({_short(e)})"
    if size == 0:
        return "the file is empty (0 bytes)"
    m = _HASH_RE.search(path.name)
    if deep and m:
        sha = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 22), b""):
                sha.update(chunk)
        if not sha.hexdigest().startswith(m.group(1)):
            return f"its sha256 {sha.hexdigest()[:len(m.group(1))]} does not match the {m.group(1)} in its name"
    if path.suffix in (".pt", ".pth"):
        if not zipfile.is_zipfile(path):
            return "not a PyTorch checkpoint (truncated or overwritten?)"
        if deep:
            try:
                with zipfile.ZipFile(path) as z:
                    bad = z.testzip()
            except (zipfile.BadZipFile, OSError, EOFError) as e:
                return f"a damaged PyTorch checkpoint ({_short(e)})"
            if bad is not None:
                return f"a damaged PyTorch checkpoint (bad entry {bad})"
    return None


def _host(url: str) -> str:
    return urllib.request.urlparse(url).netloc or url


def _short(e: BaseException) -> str:
    text = str(getattr(e, "reason", "") or e) or type(e).__name__
    return text if len(text) < 160 else text[:157] + "..."


def fetch_weights(entry: Any, *, progress: Progress | None = None,
                  timeout: float | None = None) -> tuple[Path, str]:
    """Path of the entry's pretrained file and how it was had ("from cache" / "downloaded")."""
    path = entry.weights_path()
    if path is None:
        raise WeightsUnavailable(f"{entry.title} has no pretrained weights file")
    if path.exists():
        return path, "from cache"
    url = entry.weights_url()
    if url is None:
        raise WeightsUnavailable(f"{path} is missing")
    download(url, path, timeout=timeout, progress=progress)
    return path, "downloaded"
