"""DeepDream speed and memory (core.dream on core.vis.ascent), printed against references.

- One dream step ÷ one forward+backward of the same truncated net (stem + blocks[0..4] of
  EfficientNet-Lite0 as an ``nn.Sequential``, loss mean(F²), gradient to the input): the price of
  hooks, roll, tiling bookkeeping, gradient smoothing, the normalised step and the snapshot
  picture. Target ≤ 1.15.
- Wall time of a 512 px picture, 3 octaves × 10 steps on blocks[4].
- Peak RSS of a 1920×1080 picture dreamed with 512 px tiles (a fresh process, so the number is
  this job's alone), next to the RSS of the same process with the model loaded and idle.

Run: ``.venv/bin/python bench/bench_dream.py [--threads N] [--device cpu|cuda] [--untiled]``
(``--untiled`` also measures 1920×1080 without tiles, for contrast: several GB).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CNNLAB_OFFLINE", "1")


sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import sync as _sync  # noqa: E402


def step_ratio(lm, device: str, side: int = 384, repeat: int = 12) -> tuple[float, float, float]:
    import torch

    from core import images
    from core.dream import dream
    from core.vis import ascent as A

    img = images.load_sample("china", max_side=side)
    m = lm.model
    trunc = torch.nn.Sequential(m.conv_stem, m.bn1, *m.blocks[:5])
    net = A.as_net(lm)
    x0 = A.to_tensor(img, net.device)

    twin = A._folded(net)     # what the dream runs: batch norm folded, NHWC on the CPU
    tm = twin.module if twin else m
    trunc_f = torch.nn.Sequential(tm.conv_stem, tm.bn1, *tm.blocks[:5])
    fmt = torch.channels_last if twin is not None and twin.channels_last else torch.contiguous_format

    def reference(seq=trunc, memory=torch.contiguous_format) -> None:
        x = x0.clone().requires_grad_(True)
        loss = seq(((x - net.mean) / net.std).contiguous(memory_format=memory)).pow(2).mean()
        loss.backward()
        _sync(device)

    def reference_folded() -> None:
        reference(trunc_f, fmt)

    it = dream(img, lm, "blocks[4]", steps=10_000, octaves=1, jitter=16, tile_size=512)

    def one_step() -> None:
        snap = next(it)
        assert snap.image is not None
        _sync(device)

    for f in (reference, reference_folded, one_step):
        f()
    ref, reff, ours = [], [], []
    for _ in range(repeat):                       # interleaved, so load changes hit both
        for f, out in ((reference, ref), (reference_folded, reff), (one_step, ours)):
            t = time.perf_counter()
            f()
            out.append(time.perf_counter() - t)
    it.close()
    r, o, rf = statistics.median(ref), statistics.median(ours), statistics.median(reff)
    return o / r, o, r, rf


def time_512(lm, device: str) -> tuple[float, tuple[int, ...]]:
    from core import images
    from core.dream import dream_image

    img = images.load_sample("china", max_side=512)
    t = time.perf_counter()
    out = dream_image(img, lm, "blocks[4]", steps=10, octaves=3, octave_scale=1.4)
    _sync(device)
    return time.perf_counter() - t, out.shape


def rss_child(tile: int | None, threads: int, device: str, steps: int) -> dict:
    code = f"""
import json, resource, time, torch
torch.set_num_threads({threads})
import numpy as np
from core import images, zoo
from core.dream import dream_image
from PIL import Image
lm = zoo.load("imagenet", device={device!r})
img = np.asarray(Image.fromarray(images.load_sample("china", max_side=None)).resize((1920, 1080)))
idle = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t = time.perf_counter()
out = dream_image(img, lm, "blocks[4]", steps={steps}, octaves=1, tile_size={tile!r})
dt = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
gpu = torch.cuda.max_memory_allocated() / 2**20 if {device!r} == "cuda" else None
print(json.dumps(dict(idle_mb=idle, peak_mb=peak, seconds=dt, shape=list(out.shape), gpu_mb=gpu)))
"""
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if res.returncode != 0:
        raise RuntimeError(res.stderr[-2000:])
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--untiled", action="store_true")
    ap.add_argument("--rss-steps", type=int, default=2)
    args = ap.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()
    from core import zoo

    lm = zoo.load("imagenet", device=args.device)
    print(f"model: {lm.title} on {args.device}; torch threads {threads}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    for side in (256, 384, 512):
        ratio, ours, ref, ref_f = step_ratio(lm, args.device, side)
        print(f"dream step {side} px: {ours * 1e3:.1f} ms vs forward+backward of the truncated net "
              f"{ref * 1e3:.1f} ms -> ratio {ratio:.3f} (target <= 1.15); vs the same net with batch "
              f"norm folded, as the dream runs it, {ref_f * 1e3:.1f} ms -> {ours / ref_f:.3f}")

    seconds, shape = time_512(lm, args.device)
    print(f"512 px ({shape[1]}x{shape[0]}), 3 octaves x 10 steps on blocks[4]: {seconds:.1f} s")

    r = rss_child(512, threads, args.device, args.rss_steps)
    print(f"1920x1080, 512 px tiles, {args.rss_steps} steps: peak RSS {r['peak_mb']:.0f} MB "
          f"(model loaded, idle: {r['idle_mb']:.0f} MB; +{r['peak_mb'] - r['idle_mb']:.0f} MB for "
          f"dreaming), {r['seconds'] / args.rss_steps:.1f} s per step"
          + (f", GPU peak {r['gpu_mb']:.0f} MB" if r["gpu_mb"] else ""))
    if args.untiled:
        u = rss_child(None, threads, args.device, 1)
        print(f"1920x1080 untiled, 1 step: peak RSS {u['peak_mb']:.0f} MB "
              f"(+{u['peak_mb'] - u['idle_mb']:.0f} MB), {u['seconds']:.1f} s")


if __name__ == "__main__":
    main()
