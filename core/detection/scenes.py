"""Generated detection scenes: many small shapes with boxes, the data the bundled detector learns.

The scenes come from the segmentation lab's generator (:mod:`core.segmentation.data`: random
colours, textured shapes and backgrounds, clutter lines, overlaps, blur, noise), set up for
detection: a larger picture (256 px), smaller shapes (radius 4.5–14 % of the side) and more of
them (2–8).  Each visible shape gets the tight box around its *visible* pixels and one of three
classes — circle, square, triangle.  A seed gives the same scene on every machine.

:func:`write_yolo_dataset` writes a data set in the layout ultralytics trains from
(``images/{train,val}/*.jpg``, ``labels/{train,val}/*.txt`` with ``class cx cy w h`` normalised,
and a ``data.yaml``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from core.segmentation import data as _seg

CLASSES: tuple[str, ...] = tuple(_seg.CLASSES[1:])          # circle, square, triangle
#: box colour of each class (RGB), the segmentation palette
COLOURS: tuple[tuple[int, int, int], ...] = tuple(tuple(int(v) for v in c) for c in _seg.PALETTE[1:])

CONFIG = _seg.SceneConfig(size=256, min_shapes=2, max_shapes=8, min_radius=0.045, max_radius=0.14)
MIN_VISIBLE_PX = 40          # a shape showing fewer pixels than this gets no box


@dataclass
class Scene:
    image: np.ndarray         # RGB uint8 H×W×3
    boxes: np.ndarray         # (N, 4) float32 xyxy pixels, the visible extent (x1, y1 inclusive; x2, y2 exclusive)
    classes: np.ndarray       # (N,) int64 indices into CLASSES

    @property
    def names(self) -> list[str]:
        return [CLASSES[c] for c in self.classes]


def scene_from_rng(rng: np.random.Generator, config: _seg.SceneConfig = CONFIG) -> Scene:
    img, _, ids, classes = _seg.instances_from_rng(rng, config)
    boxes, labels = [], []
    for k, cls in enumerate(classes, start=1):
        ys, xs = np.nonzero(ids == k)
        if len(xs) < MIN_VISIBLE_PX:
            continue
        boxes.append((xs.min(), ys.min(), xs.max() + 1, ys.max() + 1))
        labels.append(cls - 1)
    return Scene(img, np.asarray(boxes, np.float32).reshape(-1, 4), np.asarray(labels, np.int64))


def scene(seed: int, size: int | tuple[int, int] = CONFIG.size, **kw) -> Scene:
    """The detection scene for ``seed`` (the same on every machine)."""
    cfg = _seg.SceneConfig(**{**CONFIG.__dict__, "size": size, **kw})
    return scene_from_rng(np.random.default_rng(seed), cfg)


def scenes(n: int, seed: int, size: int | tuple[int, int] = CONFIG.size) -> list[Scene]:
    """``n`` scenes from one generator seeded with ``seed``."""
    rng = np.random.default_rng(seed)
    cfg = _seg.SceneConfig(**{**CONFIG.__dict__, "size": size})
    return [scene_from_rng(rng, cfg) for _ in range(n)]


def yolo_label_lines(s: Scene) -> list[str]:
    """``class cx cy w h`` lines, normalised to the image, as ultralytics reads them."""
    h, w = s.image.shape[:2]
    lines = []
    for (x1, y1, x2, y2), c in zip(s.boxes, s.classes):
        lines.append(f"{int(c)} {(x1 + x2) / 2 / w:.6f} {(y1 + y2) / 2 / h:.6f} "
                     f"{(x2 - x1) / w:.6f} {(y2 - y1) / h:.6f}")
    return lines


def write_yolo_dataset(root: str | Path, n_train: int, n_val: int, seed: int = 0,
                       size: int = CONFIG.size, progress=None) -> Path:
    """Write a generated data set for ultralytics under ``root``; returns the ``data.yaml`` path.

    Train and val scenes come from different generators (``seed`` and ``seed + 1``), so the
    validation scenes are never seen in training.  ``progress(done, total)`` is called as it goes.
    """
    root = Path(root)
    total = n_train + n_val
    done = 0
    for split, n, s in (("train", n_train, seed), ("val", n_val, seed + 1)):
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
        (root / "labels" / split).mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(s)
        cfg = _seg.SceneConfig(**{**CONFIG.__dict__, "size": size})
        for i in range(n):
            sc = scene_from_rng(rng, cfg)
            name = f"{split}_{i:05d}"
            cv2.imwrite(str(root / "images" / split / f"{name}.jpg"),
                        cv2.cvtColor(sc.image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
            (root / "labels" / split / f"{name}.txt").write_text("\n".join(yolo_label_lines(sc)) + "\n")
            done += 1
            if progress:
                progress(done, total)
    names = "\n".join(f"  {i}: {n}" for i, n in enumerate(CLASSES))
    yaml = root / "data.yaml"
    yaml.write_text(f"path: {root.resolve()}\ntrain: images/train\nval: images/val\nnames:\n{names}\n")
    return yaml


def line_width(shape, stroke: float = 1.0) -> int:
    """Box line width for a picture of ``shape`` (H, W, …): 1/128 of its longer side, at least
    2 px (3 px on the 384 px scenes, 8 px on a 1024 px picture), times ``stroke``."""
    return max(2, round(max(shape[:2]) / 128 * stroke))


def draw(s: Scene, stroke: float = 1.0) -> np.ndarray:
    """The scene with its ground-truth boxes drawn (for cards and the page): class colours over a
    dark outline, so a box shows on any background, lines as wide as :func:`line_width`."""
    out = s.image.copy()
    t = line_width(out.shape, stroke)
    for (x1, y1, x2, y2), c in zip(s.boxes.astype(int), s.classes):
        cv2.rectangle(out, (x1, y1), (x2 - 1, y2 - 1), (20, 20, 20), t + 2)
        cv2.rectangle(out, (x1, y1), (x2 - 1, y2 - 1), COLOURS[c], t)
    return out
