"""Train the bundled landmark networks and write ``assets/landmarks_shapes.pt`` and its card
``assets/landmarks_shapes.md``.

Two networks, one recipe: one on consistent labels (landmark 1 is always the right angle), one on
the same pictures with each picture's corners in a random order (the notes' point that landmarks
must be labelled consistently: it learns to answer the centre). They train in two processes, one
CPU thread each; fixed seeds.

    python scripts/make_landmark_assets.py                          # the bundled pair
    python scripts/make_landmark_assets.py --steps 30 --out /tmp/x.pt   # a quick smoke run
    python scripts/make_landmark_assets.py --card                   # rewrite the card from the asset
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from core.detection import landmarks as LM  # noqa: E402
from core.devices import cpu_name  # noqa: E402

RECIPE = dict(steps=2000, batch_size=32, lr=3e-3, seed=0, pool=8000)
HELDOUT = dict(n=256, seed=2_000_000)
TARGET_PX = 3.0                 # mean corner error on held-out pictures, consistent labels


def _train(order: str, recipe: dict) -> tuple[dict, dict, float, float, float]:
    torch.set_num_threads(1)
    model = LM.LandmarkNet()
    first = last = None
    for snap in LM.train(recipe["steps"], recipe["batch_size"], recipe["lr"], recipe["seed"], order, model,
                         every=50, pool=recipe["pool"]):
        first = snap.loss if first is None else first
        last = snap.loss
        print(f"[{order}] {snap.describe()} · p_c {snap.info['p_c']:.4f} landmarks {snap.info['landmarks']:.4f} · "
              f"{snap.seconds:.0f} s", flush=True)
    return model.state_dict(), model.config, first, last, snap.seconds


def card(meta: dict, params: int, nbytes: int) -> str:
    r, h = meta["recipe"], meta["heldout"]
    c, s = h["consistent"], h["shuffled"]
    per = ", ".join(f"{name} {e:.2f} px" for name, e in zip(LM.CORNERS, c["per_landmark_px"]))
    return f"""# Bundled landmark networks: `landmarks_shapes.pt` (set-square corners)

Written by `scripts/make_landmark_assets.py`. Trained by this project from scratch; no outside
data or weights. Used by the Detection page's *Landmarks* tab (zoo name `{LM.ZOO_NAME}`).

**Task.** The notes' landmark detection: for a {LM.SIZE}×{LM.SIZE} picture, output
y = [p_c, l_1x, l_1y, l_2x, l_2y, l_3x, l_3y] (1 + 2n = {LM.OUTPUTS} numbers): is there a set square
(a 30-60-90 triangle), then the x, y of its corners as fractions of the picture — landmark 1 the
right angle, 2 the 60° corner, 3 the 30° corner. It knows nothing about photos.

**Model.** `core.detection.landmarks.LandmarkNet({", ".join(f"{k}={v}" for k, v in meta["config"].items())})`:
the localiser's trunk (`localization.conv_trunk`: four 3×3 conv + BN + ReLU + max-pool blocks,
16, 32, 64, 64 channels, the map averaged to 4×4 and flattened), then Linear → ReLU → Linear to
{LM.OUTPUTS} sigmoids.
{params:,} parameters per network; the file holds two (consistent and shuffled), float16,
{nbytes / 1e6:.2f} MB.

**Data** (`core.detection.landmarks.example_from_rng`): the segmentation lab's background
(gradients, blotches, clutter lines, blur, noise) and one set square, short leg
{LM.SCALE[0]:.0%}–{LM.SCALE[1]:.0%} of the side, upright but turned up to ±{LM.TURN_DEG:.0f}° and mirrored at random,
random colour and texture;
{LM.EMPTY_SHARE:.0%} of the pictures are empty (p_c = 0). A pool of {r['pool']} pictures (seed {r['seed']}),
each picture mirrored left-right at random when drawn (a corner keeps its name).

