"""Train the bundled shapes detector and write ``assets/detector_shapes.pt`` and its card.

Run by ``make assets``.  It generates a labelled scene data set (:mod:`core.detection.scenes`:
circles, squares and triangles, several per picture, overlapping, on textured backgrounds),
trains an ultralytics YOLO from its ``.yaml`` (no pretrained weights: nothing is downloaded),
then measures mAP on scenes generated from a seed the training never saw, with the project's own
:func:`core.detection.boxes.evaluate_map` and with ultralytics' validator.

    python scripts/make_detector_assets.py                      # the bundled model
    python scripts/make_detector_assets.py --epochs 1 --train 64 --out /tmp/d.pt   # a smoke run
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.detection import scenes  # noqa: E402
from core.devices import cpu_name  # noqa: E402
from core.zoo import configure_ultralytics  # noqa: E402

RECIPE = dict(model="yolo11e-shapes.yaml", imgsz=256, epochs=60, batch=16, train=800, val=100, seed=0,
              close_mosaic=10, workers=2)
HELDOUT = dict(n=200, seed=3_000_000)
TARGET_MAP50 = 0.85
MAX_MB = 6.0


def heldout_map(weights: Path, n: int, seed: int, imgsz: int) -> dict:
    """mAP of ``weights`` on ``n`` freshly generated scenes, computed by core.detection.boxes."""
    import numpy as np
    from ultralytics import YOLO

    from core.detection.boxes import evaluate_map

    model = YOLO(str(weights))
    preds, gts = [], []
    t0 = time.perf_counter()
    for sc in scenes.scenes(n, seed, size=imgsz):
        r = model.predict(sc.image[..., ::-1], imgsz=imgsz, conf=0.001, iou=0.6, max_det=100,
                          verbose=False, device="cpu")[0]
        b = r.boxes
        preds.append((b.xyxy.numpy(), b.conf.numpy(), b.cls.numpy().astype(np.int64)))
        gts.append((sc.boxes, sc.classes))
    per_image_ms = (time.perf_counter() - t0) / n * 1000
    rep = evaluate_map(preds, gts, num_classes=len(scenes.CLASSES))
    return {"map50": float(rep.map50), "map50_95": float(rep.map),
            "per_class_ap50": {scenes.CLASSES[c]: float(v) for c, v in enumerate(rep.per_class_ap50)},
            "predict_ms_per_image": per_image_ms}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for k in ("epochs", "train", "val", "imgsz", "batch", "workers"):
        ap.add_argument(f"--{k}", type=int, default=RECIPE[k])
    ap.add_argument("--out", type=Path, default=ROOT / "assets" / "detector_shapes.pt")
    ap.add_argument("--work", type=Path, default=None, help="keep the data set and run here")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--eval-only", action="store_true",
                    help="measure existing weights at --out and write the card (no training)")
    ap.add_argument("--train-seconds", type=float, default=None,
                    help="with --eval-only: the training time to put on the card")
    args = ap.parse_args(argv)
    recipe = {**RECIPE, **{k: getattr(args, k) for k in ("epochs", "train", "val", "imgsz", "batch", "workers")}}

    os.environ.setdefault("CNNLAB_OFFLINE", "1")
    configure_ultralytics()
    import torch
    from ultralytics import YOLO

    if args.threads:
        torch.set_num_threads(args.threads)
    work = args.work or Path(tempfile.mkdtemp(prefix="cnnlab-det-"))
    if args.eval_only:
        yaml = work / "data" / "data.yaml"
        if not yaml.exists():
            yaml = scenes.write_yolo_dataset(work / "data", 0, recipe["val"], seed=recipe["seed"],
                                             size=recipe["imgsz"])
        return _measure(args.out, yaml, work, recipe, args.train_seconds or 0.0)
    t0 = time.perf_counter()
    yaml = scenes.write_yolo_dataset(work / "data", recipe["train"], recipe["val"], seed=recipe["seed"],
                                     size=recipe["imgsz"])
    gen_s = time.perf_counter() - t0
    print(f"data set: {recipe['train']} train + {recipe['val']} val scenes in {gen_s:.0f} s → {yaml}", flush=True)

    model = YOLO(str(ROOT / "assets" / recipe["model"]))
    t1 = time.perf_counter()
    model.train(data=str(yaml), epochs=recipe["epochs"], imgsz=recipe["imgsz"], batch=recipe["batch"],
                workers=recipe["workers"], device="cpu", seed=recipe["seed"], deterministic=True,
                close_mosaic=recipe["close_mosaic"], pretrained=False, amp=False,
                plots=False, val=True, cache="ram", project=str(work / "runs"), name="train",
                exist_ok=True, verbose=False, fliplr=0.5, flipud=0.5, degrees=0.0, hsv_h=0.3)
    train_s = time.perf_counter() - t1
    best = work / "runs" / "train" / "weights" / "best.pt"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(best, args.out)
    from ultralytics.utils.torch_utils import strip_optimizer

    strip_optimizer(str(args.out))      # weights only, half precision (ultralytics already did for best.pt)
    size_mb = args.out.stat().st_size / 1e6
    print(f"trained {recipe['epochs']} epochs in {train_s:.0f} s; wrote {args.out} ({size_mb:.2f} MB)", flush=True)
    return _measure(args.out, yaml, work, recipe, train_s)


def _measure(out: Path, yaml: Path, work: Path, recipe: dict, train_s: float) -> int:
    """ultralytics' validator on the val split, our mAP on held-out scenes, the card."""
    import torch
    from ultralytics import YOLO

    size_mb = out.stat().st_size / 1e6
    val = YOLO(str(out)).val(data=str(yaml), imgsz=recipe["imgsz"], batch=16, device="cpu",
                                  plots=False, verbose=False, project=str(work / "runs"), name="val",
                                  exist_ok=True)
    ultra = {"map50": float(val.box.map50), "map50_95": float(val.box.map)}
    held = heldout_map(out, HELDOUT["n"], HELDOUT["seed"], recipe["imgsz"])
    print(f"val (ultralytics): mAP50 {ultra['map50']:.3f}  mAP50-95 {ultra['map50_95']:.3f}", flush=True)
    print(f"held-out {HELDOUT['n']} scenes (core.detection.boxes): mAP50 {held['map50']:.3f} "
          f"mAP50-95 {held['map50_95']:.3f} per class {held['per_class_ap50']}", flush=True)

    report = {"recipe": recipe, "heldout": HELDOUT, "train_seconds": round(train_s),
              "ultralytics_val": ultra, "heldout_result": held, "size_mb": round(size_mb, 2),
              "cpu": cpu_name(), "torch": torch.__version__}
    card = out.with_suffix(".md")
    card.write_text(_card(report))
    out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"card → {card}")
    ok = held["map50"] >= TARGET_MAP50 and size_mb <= MAX_MB
    if not ok:
        print(f"NOT GOOD ENOUGH to ship: mAP50 {held['map50']:.3f} (target {TARGET_MAP50}), "
              f"{size_mb:.2f} MB (limit {MAX_MB})", flush=True)
    return 0 if ok else 1


