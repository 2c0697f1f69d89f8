"""Feature inversion cost: the page's default run (the default layers — stem to blocks[5] on
EfficientNet-Lite0 — 40 steps each, the sample `chelsea` at 128 px) in seconds and ÷ one
forward+backward of the whole network at 128 px, measured in the same run. A shallow layer
costs a fraction of that: the forward pass stops at the layer.

    python bench/bench_inversion.py [--threads 1] [--steps 40]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import os  # noqa: E402

os.environ.setdefault("CNNLAB_OFFLINE", "1")
import torch  # noqa: E402

from core import images, precompute, zoo  # noqa: E402
from core.vis import ascent as A  # noqa: E402
from core.vis import features as Fe  # noqa: E402
from core.vis import optimise as O  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import best  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=O.INVERSION_DEFAULTS["steps"])
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    lm = zoo.load("imagenet")
    net = A.as_net(lm)
    side = precompute.INVERSION_SIDE
    pic = Fe.prepare(images.load_sample("chelsea", max_side=1024), side)

    def forward_backward():
        x = torch.rand(1, 3, side, side, requires_grad=True)
        A.activations(net, x, [A.OUTPUT])[A.OUTPUT].max().backward()

    ref = best(forward_backward, repeat=5)
    print(f"{args.steps} steps per layer at {side} px, {args.threads} thread(s); "
          f"one forward+backward {ref * 1000:.1f} ms")
    total = 0.0
    for layer in O.inversion_layers(lm):
        t = time.perf_counter()
        last = list(O.feature_inversion(lm, pic, layer, steps=args.steps, tv=O.INVERSION_DEFAULTS["tv"]))[-1]
        dt = time.perf_counter() - t
        total += dt
        print(f"  {layer:10s} {dt:6.1f} s = {dt / ref:5.0f} × fwd+bwd   feature error {last.loss:.3f}")
    steps = args.steps * len(O.inversion_layers(lm))
    print(f"  default run {total:6.1f} s = {total / ref:5.0f} × forward+backward "
          f"(target ≤ 15 s: {'OK' if total <= 15 else 'above target'}; {steps} steps, "
          f"{total / steps / ref:.2f} of a whole-network forward+backward per step, "
          "each stopping at its layer)")


if __name__ == "__main__":
    main()
