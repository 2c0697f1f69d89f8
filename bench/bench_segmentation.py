"""Segmentation speed on the CPU, printed as times and ratios (lower is better).

- The bundled U-Net's raw forward pass on one 512×512 image (``model(tensor)``, no pre/post).
- ``segment_frame`` on a 512×512 RGB frame at full resolution ÷ that raw model time: what the
  frame function adds (uint8 → tensor, arg-max, area count, overlay, outline). Target ≤ 1.5×.
- ``segment_frame`` with the page's default working size (128 px), the live-mode setting.
- A default (base 16, depth 4) U-Net forward on 512×512, for scale.

Run: ``.venv/bin/python bench/bench_segmentation.py`` (after ``make assets``).
"""
from __future__ import annotations

import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.segmentation import data  # noqa: E402
from core.segmentation.infer import load_bundled_unet, segment_frame  # noqa: E402
from core.segmentation.unet import UNet  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import best  # noqa: E402


def main() -> None:
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    lm = load_bundled_unet("cpu")
    net = lm.model
    frame, _ = data.scene(1, 512)
    x = data.to_tensor(frame)

    def raw():
        with torch.inference_mode():
            net(x)

    t_raw = best(raw)
    t_frame = best(lambda: segment_frame(frame, lm, 0.5))
    t_small = best(lambda: segment_frame(frame, lm, 0.5, work_side=128))
    print(f"bundled U-Net (base {net.base}, depth {net.depth}) raw forward, 512×512: {t_raw * 1000:.1f} ms")
    print(f"segment_frame 512×512, full resolution: {t_frame * 1000:.1f} ms "
          f"= {t_frame / t_raw:.2f}× raw model time (target ≤ 1.5×)")
    print(f"segment_frame 512×512 at working size 128: {t_small * 1000:.1f} ms "
          f"= {t_small / t_raw:.2f}× the full-resolution raw model time")
    big = UNet(3, 4, base=16, depth=4).eval()

    def raw_big():
        with torch.inference_mode():
            big(x)

    t_big = best(raw_big, repeat=3)
    print(f"reference UNet(base 16, depth 4) raw forward, 512×512: {t_big * 1000:.1f} ms "
          f"({t_big / t_raw:.1f}× the bundled one)")


if __name__ == "__main__":
    main()
