"""Attribution cost: each method's time on a 224 px image ÷ one forward+backward of the same
network (the unit every gradient method is made of).

    python bench/bench_vis.py [--threads 1] [--repeat 3]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import os  # noqa: E402

os.environ.setdefault("CNNLAB_OFFLINE", "1")
import torch  # noqa: E402

from core import images, zoo  # noqa: E402
from core.vis import ascent as A  # noqa: E402
from core.vis import attribution as T  # noqa: E402
from core.vis import features as Fe  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import best  # noqa: E402

OPTIONS = {"occlusion": dict(window=64, stride=32), "smoothgrad": dict(samples=16),
           "integrated_gradients": dict(steps=24)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    lm = zoo.load("imagenet")
    img = Fe.prepare(images.load_sample("chelsea"), 224)
    net = A.as_net(lm)
    x = A.to_tensor(img)

    def fwd_bwd():
        xi = x.clone().requires_grad_(True)
        with torch.enable_grad():
            out = A.activations(net, xi, [A.OUTPUT])[A.OUTPUT]
            torch.autograd.grad(out[0, 281], xi)

    fwd_bwd()
    T.attribute("guided_backprop", lm, img, 281)           # builds the guided copy once
    ref = best(fwd_bwd, args.repeat, warmup=False)
    print(f"{lm.title} on {img.shape[1]}×{img.shape[0]} px, {args.threads} thread(s); "
          f"one forward+backward = {ref * 1000:.0f} ms")
    print(f"{'method':24s} {'seconds':>8s} {'÷ fwd+bwd':>10s}  options")
    for m in T.METHODS:
        opts = OPTIONS.get(m, {})
        t = best(lambda: T.attribute(m, lm, img, 281, **opts), max(1, args.repeat if m != "occlusion" else 1), warmup=False)
        print(f"{T.METHODS[m]:24s} {t:8.3f} {t / ref:10.2f}  {opts or ''}")


if __name__ == "__main__":
    main()
