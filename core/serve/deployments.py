"""The Ray Serve deployments: ``Jobs`` streams a heavy job's snapshots, ``Classifier`` batches
classifier inference with ``@serve.batch``. :func:`deploy` starts both behind Serve's HTTP proxy
(``cnnlab serve`` calls it) and returns the endpoint the app reads from ``CNNLAB_JOBS``.

HTTP, not Ray handles, so the Streamlit replicas need neither Ray nor a place in the cluster:

* ``POST {endpoint}/jobs`` — body: one :mod:`~core.serve.wire` message ``{"name", "kwargs"}``;
  answer: a stream of frames, one per snapshot as the core iterator yields it, then ``end``
  (or an ``error`` frame with the job's own message, then ``end``). Each job's iterator runs in
  a worker thread of the replica, so the replica keeps answering health checks.
* ``POST {endpoint}/classify`` — body ``{"images": [RGB uint8, ...], "model", "topk"}``; every
  picture joins the replica's batch queue on its own, so pictures from different visitors that
  arrive within ``batch_wait_timeout_s`` share one forward pass. Answer: ``{"top", "probs",
  "batch_sizes", "provenance"}``.

Requires ``pip install -e '.[serve]'``; importing this module imports Ray.
"""
from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator

import numpy as np
from ray import serve
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from . import jobs, wire

log = logging.getLogger("cnnlab.serve")

JOBS_ROUTE = "/jobs"
CLASSIFY_ROUTE = "/classify"
MAX_IMAGES = 64                 # pictures in one classify request
MAX_PIXELS = 4096 * 4096        # per picture

# Replicas are replaced within seconds of dying: health checks every 2 s.
_COMMON = dict(health_check_period_s=2.0, health_check_timeout_s=30.0, graceful_shutdown_timeout_s=5.0)


def _error(exc: BaseException, status: int = 400) -> Response:
    body = wire.frame(wire.error_frame(exc)) + wire.frame(wire.end_frame(0))
    return Response(body, status_code=status, media_type=wire.MEDIA_TYPE)


def _frames(name: str, it: Iterator[Any]) -> Iterator[bytes]:
    """The job's snapshots as frames, then its end (or its error, then its end). Starlette runs
    this in a worker thread, one ``next`` at a time, and stops asking when the client leaves."""
    n, failure = 0, None
    try:
        for snap in it:
            n += 1
            yield wire.frame(snap)
    except Exception as e:  # noqa: BLE001 - the job's own error goes to its caller
        log.warning("job %s failed at snapshot %d", name, n + 1, exc_info=True)
        failure = e
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            close()
    if failure is not None:
        yield wire.frame(wire.error_frame(failure))
    yield wire.frame(wire.end_frame(n))


@serve.deployment(max_ongoing_requests=1, ray_actor_options={"num_cpus": 1}, **_COMMON)
class Jobs:
    """Runs any job of :data:`core.serve.jobs.JOBS` by name and streams its snapshots. Models
    are loaded on first use and kept by the replica (:func:`core.serve.jobs.load_model`)."""

    def __init__(self) -> None:
        os.environ[jobs.REPLICA_ENV] = "1"

    async def __call__(self, request: Request) -> Response:
        try:
            msg = wire.decode(await request.body())
            if not isinstance(msg, dict) or not isinstance(msg.get("name"), str):
                raise ValueError("A job request is {'name': ..., 'kwargs': {...}}.")
            name, kwargs = msg["name"], msg.get("kwargs") or {}
            # Loading the model and checking the arguments happen here, off the event loop.
            it = await asyncio.to_thread(jobs.run, name, kwargs)
        except Exception as e:  # noqa: BLE001 - reported to the caller as its error
            return _error(e)
        return StreamingResponse(_frames(name, it), media_type=wire.MEDIA_TYPE)