**Training.** {r['steps']} steps × {r['batch_size']} pictures with the notes' loss (`landmark_loss`: squared
error over all {LM.OUTPUTS} entries when p_c = 1, only (p̂_c − p_c)² when p_c = 0); AdamW (lr {r['lr']},
weight decay 1e-4), 5 % warm-up then cosine decay. Consistent labels: loss {meta['first_loss']['consistent']:.3f} →
{meta['last_loss']['consistent']:.4f} (batch), **{meta['train_seconds']['consistent']:.0f} s**; shuffled labels (each
picture's corners in a fresh random order every time it is drawn): {meta['first_loss']['shuffled']:.3f} →
{meta['last_loss']['shuffled']:.4f}, {meta['train_seconds']['shuffled']:.0f} s. Both at once, one thread each, on
{meta['cpu']} (2 cores shared with other jobs: load average about 8 during the run; alone the
same steps take about 0.13 s each, some 4–5 minutes), torch {torch.__version__}; {meta['wall_seconds']:.0f} s in all.

**Held-out evaluation.** {meta['heldout_n']} freshly generated pictures (seed {meta['heldout_seed']}, never seen in
training, {LM.EMPTY_SHARE:.0%} empty), errors in pixels of the {LM.SIZE}×{LM.SIZE} picture:

| trained on | mean corner error | median | in the best order | predicted corners from their centre | p_c right | loss |
| --- | --- | --- | --- | --- | --- | --- |
| consistent labels | **{c['mean_error_px']:.2f} px** | {c['median_error_px']:.2f} px | {c['best_order_error_px']:.2f} px | {c['spread_px']:.1f} px | {c['pc_accuracy']:.1%} | {c['loss']:.4f} |
| shuffled labels | {s['mean_error_px']:.2f} px | {s['median_error_px']:.2f} px | {s['best_order_error_px']:.2f} px | {s['spread_px']:.1f} px | {s['pc_accuracy']:.1%} | {s['loss']:.4f} |

Per corner (consistent): {per}. Target: mean error ≤ {TARGET_PX} px. The true corners lie
{c['true_spread_px']:.1f} px from their centre on average: what answering "the centre" for every
landmark costs, and what the shuffled network pays even when its answers are matched to the
corners in the best order — it learnt the average of the orders.

**History** (the same held-out pictures, consistent labels). An equilateral triangle whose corners
were named by a rule (1 = the top-most, then clockwise) has a seam: where two corners are about
equally high the names swap, and the network averages the two labellings there. A set square turned
freely (0–360°) makes the names depend on reading 30° against 60° angles at 64 px: 1500 steps
reached only 10.4 px, the answers drifting towards the centre (4 px from their own centre, the true corners 12 px). Upright (±{LM.TURN_DEG:.0f}°, as faces
in photos) it reached 3.6 px in 800 steps; two extra x, y input channels (CoordConv) gave 3.8 px,
no better, so they were left out. The recipe above: 2000 steps, twice the pool.

**Limits.** One set square, these backgrounds; a photo gives arbitrary points.
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=RECIPE["steps"])
    ap.add_argument("--out", type=Path, default=LM.BUNDLED_PATH)
    ap.add_argument("--card", action="store_true", help="only rewrite the card from the asset's meta")
    args = ap.parse_args(argv)
    if args.card:
        models, meta = LM.read(args.out)
        params = sum(p.numel() for p in models["consistent"].parameters())
        args.out.with_suffix(".md").write_text(card(meta, params, args.out.stat().st_size))
        return 0
    recipe = {**RECIPE, "steps": args.steps}
    t0 = time.perf_counter()
    with ProcessPoolExecutor(2) as pool:
        jobs = {order: pool.submit(_train, order, recipe) for order in LM.ORDERS}
        done = {order: job.result() for order, job in jobs.items()}
    wall = time.perf_counter() - t0
    torch.set_num_threads(1)
    models, held = {}, {}
    for order, (sd, config, *_rest) in done.items():
        models[order] = LM.LandmarkNet(**config)
        models[order].load_state_dict(sd)
        models[order].eval()
        held[order] = dataclasses.asdict(LM.evaluate(models[order], HELDOUT["seed"], HELDOUT["n"]))
        print(order, held[order], flush=True)
    meta = {"recipe": recipe, "steps": recipe["steps"], "seed": recipe["seed"], "config": models["consistent"].config,
            "first_loss": {k: v[2] for k, v in done.items()}, "last_loss": {k: v[3] for k, v in done.items()},
            "train_seconds": {k: v[4] for k, v in done.items()}, "wall_seconds": wall, "cpu": cpu_name(),
            "heldout": held, "heldout_n": HELDOUT["n"], "heldout_seed": HELDOUT["seed"],
            "heldout_error_px": held["consistent"]["mean_error_px"]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    LM.save(models, args.out, meta)
    bundled = args.out.resolve() == LM.BUNDLED_PATH.resolve()
    if bundled:
        params = sum(p.numel() for p in models["consistent"].parameters())
        args.out.with_suffix(".md").write_text(card(meta, params, args.out.stat().st_size))
    return 0 if held["consistent"]["mean_error_px"] <= TARGET_PX or not bundled else 1


if __name__ == "__main__":
    sys.exit(main())
