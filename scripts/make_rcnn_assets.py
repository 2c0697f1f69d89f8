"""Fine-tune the shapes localiser on warped selective-search proposals (R-CNN's training step)
and write ``assets/rcnn_shapes.pt`` and its card ``assets/rcnn_shapes.md``.

Run: ``CNNLAB_OFFLINE=1 .venv/bin/python scripts/make_rcnn_assets.py [n_scenes] [steps]``.
Data: scenes of the generator seeded 0 (the training stream of the bundled detector), 256 px.
Evaluation: the tab's setting — held-out scenes 7-26 at 384 px, "single" search, score > 0.5,
class-wise NMS at IoU 0.5 — against the localiser as it was.
"""
from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import zoo  # noqa: E402
from core.devices import torch_threads  # noqa: E402
from core.detection import localization as L  # noqa: E402
from core.detection import proposals as RP  # noqa: E402
from core.detection import rcnn_finetune as F  # noqa: E402
from core.detection import scenes  # noqa: E402

SEED = 0


def evaluate(lm, seeds=range(7, 27), agreement=False) -> dict:
    g = f = k = 0
    for seed in seeds:
        s = scenes.scene(seed, size=384)
        props = RP.propose(s.image)
        scored = list(RP.score_steps(lm, s.image, props.boxes, refine=True))[-1].scored
        r = RP.finish(props, scored, 0.5, 0.5, agreement=agreement, regress=False)
        g += len(s.boxes)
        f += RP.found(r.boxes, r.classes, s.boxes, s.classes)
        k += len(r.keep)
    return {"shapes": g, "found": f, "kept": k}


def main(n_scenes: int = 150, steps: int = 600) -> None:
    with torch_threads(1):
        t0 = time.perf_counter()
        data = F.region_data(n_scenes, SEED, progress=lambda d, n: print(f"\rscenes {d}/{n}", end="", flush=True))
        print(f"\n{len(data.y)} regions ({int(data.positive.sum())} positive) from {data.proposals} proposals, "
              f"{data.seconds:.0f} s")
        base = zoo.load("localizer-shapes")
        t1 = time.perf_counter()
        last = None
        for last in F.finetune(base.model, data, steps=steps, seed=SEED):
            print(f"\r{last.describe()}", end="", flush=True)
        train_s = time.perf_counter() - t1
        print(f"\ntrained in {train_s:.0f} s")
        tuned = zoo.LoadedModel(name="rcnn-shapes", requested="rcnn-shapes", title="x", task="localization",
                                model=last.model, provenance="", preprocess=base.preprocess,
                                labels=list(RP.SHAPES), device="cpu", pretrained=True)
        before, before_agree, after = evaluate(base), evaluate(base, agreement=True), evaluate(tuned)
        print("localiser:", before, "with box agreement:", before_agree, "fine-tuned:", after)
    meta = {"steps": steps, "seed": SEED, "scenes": n_scenes, "regions": int(len(data.y)),
            "positives": int(data.positive.sum()), "proposals": int(data.proposals),
            "train_seconds": round(train_s, 1), "data_seconds": round(data.seconds, 1),
            "final_batch_loss": round(last.loss, 4), "before": before, "before_agreement": before_agree,
            "after": after}
    L.save(last.model, F.BUNDLED_PATH, meta)
    cpu = platform.processor() or platform.machine()
    (ROOT / "assets" / "rcnn_shapes.md").write_text(f"""# R-CNN region classifier: `rcnn_shapes.pt`

Written by `scripts/make_rcnn_assets.py` (`CNNLAB_OFFLINE=1 .venv/bin/python scripts/make_rcnn_assets.py
{n_scenes} {steps}`), in {time.perf_counter() - t0:.0f} s on {cpu} (1 torch thread, shared 2-core machine),
torch {torch.__version__}. No outside data or weights.

**What.** R-CNN's fine-tuning step on the bundled shapes localiser (`assets/localization_shapes.pt`):
the same network (`core.detection.localization.Localizer`), trained further on warped selective-search
proposals so that parts of shapes and boxes around several shapes become "no object" (p_c = 0).

**Data** (`core.detection.rcnn_finetune.region_data`): {n_scenes} generated 256 px scenes of the generator
seeded {SEED}; selective search ("single") gave {data.proposals} proposals; each proposal and each true box
widened by a third of its side on every side and warped to 64×64 (as the R-CNN tab does). IoU ≥ 0.5 with a
true box: that shape, with the true box in the crop as the box target; IoU < 0.3 with every true box:
background; in between: left out. {len(data.y)} regions, {int(data.positive.sum())} positive.

**Training** (`core.detection.rcnn_finetune.finetune`): {steps} steps of 64 regions, a quarter positive
(R-CNN: 32 of 128), mirrored at random; AdamW lr 1e-3, cosine decay; the notes' localisation loss.
Final batch loss {last.loss:.4f}. Data {data.seconds:.0f} s, training {train_s:.0f} s.

**Held-out evaluation** (the tab's setting: scenes 7-26 at 384 px, never seen, "single" search, score > 0.5,
class-wise NMS at IoU 0.5; found = right shape at IoU ≥ 0.5) over {after['shapes']} shapes:

| classifier | shapes found | boxes kept |
|---|---|---|
| localiser as it was | {before['found']} | {before['kept']} |
| localiser, score × box agreement | {before_agree['found']} | {before_agree['kept']} |
| fine-tuned on proposals (this file) | {after['found']} | {after['kept']} |
""")
    print("wrote", F.BUNDLED_PATH)


if __name__ == "__main__":
    a = [int(v) for v in sys.argv[1:3]]
    main(*a)