@serve.deployment(max_ongoing_requests=64, ray_actor_options={"num_cpus": 1}, **_COMMON)
class Classifier:
    """One zoo classifier; pictures from concurrent requests are classified in batches."""

    def __init__(self, model: str = "imagenet", device: str | None = None) -> None:
        os.environ[jobs.REPLICA_ENV] = "1"
        self.name = model
        self.lm = jobs.load_model(model, device)
        # One thread runs every batch: batches never overlap, and memory stays that of one.
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="cnnlab-classify")

    @serve.batch(max_batch_size=16, batch_wait_timeout_s=0.02)
    async def _batch(self, images: list[np.ndarray]) -> list[tuple[np.ndarray, int]]:
        loop = asyncio.get_running_loop()
        probs = await loop.run_in_executor(self._pool, jobs.probabilities, self.lm, images)
        return [(p, len(images)) for p in probs]

    async def __call__(self, request: Request) -> Response:
        try:
            msg = wire.decode(await request.body())
            images = list(msg.get("images") or [])
            topk = int(msg.get("topk", 5))
            if msg.get("model", self.name) not in (self.name, self.lm.name):
                raise ValueError(f"This Serve classifier runs {self.name!r}, not {msg.get('model')!r}; "
                                 f"start `cnnlab serve --model {msg.get('model')}` for it.")
            if len(images) > MAX_IMAGES:
                raise ValueError(f"At most {MAX_IMAGES} pictures per request (got {len(images)}).")
            for i, a in enumerate(images):     # checked before joining a batch shared with others
                if not isinstance(a, np.ndarray) or a.ndim != 3 or a.shape[2] != 3 or a.dtype != np.uint8 \
                        or min(a.shape[:2]) < 1 or a.shape[0] * a.shape[1] > MAX_PIXELS:
                    raise ValueError(f"Picture {i + 1} is not an RGB uint8 picture of at most "
                                     f"{MAX_PIXELS} pixels.")
        except Exception as e:  # noqa: BLE001
            return _error(e)
        try:
            out = await asyncio.gather(*(self._batch(a) for a in images))
        except Exception as e:  # noqa: BLE001 - the batch failed: everyone in it hears why
            log.warning("classify batch failed", exc_info=True)
            return _error(e, status=500)
        probs = np.stack([p for p, _ in out]) if out else np.zeros((0, len(self.lm.labels)), np.float32)
        body = wire.encode({"top": [jobs.top(p, self.lm.labels, topk) for p in probs], "probs": probs,
                            "batch_sizes": [b for _, b in out], "provenance": self.lm.provenance})
        return Response(body, media_type=wire.MEDIA_TYPE)


def _env_vars() -> dict[str, str]:
    """The lab's settings (``CNNLAB_*``, torch / ultralytics caches) for replicas on other nodes."""
    keep = ("CNNLAB_", "TORCH_HOME", "YOLO_CONFIG_DIR")
    return {k: v for k, v in os.environ.items() if k.startswith(keep)}


def deploy(*, host: str = "127.0.0.1", port: int = 8000, job_replicas: int = 1, jobs_per_replica: int = 1,
           classifier_replicas: int = 1, model: str = "imagenet", cpus_per_replica: float = 1.0,
           gpus_per_replica: float = 0.0, env: bool = False) -> str:
    """Start Serve's HTTP proxy on ``host:port`` in the connected Ray cluster and deploy ``Jobs``
    (``job_replicas`` replicas, each running ``jobs_per_replica`` jobs at once) and ``Classifier``
    (for zoo ``model``). ``env``: give the replicas this process's ``CNNLAB_*`` settings (for a
    cluster whose nodes do not share this environment). Returns the endpoint for ``CNNLAB_JOBS``."""
    options: dict[str, Any] = {"num_cpus": cpus_per_replica}
    if gpus_per_replica:
        options["num_gpus"] = gpus_per_replica
    if env:
        options["runtime_env"] = {"env_vars": _env_vars()}
    serve.start(http_options={"host": host, "port": int(port)})
    apps = [serve.RunTarget(Jobs.options(num_replicas=job_replicas, max_ongoing_requests=jobs_per_replica,
                                         ray_actor_options=options).bind(),
                            name="cnnlab-jobs", route_prefix=JOBS_ROUTE),
            serve.RunTarget(Classifier.options(num_replicas=classifier_replicas,
                                               ray_actor_options=options).bind(model),
                            name="cnnlab-classify", route_prefix=CLASSIFY_ROUTE)]
    serve.run_many(apps)               # both at once: their replicas start side by side
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    return f"http://{shown}:{int(port)}"
