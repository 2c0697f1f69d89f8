"""Train the bundled fast-style models and write ``assets/fast_style_<name>.pt`` and the card
``assets/fast_style.md``.

Run by ``make assets``. Style pictures come from ``../shared/data/style/`` (real paintings, see
SOURCES.md there), content crops from ``../shared/data/content/`` plus the sample images that
ship inside installed packages (``core.images.samples()``). Fixed seeds, one CPU thread (on a
shared, busy CPU one thread is the fastest). The app itself never reads ``../shared/data``.

    python scripts/make_style_assets.py                      # both bundled models
    python scripts/make_style_assets.py --styles great_wave  # one (e.g. in parallel, one per core)
    python scripts/make_style_assets.py --steps 20 --out-dir /tmp/fs   # a quick smoke run
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from core.devices import cpu_name  # noqa: E402
from core import images, zoo  # noqa: E402
from core import style as S  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
STYLES = {"starry_night": "starry_night.jpg", "great_wave": "great_wave.jpg"}
RECIPE = dict(S.FAST_RECIPE, steps=800, size=192, batch=2)
# Never a training photo: the preview, the page's default picture and the checkerboard lesson
# show the networks on a photo they have not seen.
HELD_OUT = S.HELD_OUT_SAMPLE
# Style weight per painting where the recipe's β = 1000 is too weak: with the resize decoder the
# Great Wave came out as a colour shift of the photo (no waves, no foam), so it weighs 3× more.
BETA = {"great_wave": 3e3}


def content_pictures() -> tuple[list[np.ndarray], list[str]]:
    pics, names = [], []
    folder = DATA / "content"
    if folder.is_dir():
        for p in sorted(folder.iterdir()):
            if p.suffix.lower() in (".jpg", ".jpeg", ".png"):
                pics.append(images.load_image(p, max_side=384))
                names.append(f"shared/data/content/{p.name}")
    for n in images.samples():
        if n == HELD_OUT:
            continue
        try:
            pics.append(images.load_sample(n, max_side=384))
            names.append(f"sample:{n}")
        except ValueError:
            pass
    return pics, names


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=RECIPE["steps"])
    ap.add_argument("--size", type=int, default=RECIPE["size"])
    ap.add_argument("--styles", nargs="*", default=list(STYLES))
    ap.add_argument("--out-dir", type=Path, default=ROOT / "assets")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--beta", type=float, default=None, help="style weight (default: per style)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    lm = zoo.load("imagenet")
    contents, names = content_pictures()
    preview = images.load_sample(HELD_OUT, max_side=320)
    rows = []
    for name in args.styles:
        style_path = DATA / "style" / STYLES.get(name, f"{name}.jpg")
        style = images.load_image(style_path, max_side=512)
        beta = args.beta if args.beta is not None else BETA.get(name, RECIPE["beta"])
        print(f"{name}: {len(contents)} content pictures, {args.steps} steps of {RECIPE['batch']}×"
              f"{args.size} px, loss network {lm.title}", flush=True)
        t0 = time.perf_counter()
        last = None
        first = None
        for snap in S.train_fast_style(style, contents, lm, steps=args.steps, size=args.size,
                                       batch=RECIPE["batch"], lr=RECIPE["lr"], beta=beta,
                                       tv_weight=RECIPE["tv_weight"], style_size=RECIPE["style_size"],
                                       widths=RECIPE["widths"], n_res=RECIPE["n_res"],
                                       seed=RECIPE["seed"], preview=preview, preview_every=100):
            first = first or snap
            last = snap
            if snap.step % 50 == 0 or snap.step == snap.total:
                print(f"  {snap.describe()}", flush=True)
        assert last is not None and first is not None
        seconds = time.perf_counter() - t0
        net = last.info["net"]
        card = dict(name=name, style_image=f"shared/data/style/{style_path.name}",
                    n_content=len(contents), steps=args.steps, size=args.size, batch=RECIPE["batch"],
                    lr=RECIPE["lr"], alpha=RECIPE["alpha"], beta=beta,
                    tv_weight=RECIPE["tv_weight"], loss_network=lm.title,
                    style_layers=list(S.LOSS_LAYERS["efficientnet_lite0"].default_style),
                    content_layer=S.LOSS_LAYERS["efficientnet_lite0"].content_label,
                    seconds=round(seconds, 1), first_loss=round(first.loss, 3),
                    final_loss=round(last.loss, 3), params=S.count_params(net),
                    widths=list(RECIPE["widths"]), n_res=RECIPE["n_res"],
                    upsample=net.config["upsample"], held_out=f"sample:{HELD_OUT}",
                    period2_preview=round(S.period2_energy(last.image), 5),
                    period2_photo=round(S.period2_energy(preview), 5))
        out = S.save_fast_style(net, args.out_dir / f"fast_style_{name}.pt", card)
        from PIL import Image
        Image.fromarray(last.image).save(args.out_dir / f"fast_style_{name}_preview.png")
        # a small copy of the painting, so the page can show which style a model learnt
        thumb = images.resize_max(style, S.STYLE_THUMB_SIDE)
        Image.fromarray(thumb).save(args.out_dir / f"fast_style_{name}_style.jpg", quality=88)
        mb = out.stat().st_size / 1e6
        print(f"  saved {out} ({mb:.2f} MB) in {seconds:.0f} s", flush=True)
        rows.append((card, mb))
    # The card lists every model in the folder (styles may be trained by parallel runs).
    rows = [(S.load_fast_style(p).card, p.stat().st_size / 1e6)
            for p in S.bundled_fast_styles(args.out_dir).values()]
    write_card(args.out_dir / "fast_style.md", rows, names, args.threads)
    return 0


def write_card(path: Path, rows, names, threads: int) -> None:
    lines = ["# Bundled fast-style models", "",
             "Feed-forward style-transfer networks (Johnson et al.), one per painting, trained by",
             "`scripts/make_style_assets.py` (`make assets`) with the perceptual loss of",
             "`core.style.train_fast_style`: J = α·MSE(content layer) + β·Gram loss (G = FFᵀ/HW,",
             "relative error averaged over the style layers) + w·TV. Load with",
             "`core.style.load_fast_style`; run with `core.style.fast_style_frame`.", "",
             f"Machine: {cpu_name()}, {threads} thread(s), CPU only, shared with other jobs.", "",
             "| model | style image | steps × batch × px | α / β / TV | loss (first → last) | params | file | time | period-2 energy |",
             "|---|---|---|---|---|---|---|---|---|"]
    for card, mb in rows:
        lines.append(f"| `fast_style_{card['name']}.pt` | `{card['style_image']}` | {card['steps']} × "
                     f"{card['batch']} × {card['size']} | {card['alpha']:g} / {card['beta']:g} / "
                     f"{card['tv_weight']:g} | {card['first_loss']:.3g} → {card['final_loss']:.3g} | "
                     f"{card['params']:,} | {mb:.2f} MB (fp16) | {card['seconds']:.0f} s |"
                     f" {100 * card.get('period2_preview', float('nan')):.2f} % |")
    if rows:
        c = rows[0][0]
        lines += ["", f"Network: TransformerNet widths {c['widths']}, {c['n_res']} residual blocks "
                  f"(stride-2 5×5/3×3 down, {c.get('upsample', 'subpixel')} ×2 up, instance norm, "
                  "sigmoid output). `resize`: nearest ×2 then a 3×3 convolution (the last ×2 "
                  "bilinear on RGB), against the checkerboard that the first, sub-pixel, decoder "
                  "drew (Odena et al., Distill 2016).",
                  f"Period-2 energy (`core.style.period2_energy`, the checkerboard meter) of the "
                  f"preview on the held-out photo `{c.get('held_out', '?')}`; the photo itself: "
                  f"{100 * c.get('period2_photo', float('nan')):.3f} %.",
                  f"Loss network: {c['loss_network']}; style layers {', '.join(c['style_layers'])}; "
                  f"content layer {c['content_layer']}. Random crops (35–100 % of the shorter side, "
                  "flips) resized to the training size; Adam, cosine learning rate.", ""]
    lines += [f"Content pictures ({len(names)}): " + ", ".join(f"`{n}`" for n in names), "",
              "Style paintings: public-domain images from `../shared/data/style/` (see SOURCES.md "
              "there). The app ships the trained weights and a small copy of each painting "
              f"(`fast_style_<name>_style.jpg`, ≤ {S.STYLE_THUMB_SIDE} px) to show which style "
              "a model learnt.", "",
              "`checkerboard_great_wave_subpixel.pt`: the first Great Wave model (sub-pixel "
              "decoder, 800 × 2 × 192, same recipe), kept for the page's checkerboard lesson; not "
              "a selectable style.", ""]
    path.write_text("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
