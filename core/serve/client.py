"""The app's side: run a heavy job or classify pictures here, or on the Ray Serve deployments
when ``CNNLAB_JOBS`` names their endpoint (what ``cnnlab serve`` prints).

* :func:`stream` — the job's snapshots, one by one as they are made, wherever it runs.
* :func:`classify` — top-k classes of a list of pictures; on Serve they join the replica's
  batches with other visitors' pictures.

Remote failures are never silent. The job's own error arrives as :class:`RemoteJobError` with
the remote type and message (a remote ``ValueError`` is also a ``ValueError``, so pages show it
as they show a local one). A stream cut short (a replica that died mid-job, a proxy that
restarted) is retried once from the start — Serve has replaced the replica by then — and the
snapshots already delivered are not delivered again, so the caller sees one unbroken run; a
second loss raises :class:`JobLost`. No word from the other side for ``timeout`` seconds
(``CNNLAB_JOBS_TIMEOUT``, default 600) raises :class:`JobTimeout`.

No Ray is needed here: this speaks HTTP (``requests``) and :mod:`core.serve.wire`.
"""
from __future__ import annotations

import logging
import os
import time
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from ..snapshots import Snapshot
from . import jobs, wire

log = logging.getLogger("cnnlab.serve")

ENV = "CNNLAB_JOBS"
TIMEOUT_ENV = "CNNLAB_JOBS_TIMEOUT"
DEFAULT_TIMEOUT_S = 600.0
CONNECT_TIMEOUT_S = 5.0


class RemoteJobError(RuntimeError):
    """The Serve side reported an error; ``remote_type`` is the remote exception's class name."""

    def __init__(self, message: str, remote_type: str = "RuntimeError") -> None:
        super().__init__(message)
        self.remote_type = remote_type


class RemoteValueError(RemoteJobError, ValueError):
    """A ``ValueError`` raised on the Serve side (bad parameters, a bad picture)."""


class JobLost(RemoteJobError):
    """The job's stream was cut short more times than it may be retried."""


class JobTimeout(RemoteJobError, TimeoutError):
    """No word from the Serve side for longer than the timeout."""


class _Broken(Exception):
    """A stream or request cut short: worth one retry."""


def endpoint() -> str | None:
    """The Serve endpoint from ``CNNLAB_JOBS`` (``http://host:port``), or None: run in-process."""
    value = os.environ.get(ENV, "").strip().rstrip("/")
    return value or None


_endpoint_from_env = endpoint


def timeout_s() -> float:
    try:
        return float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT_S))
    except ValueError:
        return DEFAULT_TIMEOUT_S


def _url(endpoint: str | None) -> str | None:
    url = _endpoint_from_env() if endpoint is None else (endpoint.strip().rstrip("/") or None)
    if url is not None and "://" not in url:
        url = "http://" + url
    return url


def stream(name: str, kwargs: Mapping[str, Any] | None, endpoint: str | None = None, *,
           retries: int = 1, timeout: float | None = None, models: jobs.ModelSource | None = None
           ) -> Iterator[Snapshot]:
    """Job ``name`` with plain ``kwargs`` (see :mod:`core.serve.jobs` for each job's): an iterator
    of snapshots. ``endpoint``: the Serve endpoint (None: ``CNNLAB_JOBS``; ``""`` or no endpoint
    at all: in-process, :func:`core.serve.jobs.run` with ``models`` as its model source). Bad
    arguments raise ``ValueError`` at once, before anything is sent. Breaking out of the loop
    closes the connection, and Serve stops the job."""
    kw = jobs.check(name, kwargs)
    url = _url(endpoint)
    if url is None:
        return jobs.run(name, kw, models=models)
    return _remote(url, name, kw, max(0, int(retries)), timeout_s() if timeout is None else float(timeout))


def _remote(url: str, name: str, kw: dict, retries: int, timeout: float) -> Iterator[Snapshot]:
    body = wire.encode({"name": name, "kwargs": kw})
    delivered, attempt = 0, 0
    while True:
        try:
            for snap in _attempt(url + "/jobs", body, timeout, name, skip=delivered):
                delivered += 1
                yield snap
            return
        except _Broken as e:
            attempt += 1
            if attempt > retries:
                raise JobLost(f"The {name} job was lost on the Serve side at {url} "
                              f"{attempt} time(s) ({e}); it was not finished.", "JobLost") from None
            log.warning("%s job lost on %s after %d snapshot(s) (%s); retrying", name, url, delivered, e)
            time.sleep(0.5)


def _requests():
    import requests
    import urllib3

    return requests, urllib3


def _post(url: str, body: bytes, timeout: float, what: str):
    requests, _ = _requests()
    try:
        r = requests.post(url, data=body, stream=True, timeout=(CONNECT_TIMEOUT_S, timeout),
                          headers={"Content-Type": wire.MEDIA_TYPE})
    except requests.exceptions.ConnectTimeout as e:
        raise _Broken(f"no connection to {url} within {CONNECT_TIMEOUT_S:.0f} s") from e
    except requests.exceptions.ReadTimeout:
        raise JobTimeout(f"The Serve side at {url} did not answer the {what} within {timeout:.0f} s.",
                         "Timeout") from None
    except requests.exceptions.ConnectionError as e:
        raise _Broken(f"cannot reach {url}: {type(e).__name__}") from e
    if r.status_code != 200:
        _raise_for(r, url, what)
    return r


