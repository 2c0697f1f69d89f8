"""Train the zoo's two LeNet-5 models and write ``assets/lenet5_digits.pt``,
``assets/lenet5_digits_windows.pt`` and their card ``assets/lenet5_digits.md``.

Run by ``make assets``. The recipe is the zoo entry's own (``core.zoo`` entries ``lenet5-digits``
and ``lenet5-digits-windows``: epochs, seed, trainer, one CPU thread), trained by the same function
the zoo falls back to (``core.zoo.loaders.trained.train_entry``), so the shipped weights are the
ones the lab would otherwise train on first use. Each file is read back the way the zoo reads it
and its held-out accuracy measured again from the saved weights.

    python scripts/make_lenet_assets.py                     # both, into assets/
    python scripts/make_lenet_assets.py --out /tmp/x        # somewhere else (a smoke run)
"""
from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from core import zoo  # noqa: E402
from core.devices import cpu_name, torch_threads  # noqa: E402
from core.zoo.loaders.trained import read_shipped, train_entry, write_shipped  # noqa: E402

ENTRIES = ("lenet5-digits", "lenet5-digits-windows")
CARD = "lenet5_digits.md"


def held_out(entry: zoo.ZooEntry):
    """The held-out split the trainer measured (the same seed's test set)."""
    spec = entry.spec
    if spec.trainer.endswith(":train_window_classifier"):
        from core.detection.sliding import window_data

        return window_data(seed=spec.seed)
    from core.architectures.lenet import digits_dataset

    return digits_dataset(seed=spec.seed)


def make(name: str, out_dir: Path) -> dict:
    entry = zoo.get_entry(name)
    path = out_dir / Path(entry.spec.shipped()).name
    t0 = time.perf_counter()
    last = train_entry(entry)
    wall = time.perf_counter() - t0
    write_shipped(entry, last, path, cpu=cpu_name(), torch=str(torch.__version__),
                  script="scripts/make_lenet_assets.py")
    model, _ = read_shipped(entry, path)                  # what the zoo will read
    data = held_out(entry)
    with torch_threads(1), torch.no_grad():
        acc = float((model.eval()(data.x_test).argmax(1) == data.y_test).float().mean())
    if abs(acc - last.accuracy) > 1e-6:
        raise SystemExit(f"{name}: the saved weights score {acc:.4f}, training said {last.accuracy:.4f}")
    row = {"name": name, "title": entry.title, "file": path.name, "spec": entry.spec,
           "accuracy": acc, "seconds": last.seconds, "wall": wall, "n_test": len(data.y_test),
           "n_train": len(data.y_train), "params": sum(p.numel() for p in model.parameters()),
           "bytes": path.stat().st_size, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    print(f"{name}: held-out {entry.spec.measure} {acc * 100:.2f}% on {row['n_test']} examples; "
          f"trained in {last.seconds:.1f} s; {path} {row['bytes'] / 1024:.0f} KiB", flush=True)
    return row


def render_card(rows: list[dict]) -> str:
    def section(r: dict) -> str:
        s = r["spec"]
        return f"""## `{r['file']}` — zoo entry `{r['name']}` ({r['title']})

- **Data**: {s.data}; {r['n_train']:,} training and {r['n_test']:,} held-out examples
  (`{s.trainer.split(':')[1]}`, seed {s.seed}); input {s.input}.
- **Model**: `LeNet5Modern({len(zoo.get_entry(r['name']).meta.labels)})` (ReLU, max pooling),
  {r['params']:,} parameters, float32 state dict ({r['bytes'] / 1024:.0f} KiB).
- **Training**: `{s.trainer}` — Adam, cosine schedule, {s.epochs} epochs, seed {s.seed},
  one CPU thread: **{r['seconds']:.1f} s** ({r['wall']:.1f} s with making the data).
- **Held-out {s.measure}**: **{r['accuracy'] * 100:.2f}%** (measured again from the saved file).
- sha256 `{r['sha256']}`
"""
    return f"""# Bundled LeNet-5 models (scikit-learn's digits)

Written by `scripts/make_lenet_assets.py` (`make assets`). Trained by this project from scratch
on the 8×8 digits that ship with scikit-learn; no outside weights. The recipe is the zoo entry's
own, run by the function the zoo would otherwise run on first use
(`core.zoo.loaders.trained.train_entry`), so no page trains a model when it opens.

Format: `torch.save({{"format", "state_dict", "meta"}})`, read by `core.zoo.loaders.trained.read_shipped`
with `torch.load(weights_only=True)`. The zoo uses a file only when its recipe (trainer, epochs,
seed) matches the entry's; a missing or damaged file makes the zoo train the model here on first
use, and the provenance says so.

Made on {cpu_name()}, torch {torch.__version__}.

{chr(10).join(section(r) for r in rows)}
**Limits.** Digits in scikit-learn's 8×8 style (dark ink, centred, upsampled to 32×32); other
handwriting or photos give arbitrary answers.
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "assets")
    args = ap.parse_args(argv)
    rows = [make(name, args.out) for name in ENTRIES]
    card = args.out / CARD
    card.write_text(render_card(rows))
    print(f"wrote {card}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
