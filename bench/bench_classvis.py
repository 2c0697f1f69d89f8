"""Class visualization cost: the default run (Lucid's recipe, the page's defaults: the first
preset, 128 steps at 128 px) in seconds and ÷ one forward+backward of the network at that size,
measured in the same run (each step is one forward+backward of a ~140 px transformed copy, plus
the FFT picture; a picture and its score ~30 times per run).

    python bench/bench_classvis.py [--threads 1] [--steps 128] [--size 128]
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

from core import zoo  # noqa: E402
from core.vis import ascent as A  # noqa: E402
from core.vis import optimise as O  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import best  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=O.CLASSVIS_DEFAULTS["steps"])
    ap.add_argument("--size", type=int, default=O.CLASSVIS_DEFAULTS["size"])
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    lm = zoo.load("imagenet")
    net = A.as_net(lm)
    preset = O.presets(lm)[0]

    def forward_backward(side: int = args.size):
        x = torch.rand(1, 3, side, side, requires_grad=True)
        A.class_logit(preset.target)(A.activations(net, x, [A.OUTPUT])).backward()

    ref = best(forward_backward, repeat=5)
    # What a step's network really sees: the picture padded by 12, cropped by 8, scaled by
    # 0.9-1.1 and cropped by 4 again (A.robust): about 140 px on average at 128.
    seen = args.size + 24 - 8 - 4
    ref_seen = best(lambda: forward_backward(seen), repeat=5)
    settings = {**O.CLASSVIS_DEFAULTS, "steps": args.steps, "size": args.size, "step_size": preset.step_size}
    settings.pop("layer")
    t = time.perf_counter()
    snaps = list(O.class_visualization(lm, preset.target, layer=preset.layer, **settings))
    run = time.perf_counter() - t
    last = snaps[-1]
    print(f"{preset.label}: {args.steps} steps at {args.size} px, {args.threads} thread(s)")
    print(f"  one forward+backward  {ref * 1000:7.1f} ms")
    print(f"  default run           {run:7.1f} s  = {run / ref:6.0f} × forward+backward "
          f"({run / args.steps / ref:.2f} per step; target ≤ 15 s: {'OK' if run <= 15 else 'above'})")
    per = run / args.steps / ref_seen
    print(f"  one forward+backward at the {seen} px a step's network sees {ref_seen * 1000:5.1f} ms: "
          f"{per:.2f} per step (target ≤ 1.2: {'OK' if per <= 1.2 else 'above target'}; the rest: "
          "the Fourier picture, the random transforms, Adam and the ~30 pictures measured)")
    print(f"  objective {last.info['start']:.2f} → {last.loss:.2f}, p = {last.info.get('probability', float('nan')):.3f}")


if __name__ == "__main__":
    main()