def _raise_for(r, url: str, what: str) -> None:
    """A non-200 answer: our own error frame → RemoteJobError; a 5xx from Serve (no replica,
    replica died) → _Broken; anything else → a message naming the endpoint."""
    data = r.content
    try:
        msg = next(iter(wire.read_frames(_Bytes(data))))
    except (ValueError, EOFError, StopIteration):
        msg = None
    if isinstance(msg, dict) and "__error__" in msg:
        _raise_remote(msg["__error__"])
    text = data[:300].decode("utf-8", "replace").strip()
    if r.status_code >= 500:
        raise _Broken(f"HTTP {r.status_code} from Serve: {text}")
    raise RemoteJobError(f"{url} answered the {what} with HTTP {r.status_code} ({text}); is {ENV} the "
                         "endpoint `cnnlab serve` printed?", "HTTPError")


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def read(self, n: int) -> bytes:
        out = self.data[self.pos:self.pos + n]
        self.pos += len(out)
        return out


def _raise_remote(err: dict) -> None:
    kind, message = str(err.get("type", "RuntimeError")), str(err.get("message", ""))
    cls = RemoteValueError if kind == "ValueError" else RemoteJobError
    raise cls(message if cls is RemoteValueError else f"{kind} on the Serve side: {message}", kind)


def _attempt(url: str, body: bytes, timeout: float, name: str, skip: int) -> Iterator[Snapshot]:
    requests, urllib3 = _requests()
    r = _post(url, body, timeout, f"{name} job")
    seen = 0
    with r:
        try:
            for msg in wire.read_frames(r.raw):
                if isinstance(msg, Snapshot):
                    seen += 1
                    if seen > skip:            # a retry replays what was delivered already
                        yield msg
                elif isinstance(msg, dict) and "__error__" in msg:
                    _raise_remote(msg["__error__"])
                elif isinstance(msg, dict) and "__end__" in msg:
                    if msg["__end__"] != seen:
                        raise _Broken(f"{seen} snapshots arrived, the replica sent {msg['__end__']}")
                    if seen < skip:
                        raise JobLost(f"The retried {name} job ended after {seen} snapshots, before the "
                                      f"{skip} the first run had sent: it is not deterministic.", "JobLost")
                    return
                else:
                    raise RemoteJobError(f"{url} sent something that is not a job frame.", "Protocol")
        except (urllib3.exceptions.ReadTimeoutError, requests.exceptions.ReadTimeout, TimeoutError):
            raise JobTimeout(f"No word from the {name} job on {url} for {timeout:.0f} s.", "Timeout") from None
        except (EOFError, urllib3.exceptions.ProtocolError, urllib3.exceptions.HTTPError,
                requests.exceptions.RequestException, ConnectionError) as e:
            raise _Broken(f"the stream broke after {seen} snapshot(s): {type(e).__name__}") from e
    raise _Broken(f"the stream stopped after {seen} snapshot(s) without its end")


# --------------------------------------------------------------------------- classification


def classify(images: Sequence[np.ndarray], endpoint: str | None = None, *, model: str = "imagenet",
             topk: int = 5, timeout: float | None = None) -> list[list[tuple[int, str, float]]]:
    """Top-``topk`` (class index, label, probability) for each RGB uint8 picture, as
    :meth:`core.zoo.LoadedModel.classify` gives them for one. In-process: one batched forward
    pass; on Serve: the pictures join the replica's batches (with other callers' pictures)."""
    url = _url(endpoint)
    if url is None:
        lm = jobs.load_model(model)
        return [jobs.top(p, lm.labels, topk) for p in jobs.probabilities(lm, list(images))]
    return classify_remote(list(images), url, model=model, topk=topk, timeout=timeout)["top"]


def classify_remote(images: list[np.ndarray], url: str, *, model: str = "imagenet", topk: int = 5,
                    timeout: float | None = None, retries: int = 1) -> dict[str, Any]:
    """The Serve classifier's whole answer: ``top``, ``probs`` (N × classes), ``batch_sizes``
    (how many pictures shared each picture's forward pass) and ``provenance``."""
    wire.plain(images, "images")
    body = wire.encode({"images": images, "model": model, "topk": int(topk)})
    t = timeout_s() if timeout is None else float(timeout)
    for attempt in range(max(0, retries) + 1):
        try:
            r = _post(url.rstrip("/") + "/classify", body, t, "classify request")
            with r:
                return wire.decode(r.content)
        except _Broken as e:
            if attempt >= retries:
                raise JobLost(f"Classification on {url} failed {attempt + 1} time(s) ({e}).", "JobLost") from None
            time.sleep(0.5)
    raise AssertionError("unreachable")