def _card(r: dict) -> str:
    rc, h = r["recipe"], r["heldout_result"]
    per = ", ".join(f"{k} {v:.3f}" for k, v in h["per_class_ap50"].items())
    return f"""# Bundled detector: `detector_shapes.pt`

An ultralytics YOLO (architecture `{rc['model']}`, 3 classes) trained **from scratch** by this
project on generated scenes. It stands in for the COCO `yolo11n.pt` when that cannot be had
(offline), so the Detection lab always has a real detector with real candidates to run NMS on.
It knows only the three shapes below; on photos it finds nothing useful, and the page says so.

- **Classes:** {', '.join(f'{i} {n}' for i, n in enumerate(scenes.CLASSES))}
- **Data recipe:** `core.detection.scenes` — {rc['imgsz']} px scenes with 2–8 shapes each (radius
  4.5–14 % of the side), random colours (colour never gives the class away), solid/striped/
  checkered/noisy fills, gradient backgrounds with blotches, stripes and clutter lines, overlaps
  (a shape may hide up to 30 % of an earlier one; boxes cover the *visible* pixels), blur, noise,
  brightness jitter. {rc['train']} training scenes (seed {rc['seed']}), {rc['val']} validation
  scenes (seed {rc['seed'] + 1}).
- **Training:** `YOLO("{rc['model']}").train(imgsz={rc['imgsz']}, epochs={rc['epochs']}, batch={rc['batch']},
  close_mosaic={rc['close_mosaic']}, fliplr=0.5, flipud=0.5, hsv_h=0.3, pretrained=False)`
  on the CPU ({r['cpu']}, torch {r['torch']}): {r['train_seconds']} s.
- **Held-out result** ({r['heldout']['n']} fresh scenes, seed {r['heldout']['seed']}, measured with
  `core.detection.boxes.evaluate_map`): **mAP50 {h['map50']:.3f}**, mAP50-95 {h['map50_95']:.3f};
  AP50 per class: {per}. Target mAP50 ≥ {TARGET_MAP50}.
- **Ultralytics' validator** on the validation scenes: mAP50 {r['ultralytics_val']['map50']:.3f},
  mAP50-95 {r['ultralytics_val']['map50_95']:.3f}.
- **Size:** {r['size_mb']} MB (half-precision weights as ultralytics saves them).
  Predict on the CPU: {h['predict_ms_per_image']:.0f} ms per {rc['imgsz']} px scene.

Reproduce: `make assets` (or `python scripts/make_detector_assets.py`).
"""


if __name__ == "__main__":
    raise SystemExit(main())
