"""Ray Serve against in-process (issue 17 §6): what the jobs endpoint and the batched classifier
cost and give on this machine.

    python bench/bench_serve.py                  # starts a local Ray (2 CPUs) and deploys
    python bench/bench_serve.py --endpoint URL   # against a running `cnnlab serve`

Prints: Ray start and deploy seconds; a DeepDream job (the classic preset, 224 px) in-process
vs through Serve (first snapshot and whole job); classification throughput of 32 pictures
one by one in-process, batched in-process, one request at a time through Serve, and 8
concurrent visitors through Serve (with the batch sizes Serve formed); resident memory of each
Ray process. Needs the ``serve`` extra.
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("CNNLAB_OFFLINE", "1")

import numpy as np  # noqa: E402


def _pictures(n: int, side: int = 224) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [(rng.random((side, side + 16 * (i % 3), 3)) * 255).astype(np.uint8) for i in range(n)]


def _job(name: str, kw: dict, endpoint: str) -> tuple[float, float]:
    from core.serve import client

    t0 = time.perf_counter()
    first = None
    for _ in client.stream(name, kw, endpoint, timeout=600):
        first = first if first is not None else time.perf_counter() - t0
    return first or 0.0, time.perf_counter() - t0


def _rss_mb() -> dict[str, float]:
    out: dict[str, float] = {}
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            cmd = (p / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            status = (p / "status").read_text()
        except OSError:
            continue
        if "ray" not in cmd:
            continue
        rss = next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmRSS")), 0.0)
        title = (p / "comm").read_text().strip() if "ray::" not in cmd else cmd.split()[0]
        key = title if "ray::" in title else Path(cmd.split()[0]).name + (" " + cmd.split()[1] if len(cmd.split()) > 1 and "ray" in cmd.split()[1] else "")
        out[key[:60]] = out.get(key[:60], 0.0) + rss
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", default=None)
    ap.add_argument("--num-cpus", type=int, default=2)
    args = ap.parse_args()
    try:
        import ray
    except ImportError:
        print("Ray Serve is not installed (pip install -e '.[serve]'): nothing to measure.")
        return 0
    from core.devices import torch_threads
    from core.serve import client, jobs

    endpoint = args.endpoint
    if endpoint is None:
        from core.serve import deployments

        t0 = time.perf_counter()
        ray.init(num_cpus=args.num_cpus, include_dashboard=False, log_to_driver=False)
        t_ray = time.perf_counter() - t0
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        t0 = time.perf_counter()
        endpoint = deployments.deploy(port=port)
        print(f"Ray start {t_ray:.1f} s; deploy Jobs + Classifier {time.perf_counter() - t0:.1f} s")
    lm = jobs.load_model("imagenet")
    print(f"model: {lm.provenance[:80]}")
    image = _pictures(1)[0]
    from core.dream import preset

    kw = dict(image=image, **preset(lm))
    _job("dream", dict(kw, steps=1, octaves=1), endpoint)          # the replica loads its model
    with torch_threads(1):
        local = [_job("dream", kw, "") for _ in range(2)]
    remote = [_job("dream", kw, endpoint) for _ in range(2)]
    f = lambda runs: f"first snapshot {min(r[0] for r in runs) * 1000:.0f} ms, whole job {min(r[1] for r in runs):.2f} s"
    print(f"DeepDream 224 px, {kw['octaves']}×{kw['steps']} steps — in-process (1 thread): {f(local)}")
    print(f"DeepDream 224 px, same — through Serve (replica, 1 CPU):  {f(remote)}")

    pics = _pictures(32)
    with torch_threads(1):
        lm.classify(pics[0])
        t0 = time.perf_counter()
        for p in pics:
            lm.classify(p)
        one = time.perf_counter() - t0
        t0 = time.perf_counter()
        jobs.probabilities(lm, pics)
        batched = time.perf_counter() - t0
    client.classify_remote(pics[:1], endpoint)
    t0 = time.perf_counter()
    for p in pics:
        client.classify_remote([p], endpoint)
    serial = time.perf_counter() - t0
    sizes: list[int] = []
    lock = threading.Lock()

    def visitor(chunk: list[np.ndarray]) -> None:
        for p in chunk:
            a = client.classify_remote([p], endpoint)
            with lock:
                sizes.extend(a["batch_sizes"])

    threads = [threading.Thread(target=visitor, args=(pics[i::8],)) for i in range(8)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    concurrent = time.perf_counter() - t0
    n = len(pics)
    print(f"classify {n} pictures (pictures/s): in-process one by one {n / one:.1f}, in-process one batch "
          f"{n / batched:.1f}, Serve one request at a time {n / serial:.1f}, Serve 8 visitors "
          f"{n / concurrent:.1f} (batch sizes median {statistics.median(sizes):.0f}, max {max(sizes)})")
    rss = _rss_mb()
    if rss:
        print("resident memory of the Ray processes (MB): " +
              ", ".join(f"{k} {v:.0f}" for k, v in sorted(rss.items(), key=lambda kv: -kv[1])) +
              f"; total {sum(rss.values()):.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
