"""R-CNN against YOLO on the CPU: where the time goes, printed as seconds and ratios.

On generated scenes (384 px, seeds 7-16), for each scene:

- selective search ("single" strategy at 384 px; ``--fast``: the 8-strategy mode at 256 px);
- R-CNN's classifier: every proposal cropped, warped to 64×64 and classified by the shapes
  localiser fine-tuned on proposals (``assets/rcnn_shapes.pt``), one call per region (one torch
  thread, as the tab does); the localiser as trained is scored on the same proposals for "found";
- Fast R-CNN: the localiser's trunk once on the picture, RoI align, the heads in one batch;
- YOLO: the Detect tab's detector (offline: the bundled shapes detector), one pass, best of 3.

Also proposal recall at IoU 0.5 and objects found (right class, IoU ≥ 0.5) by each detector.
Run: ``CNNLAB_OFFLINE=1 .venv/bin/python bench/bench_proposals.py [--fast]``.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import zoo  # noqa: E402
from core.detection import proposals as RP  # noqa: E402
from core.detection import rcnn_finetune as FT  # noqa: E402
from core.detection import scenes  # noqa: E402
from core.detection.detector import Detector  # noqa: E402


def main(fast: bool = False) -> None:
    mode, side = ("fast", 256) if fast else ("single", 384)
    raw, lm = zoo.load("localizer-shapes"), FT.load_bundled_rcnn()
    det = Detector(zoo.load("yolo11n"))
    det.detect(scenes.scene(0, size=384).image)            # warm-up
    rows = []
    for seed in range(7, 17):
        s = scenes.scene(seed, size=384)
        snaps = list(RP.rcnn(lm, s.image, mode=mode, max_side=side))
        r = snaps[-1].result
        fr = RP.fast_rcnn(lm, s.image, r.proposals.boxes)
        frr = RP.finish(r.proposals, fr.scored, 0.5, 0.5, regress=False)
        rr = RP.finish(r.proposals, list(RP.score_steps(raw, s.image, r.proposals.boxes))[-1].scored, 0.5, 0.5)
        t_yolo, y = float("inf"), None
        for _ in range(3):
            t = time.perf_counter()
            y = det.detect(s.image)
            t_yolo = min(t_yolo, time.perf_counter() - t)
        rows.append((len(s.boxes), len(r.proposals), RP.recall(s.boxes, r.proposals.boxes)[0],
                     r.proposals.seconds, r.scored.seconds, fr.seconds, t_yolo,
                     RP.found(r.boxes, r.classes, s.boxes, s.classes),
                     RP.found(frr.boxes, frr.classes, s.boxes, s.classes),
                     RP.found(y.boxes, y.classes, s.boxes, s.classes), len(r.keep), len(frr.keep),
                     len(y.boxes), RP.found(rr.boxes, rr.classes, s.boxes, s.classes), len(rr.keep)))
        print(f"seed {seed}: {len(r.proposals)} proposals, search {r.proposals.seconds:.2f} s, "
              f"R-CNN calls {r.scored.seconds:.3f} s, Fast R-CNN {fr.seconds:.3f} s, YOLO {t_yolo * 1000:.0f} ms")
    a = np.array(rows, float)
    gt = a[:, 0].sum()
    search, calls, fast_s, yolo = a[:, 3].mean(), a[:, 4].mean(), a[:, 5].mean(), a[:, 6].mean()
    print(f"\n{mode} search at {side} px, {len(rows)} scenes, {int(gt)} shapes, "
          f"{a[:, 1].mean():.0f} proposals on average (recall {np.average(a[:, 2], weights=a[:, 0]):.1%})")
    print(f"selective search   {search:7.3f} s")
    print(f"R-CNN classifier   {calls:7.3f} s   ({calls / a[:, 1].mean() * 1000:.1f} ms a region)")
    print(f"Fast R-CNN network {fast_s:7.3f} s   (R-CNN's network part / this = {calls / fast_s:.1f}×)")
    print(f"YOLO one pass      {yolo:7.3f} s")
    print(f"R-CNN / YOLO       {(search + calls) / yolo:7.1f}×   Fast R-CNN / YOLO {(search + fast_s) / yolo:.1f}×")
    print(f"found (right class, IoU ≥ 0.5) / boxes kept, of {gt:.0f} shapes: R-CNN {a[:, 7].sum():.0f}/{a[:, 10].sum():.0f}, "
          f"Fast R-CNN {a[:, 8].sum():.0f}/{a[:, 11].sum():.0f}, YOLO {a[:, 9].sum():.0f}/{a[:, 12].sum():.0f}, "
          f"R-CNN with the localiser as trained {a[:, 13].sum():.0f}/{a[:, 14].sum():.0f}")


if __name__ == "__main__":
    main("--fast" in sys.argv)
