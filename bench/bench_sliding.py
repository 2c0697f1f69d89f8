"""Sliding-window speed on the CPU, printed as times and ratios against the naive loop.

The zoo's LeNet-5 (digits) slides a 32×32 window at stride 4 over digit canvases:

- naive: crop every window and classify it on its own (``batch_size=1``), the notes' way;
- batched crops: the same crops classified 256 at a time (vectorised, still every window's
  full computation);
- convolutional: ``fc_to_conv`` once, then one forward pass over the whole canvas (windows
  share the work of their common pixels). The maps must agree (max abs diff ~1e-6).

Everything runs on one PyTorch thread (``core.devices.torch_threads(1)``), the setting the lab
uses for LeNet: with two threads on a busy 2-core machine the one-window loop was ~7× slower
(thread hand-offs per tiny call), which would flatter the convolutional way.

Run: ``.venv/bin/python bench/bench_sliding.py``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import zoo  # noqa: E402
from core.devices import torch_threads  # noqa: E402
from core.detection import sliding as sl  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import best  # noqa: E402


def main() -> None:
    with torch_threads(1):
        run()


def run() -> None:
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread")
    lm = zoo.load("lenet5-digits")
    model = lm.model
    conv = sl.fc_to_conv(model)
    t_convert = best(lambda: sl.fc_to_conv(model), repeat=3)
    print(f"{lm.provenance}\nfc_to_conv: {t_convert * 1e3:.1f} ms")
    for size, n in [(64, 2), (128, 6), (256, 20)]:
        canvas = sl.digit_canvas(n, (size, size), seed=0)
        img = canvas.image
        naive_map = sl.sliding_window_scores(model, img, conv.stride, batch_size=1)
        conv_map = sl.convolutional_scores(conv, img)
        diff = float(np.abs(naive_map - conv_map).max())
        rows, cols = conv_map.shape[:2]
        t_naive = best(lambda: sl.sliding_window_scores(model, img, conv.stride, batch_size=1),
                       repeat=1 if size > 128 else 3, warmup=False)
        t_batch = best(lambda: sl.sliding_window_scores(model, img, conv.stride, batch_size=256))
        t_conv = best(lambda: sl.convolutional_scores(conv, img))
        print(f"{size}×{size} canvas, {rows}×{cols} = {rows * cols} windows (stride {conv.stride}), "
              f"max |diff| {diff:.1e}:")
        print(f"  naive one window at a time {t_naive * 1e3:8.1f} ms  (1.0×)")
        print(f"  batched crops (256)        {t_batch * 1e3:8.1f} ms  ({t_naive / t_batch:.1f}× faster)")
        print(f"  convolutional, one pass    {t_conv * 1e3:8.1f} ms  ({t_naive / t_conv:.1f}× faster; "
              f"{t_batch / t_conv:.1f}× faster than batched crops)")


if __name__ == "__main__":
    main()
