"""Faces: detection, landmarks, alignment and 128-D descriptors with dlib's pretrained models.

The pipeline of a face-recognition system, one function per step:

1. :func:`detect` — find faces: dlib's HOG + linear SVM detector, or OpenCV's Haar cascade
   (Viola–Jones, the classic one).
2. :func:`landmarks` — 68 points (jaw, brows, nose, eyes, mouth) or 5 points (eye corners,
   nose), by dlib's regression-tree shape predictors. The notes' landmark network outputs
   1 + 2·n numbers: "is there a face" plus (x, y) for each of n points.
3. :func:`align` — rotate, scale and crop so the eyes and nose land in the same place: a
   150×150 "face chip".
4. the descriptor — dlib's ResNet (29 conv layers, trained with a metric loss on ~3 million
   faces) maps the chip to 128 numbers; two faces of the same person are usually closer than
   0.6 in Euclidean distance (dlib reports 99.38 % on the LFW benchmark).

Models come from the ``face-recognition-models`` package (its ``import`` fails on new
setuptools because it needs ``pkg_resources``, so the files are located with
``importlib.util.find_spec``). :func:`load_face_models` loads them once per process behind a
lock; dlib objects are not documented as thread-safe, so every call into them holds
``models.lock`` (the webcam thread and the page thread may both use them).

Nothing here writes to disk: uploaded faces live only in the arrays the caller keeps.
"""
from __future__ import annotations

import importlib.util
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import cv2
import numpy as np

from core import textdraw
from core.i18n import N_, _

DETECTORS = ("hog", "haar")
DEFAULT_THRESHOLD = 0.6  # dlib's same-person distance threshold
CHIP_SIZE = 150
CHIP_PADDING = 0.25

_FILES = {
    "shape68": "shape_predictor_68_face_landmarks.dat",
    "shape5": "shape_predictor_5_face_landmarks.dat",
    "encoder": "dlib_face_recognition_resnet_model_v1.dat",
}

# The 68-point scheme (iBUG 300-W): index ranges of each part, for drawing.
PARTS_68 = {
    "jaw": range(0, 17), "right brow": range(17, 22), "left brow": range(22, 27),
    "nose bridge": range(27, 31), "nose": range(31, 36), "right eye": range(36, 42),
    "left eye": range(42, 48), "outer lips": range(48, 60), "inner lips": range(60, 68),
}
_CLOSED = {"right eye", "left eye", "outer lips", "inner lips"}


class FaceModelsUnavailable(RuntimeError):
    """dlib or the model files are missing; the message says what to install."""


@dataclass
class FaceModels:
    detector: object        # dlib.fhog_object_detector (HOG + linear SVM)
    shape68: object         # dlib.shape_predictor, 68 points
    shape5: object          # dlib.shape_predictor, 5 points
    encoder: object         # dlib.face_recognition_model_v1 (ResNet, 128-D)
    haar: cv2.CascadeClassifier
    files: dict[str, Path]
    load_seconds: float
    lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def provenance(self) -> str:
        """Which models these are and where they come from (names, never local paths); a
        message the page shows with ``tr``."""
        return _("dlib's ResNet face descriptor `dlib_face_recognition_resnet_model_v1` (128-D, "
                "trained by Davis King on about 3 million faces, 99.38 % on LFW) and its 68- and "
                "5-point landmark predictors, from the `face-recognition-models` package on PyPI; "
                "HOG + SVM face detector built into dlib; Haar cascade "
                "`haarcascade_frontalface_default.xml` shipped with OpenCV")


_MODELS: FaceModels | None = None
_LOAD_LOCK = threading.Lock()


def model_dir() -> Path:
    """Folder of the ``face-recognition-models`` package's .dat files (without importing it)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FaceModelsUnavailable(
            _("The face models are not installed: `pip install face-recognition-models dlib-bin`."))
    folder = Path(list(spec.submodule_search_locations)[0]) / "models"
    missing = [f for f in _FILES.values() if not (folder / f).exists()]
    if missing:
        raise FaceModelsUnavailable(_("The face-recognition-models package lacks {files} "
                                      "in {folder}; reinstall it.", files=", ".join(missing),
                                      folder=str(folder)))
    return folder


def load_face_models() -> FaceModels:
    """dlib's detector, shape predictors and ResNet encoder plus OpenCV's Haar cascade, loaded
    once per process (about 0.7 s) and shared."""
    global _MODELS
    if _MODELS is not None:
        return _MODELS
    with _LOAD_LOCK:
        if _MODELS is not None:
            return _MODELS
        try:
            import dlib
        except ImportError as e:
            raise FaceModelsUnavailable(_("dlib is not installed: `pip install dlib-bin`.")) from e
        t0 = time.perf_counter()
        folder = model_dir()
        files = {k: folder / f for k, f in _FILES.items()}
        haar_path = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"
        haar = cv2.CascadeClassifier(str(haar_path))
        if haar.empty():
            raise FaceModelsUnavailable(_("OpenCV's Haar cascade could not be read from {path}.",
                                          path=str(haar_path)))
        files["haar"] = haar_path
        _MODELS = FaceModels(
            detector=dlib.get_frontal_face_detector(),
            shape68=dlib.shape_predictor(str(files["shape68"])),
            shape5=dlib.shape_predictor(str(files["shape5"])),
            encoder=dlib.face_recognition_model_v1(str(files["encoder"])),
            haar=haar, files=files, load_seconds=time.perf_counter() - t0)
        return _MODELS


@dataclass
class Face:
    """One face found in a picture (coordinates in that picture's pixels)."""

    box: tuple[int, int, int, int]          # x0, y0, x1, y1
    score: float                            # detector confidence (HOG: SVM margin; Haar: last stage's weight)
    detector: str
    landmarks: np.ndarray                   # (68, 2) float x, y
    landmarks5: np.ndarray                  # (5, 2)
    chip: np.ndarray                        # aligned RGB uint8 150×150
    descriptor: np.ndarray                  # (128,) float64

    @property
    def size(self) -> int:
        return int(max(self.box[2] - self.box[0], self.box[3] - self.box[1]))


def _rgb(image: np.ndarray) -> np.ndarray:
    img = np.asarray(image)
    if img.ndim == 2:
        img = np.stack([img] * 3, -1)
    elif img.ndim == 3 and img.shape[2] == 4:
        img = img[..., :3]
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"Expected an RGB image H×W×3, got shape {img.shape}.")
    if img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(img)


MIN_SCORE = {"hog": 0.2, "haar": 0.0}


def detect(image: np.ndarray, method: str = "hog", upsample: int = 1, *,
           max_side: int | None = 1024, min_score: float | None = None,
           models: FaceModels | None = None
           ) -> list[tuple[tuple[int, int, int, int], float]]:
    """Face boxes (x0, y0, x1, y1) with scores, largest score first.

    ``hog``: dlib's HOG detector; ``upsample`` doubles the picture that many times first, to
    find faces smaller than its 80×80 window. ``haar``: OpenCV's cascade (scale factor 1.1,
    5 neighbours; the score is the weight of the cascade's last stage, as OpenCV's
    ``detectMultiScale3`` reports it). Detection runs on a copy whose
    longer side is at most ``max_side`` (faster on big photos); boxes are in the original's
    pixels. Boxes scoring below ``min_score`` are dropped (default: 0.2 for HOG, which removes
    e.g. the mission patch on the astronaut's suit; none for Haar).
    """
    if method not in DETECTORS:
        raise ValueError(f"Unknown face detector {method!r}; choose one of {', '.join(DETECTORS)}.")
    m = models or load_face_models()
    img = _rgb(image)
    h, w = img.shape[:2]
    scale = 1.0
    if max_side and max(h, w) > max_side:
        scale = max_side / max(h, w)
        img = cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))),
                         interpolation=cv2.INTER_AREA)
    out = []
    if method == "hog":
        with m.lock:
            rects, scores, _kinds = m.detector.run(img, int(upsample), 0.0)
        for r, s in zip(rects, scores):
            out.append(((r.left(), r.top(), r.right(), r.bottom()), float(s)))
    else:
        grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
        grey = cv2.equalizeHist(grey)
        with m.lock:
            found = m.haar.detectMultiScale3(grey, scaleFactor=1.1, minNeighbors=5,
                                             minSize=(24, 24), outputRejectLevels=True)
        rects, _levels, weights = found
        for (x, y, bw, bh), s in zip(np.asarray(rects).reshape(-1, 4),
                                     np.asarray(weights).reshape(-1)):
            out.append(((int(x), int(y), int(x + bw), int(y + bh)), float(s)))
    floor = MIN_SCORE[method] if min_score is None else float(min_score)
    boxes = []
    for (x0, y0, x1, y1), s in out:
        b = tuple(int(round(v / scale)) for v in (x0, y0, x1, y1))
        b = (max(0, b[0]), max(0, b[1]), min(w, b[2]), min(h, b[3]))
        if b[2] > b[0] and b[3] > b[1] and s >= floor:
            boxes.append((b, s))
    boxes.sort(key=lambda t: -t[1])
    return boxes


def _rect(box):
    import dlib

    x0, y0, x1, y1 = (int(v) for v in box)
    return dlib.rectangle(x0, y0, x1, y1)


def _points(shape) -> np.ndarray:
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)


def landmarks(image: np.ndarray, box, points: int = 68, *, models: FaceModels | None = None
              ) -> np.ndarray:
    """(points, 2) x, y landmark coordinates inside ``box`` (68 or 5 points)."""
    if points not in (5, 68):
        raise ValueError("dlib's shape predictors give 5 or 68 points.")
    m = models or load_face_models()
    img = _rgb(image)
    with m.lock:
        shape = (m.shape68 if points == 68 else m.shape5)(img, _rect(box))
    return _points(shape)


def align(image: np.ndarray, box, size: int = CHIP_SIZE, padding: float = CHIP_PADDING, *,
          models: FaceModels | None = None) -> np.ndarray:
    """Aligned face chip (size×size RGB): eyes and nose moved to fixed places by a similarity
    transform fitted to the 5 landmarks."""
    import dlib

    m = models or load_face_models()
    img = _rgb(image)
    with m.lock:
        shape = m.shape5(img, _rect(box))
        return np.asarray(dlib.get_face_chip(img, shape, size=size, padding=padding))


def describe_chip(chip: np.ndarray, jitter: int = 0, *, models: FaceModels | None = None
                  ) -> np.ndarray:
    """128-D descriptor of an aligned 150×150 chip (``jitter`` > 0 averages that many
    randomly jittered copies: slower, slightly more accurate)."""
    m = models or load_face_models()
    chip = _rgb(chip)
    if chip.shape[:2] != (CHIP_SIZE, CHIP_SIZE):
        chip = cv2.resize(chip, (CHIP_SIZE, CHIP_SIZE), interpolation=cv2.INTER_AREA)
    with m.lock:
        d = m.encoder.compute_face_descriptor(chip, int(jitter))
    return np.array(d, dtype=np.float64)


def embed_face_in_box(image: np.ndarray, box, *, score: float = 0.0, detector: str = "given",
                      jitter: int = 0, models: FaceModels | None = None) -> Face:
    """Landmarks, aligned chip and descriptor of the face inside a known box."""
    import dlib

    m = models or load_face_models()
    img = _rgb(image)
    rect = _rect(box)
    with m.lock:
        s68 = m.shape68(img, rect)
        s5 = m.shape5(img, rect)
        chip = np.asarray(dlib.get_face_chip(img, s5, size=CHIP_SIZE, padding=CHIP_PADDING))
        desc = np.array(m.encoder.compute_face_descriptor(chip, int(jitter)), dtype=np.float64)
    return Face(box=tuple(int(v) for v in box), score=float(score), detector=detector,
                landmarks=_points(s68), landmarks5=_points(s5), chip=chip, descriptor=desc)


def embed_faces(image: np.ndarray, *, detector: str = "hog", upsample: int = 1,
                max_faces: int | None = None, jitter: int = 0, max_side: int | None = 1024,
                min_score: float | None = None, models: FaceModels | None = None) -> list[Face]:
    """Every face in ``image``: box, landmarks (68 and 5), aligned chip and 128-D descriptor."""
    m = models or load_face_models()
    img = _rgb(image)
    found = detect(img, detector, upsample, max_side=max_side, min_score=min_score, models=m)
    if max_faces is not None:
        found = found[:max_faces]
    return [embed_face_in_box(img, b, score=s, detector=detector, jitter=jitter, models=m)
            for b, s in found]


def central_face(faces: Sequence[Face], shape: tuple[int, ...]) -> Face | None:
    """The face whose box centre is nearest the picture's centre (for cropped datasets)."""
    if not faces:
        return None
    cy, cx = shape[0] / 2, shape[1] / 2
    return min(faces, key=lambda f: ((f.box[0] + f.box[2]) / 2 - cx) ** 2
               + ((f.box[1] + f.box[3]) / 2 - cy) ** 2)


def face_distance(a, b) -> np.ndarray | float:
    """Euclidean distance between descriptors (a: (128,) or (N,128); b likewise)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    d = np.linalg.norm(np.atleast_2d(a)[:, None, :] - np.atleast_2d(b)[None, :, :], axis=-1)
    if a.ndim == 1 and b.ndim == 1:
        return float(d[0, 0])
    if a.ndim == 1:
        return d[0]
    if b.ndim == 1:
        return d[:, 0]
    return d


# ------------------------------------------------------------------------------ gallery


@dataclass
class Gallery:
    """Enrolled people: a name, a descriptor and a thumbnail each (kept in memory only).

    One picture per person is enough (one-shot): identification is the nearest enrolled
    descriptor, and "unknown" when even that is farther than the threshold τ.
    """

    names: list[str] = field(default_factory=list)
    descriptors: list[np.ndarray] = field(default_factory=list)
    chips: list[np.ndarray] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.names)

    @property
    def people(self) -> list[str]:
        return list(dict.fromkeys(self.names))

    def enroll(self, name: str, face: Face) -> None:
        name = (name or "").strip()
        if not name:
            raise ValueError(_("Give the person a name before enrolling them."))
        self.names.append(name)
        self.descriptors.append(np.asarray(face.descriptor, dtype=np.float64))
        self.chips.append(face.chip)

    def remove(self, index: int) -> None:
        for lst in (self.names, self.descriptors, self.chips):
            del lst[index]

    def clear(self) -> None:
        self.names.clear(); self.descriptors.clear(); self.chips.clear()

    def match(self, descriptor, threshold: float = DEFAULT_THRESHOLD) -> tuple[str | None, float]:
        """(name of the nearest enrolled face or None when farther than τ, its distance)."""
        if not self.names:
            return None, float("inf")
        d = face_distance(np.stack(self.descriptors), np.asarray(descriptor))
        i = int(np.argmin(d))
        return (self.names[i] if d[i] <= threshold else None), float(d[i])

    def as_set(self) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        """The gallery as a labelled set: (descriptors (N, 128), names, chips)."""
        return (np.stack(self.descriptors).reshape(-1, 128) if self.descriptors
                else np.zeros((0, 128)), np.array(self.names), list(self.chips))


# ------------------------------------------------------------------------------ drawing

GREEN, RED, AMBER = (40, 200, 90), (230, 60, 60), (245, 166, 35)


def draw_landmarks(image: np.ndarray, points: np.ndarray, colour=(0, 255, 255),
                   lines: bool = True) -> np.ndarray:
    """Draw 68 (or 5) landmarks, joined part by part when there are 68."""
    out = _rgb(image).copy()
    r = max(1, round(max(out.shape[:2]) / 400))
    pts = np.round(points).astype(np.int32)
    if lines and len(pts) == 68:
        for name, idx in PARTS_68.items():
            poly = pts[list(idx)].reshape(-1, 1, 2)
            cv2.polylines(out, [poly], name in _CLOSED, (255, 255, 255), max(1, r // 2), cv2.LINE_AA)
    for x, y in pts:
        cv2.circle(out, (int(x), int(y)), r + 1, colour, -1, cv2.LINE_AA)
    return out


GREY = (150, 150, 150)


def label_origin(box, text_size: tuple[int, int], baseline: int, shape: tuple[int, ...]
                 ) -> tuple[int, int]:
    """Where a box's label goes: (x, text baseline y) so that the whole label rectangle,
    ``text_size`` (w, h) plus 6 px padding, lies inside a picture of ``shape``. Above the box
    when there is room, else just under its top edge inside it; shifted left at the right edge."""
    h, w = shape[:2]
    x0, y0, x1, y1 = (int(v) for v in box)
    tw, th = text_size
    x = min(max(0, x0), max(0, w - tw - 6))
    y = y0 - 4 if y0 - th - baseline - 6 >= 0 else y0 + th + 6
    y = min(max(y, th + baseline + 2), h - baseline - 1)
    return x, y


def draw_box(image: np.ndarray, box, label: str = "", colour=GREEN, *, dashed: bool = False
             ) -> np.ndarray:
    """The box with its label on a filled tag; the tag always stays inside the picture."""
    out = _rgb(image).copy()
    x0, y0, x1, y1 = (int(v) for v in box)
    t = max(2, round(max(out.shape[:2]) / 300))
    if dashed:
        _dashed_rectangle(out, (x0, y0), (x1, y1), colour, t)
    else:
        cv2.rectangle(out, (x0, y0), (x1, y1), colour, t, cv2.LINE_AA)
    if label:
        # as big as the face allows, and legible on a big picture (a projector) however small it is
        scale = max(0.45, min(1.2, max((x1 - x0) / 160, max(out.shape[:2]) / 1400)))
        th = max(1, t // 2)
        (tw, tht), base = textdraw.text_size(label, cv2.FONT_HERSHEY_SIMPLEX, scale, th)
        tx, ty = label_origin(box, (tw, tht), base, out.shape)
        cv2.rectangle(out, (tx, ty - tht - base - 2), (tx + tw + 6, ty + base - 2), colour, -1)
        textdraw.put_text(out, label, (tx + 3, ty - base), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    (255, 255, 255), th, cv2.LINE_AA)
    return out


def _dashed_rectangle(out: np.ndarray, p0, p1, colour, t: int, dash: int = 10) -> None:
    (x0, y0), (x1, y1) = p0, p1
    for a, b in (((x0, y0), (x1, y0)), ((x1, y0), (x1, y1)), ((x1, y1), (x0, y1)),
                 ((x0, y1), (x0, y0))):
        n = max(1, int(np.hypot(b[0] - a[0], b[1] - a[1]) // (2 * dash)))
        for k in range(n):
            s, e = k / n, (k + 0.5) / n
            cv2.line(out, (round(a[0] + (b[0] - a[0]) * s), round(a[1] + (b[1] - a[1]) * s)),
                     (round(a[0] + (b[0] - a[0]) * e), round(a[1] + (b[1] - a[1]) * e)),
                     colour, t, cv2.LINE_AA)


# the labels draw_faces draws (English; a page passes them translated)
FACE_TEXTS = {"kept": N_("face {n} ({score:.2f})"), "dropped": N_("face {n} ({score:.2f}) dropped")}


def draw_faces(image: np.ndarray, faces: Iterable[Face], labels: Sequence[str] | None = None,
               show_landmarks: bool = True, kept: Sequence[bool] | None = None,
               texts: dict[str, str] | None = None) -> np.ndarray:
    """Every face boxed with its number and detector score ("face 1 (1.16)"); faces not
    ``kept`` (dropped by a score threshold or by hand) get a grey dashed box and no landmarks.
    ``texts``: the labels in another language, templates keyed like :data:`FACE_TEXTS`."""
    texts = {**FACE_TEXTS, **(texts or {})}
    out = _rgb(image).copy()
    for i, f in enumerate(faces):
        keep = kept is None or bool(kept[i])
        text = labels[i] if labels else texts["kept" if keep else "dropped"].format(n=i + 1, score=f.score)
        out = draw_box(out, f.box, text, AMBER if keep else GREY, dashed=not keep)
        if show_landmarks and keep:
            out = draw_landmarks(out, f.landmarks)
    return out


def kept_faces(faces: Sequence[Face], min_score: float | None = None,
               dropped: Iterable[int] = ()) -> list[bool]:
    """Which faces to describe: score at least ``min_score`` and not one of the ``dropped``
    indices (false detections a person has ruled out)."""
    out = set(int(i) for i in dropped)
    return [(min_score is None or f.score >= min_score) and i not in out
            for i, f in enumerate(faces)]


def landmarks_closeup(image: np.ndarray, face: Face) -> np.ndarray:
    """The face's box with a margin of a quarter of its size (at least 8 px), cut out of the
    picture, with the 68 landmarks drawn on it."""
    img = _rgb(image)
    pad = max(8, face.size // 4)
    x0, y0 = max(0, face.box[0] - pad), max(0, face.box[1] - pad)
    x1, y1 = min(img.shape[1], face.box[2] + pad), min(img.shape[0], face.box[3] + pad)
    return draw_landmarks(img[y0:y1, x0:x1], face.landmarks - [x0, y0])


# the labels recognize_frame draws (English; a page passes them translated)
RECOGNIZE_TEXTS = {"empty": N_("face (gallery empty)"), "unknown": N_("unknown {distance:.2f}")}


def recognize_frame(frame: np.ndarray, gallery: Gallery | None = None,
                    threshold: float = DEFAULT_THRESHOLD, detector: str = "hog",
                    upsample: int = 0, show_landmarks: bool = False,
                    found: Sequence[Face] | None = None,
                    texts: dict[str, str] | None = None) -> tuple[np.ndarray, list[dict]]:
    """Frame function: every face boxed and named — green for the nearest enrolled person
    within τ, red for "unknown" — with its distance. Returns (frame, [{name, distance, box}]).
    ``found``: the faces :func:`embed_faces` already found in ``frame`` with these settings (a
    caller that caches them; only the matching and drawing are done again). ``texts``: the
    drawn labels in another language, templates keyed like :data:`RECOGNIZE_TEXTS`."""
    texts = {**RECOGNIZE_TEXTS, **(texts or {})}
    img = _rgb(frame)
    faces = list(found) if found is not None else embed_faces(img, detector=detector, upsample=upsample)
    out, data = img.copy(), []
    for f in faces:
        name, dist = (gallery.match(f.descriptor, threshold) if gallery is not None and len(gallery)
                      else (None, float("inf")))
        if gallery is None or not len(gallery):
            label, colour = texts["empty"], AMBER
        elif name is None:
            label, colour = texts["unknown"].format(distance=dist), RED
        else:
            label, colour = f"{name} {dist:.2f}", GREEN
        out = draw_box(out, f.box, label, colour)
        if show_landmarks:
            out = draw_landmarks(out, f.landmarks)
        data.append({"name": name, "distance": dist, "box": f.box})
    return out, data


# ------------------------------------------------------------------------------ demos


def crop(image: np.ndarray, box, size: int = CHIP_SIZE) -> np.ndarray:
    """The box cut out and resized to size×size, *without* alignment (what pixels see)."""
    img = _rgb(image)
    x0, y0, x1, y1 = (int(v) for v in box)
    return cv2.resize(img[max(0, y0):y1, max(0, x0):x1], (size, size), interpolation=cv2.INTER_AREA)


def pixel_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between two same-size pictures with pixel values scaled to [0, 1]."""
    a = np.asarray(a, dtype=np.float64) / 255.0
    b = np.asarray(b, dtype=np.float64) / 255.0
    return float(np.linalg.norm(a - b))


def variants(image: np.ndarray) -> dict[str, np.ndarray]:
    """The same picture changed in ways that keep the person: mirrored, darker, rotated 12°,
    shifted — far apart in pixels, close as descriptors."""
    img = _rgb(image)
    h, w = img.shape[:2]
    rot = cv2.warpAffine(img, cv2.getRotationMatrix2D((w / 2, h / 2), 12, 1.0), (w, h),
                         borderMode=cv2.BORDER_REFLECT)
    shift = cv2.warpAffine(img, np.float32([[1, 0, w * 0.04], [0, 1, h * 0.03]]), (w, h),
                           borderMode=cv2.BORDER_REFLECT)
    dark = np.clip(img.astype(np.float32) * 0.55 + 10, 0, 255).astype(np.uint8)
    return {N_("mirrored"): np.ascontiguousarray(img[:, ::-1]), N_("darker"): dark,
            N_("rotated 12°"): rot, N_("shifted"): shift}


def changed_copy(image: np.ndarray, angle: float = 8.0, brightness: float = 0.7) -> np.ndarray:
    """Another picture of the same people when only one photo of them ships: mirrored, rotated
    ``angle`` degrees and darker — every pixel differs from the original's (a query for a
    gallery enrolled from the original)."""
    img = np.ascontiguousarray(_rgb(image)[:, ::-1])
    h, w = img.shape[:2]
    img = cv2.warpAffine(img, cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0), (w, h),
                         borderMode=cv2.BORDER_REFLECT)
    return np.clip(img.astype(np.float32) * brightness, 0, 255).astype(np.uint8)


def pixel_vs_embedding(reference: np.ndarray, others: dict[str, np.ndarray], *,
                       upsample: int = 1) -> list[dict]:
    """For the main face of ``reference`` and of each other picture: the distance between the
    fixed-box pixel crops (the box of the reference face, as a pixel search would compare)
    and between the 128-D descriptors. Pictures with no face are skipped."""
    ref_faces = embed_faces(reference, upsample=upsample)
    if not ref_faces:
        raise ValueError(_("No face was found in the reference picture."))
    ref = max(ref_faces, key=lambda f: f.score)
    ref_crop = crop(reference, ref.box)
    rows = [{"picture": N_("reference"), "crop": ref_crop, "chip": ref.chip, "pixel distance": 0.0,
             "descriptor distance": 0.0}]
    for name, img in others.items():
        fs = embed_faces(img, upsample=upsample)
        if not fs:
            continue
        f = max(fs, key=lambda f: f.score)
        same_size = img.shape == reference.shape
        c = crop(img, ref.box if same_size else f.box)
        rows.append({"picture": name, "crop": c, "chip": f.chip,
                     "pixel distance": pixel_distance(ref_crop, c),
                     "descriptor distance": float(face_distance(ref.descriptor, f.descriptor))})
    return rows


# ------------------------------------------------------------------------------ labelled sets

# (sample picture, which face from the left, name): the people of the bundled samples (a name
# that is a description is marked, for pages to show translated)
SAMPLE_PEOPLE = (("astronaut", 0, "Eileen Collins"), ("zidane", 0, "Carlo Ancelotti"),
                 ("bus", 0, N_("Bus passenger")))


def nth_from_left(faces: Sequence[Face], index: int) -> Face | None:
    """The ``index``-th face counted from the left edge of the picture (None if there are fewer)."""
    ordered = sorted(faces, key=lambda f: f.box[0])
    return ordered[index] if 0 <= index < len(ordered) else None


def labelled_arrays(faces: Sequence[Face], names: Sequence[str]
                    ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Faces and their people as a labelled set: (descriptors (N, 128), names, chips)."""
    if len(faces) != len(names):
        raise ValueError(_("Give one name per face."))
    desc = np.array([f.descriptor for f in faces], dtype=np.float64).reshape(-1, 128)
    return desc, np.array(list(names)), [f.chip for f in faces]


def person_from_filename(filename: str) -> str:
    """The person a picture shows, from its file name: ``Ada_Lovelace_2.jpg`` → ``Ada_Lovelace``
    (the extension, then trailing digits, separators and spaces are dropped)."""
    stem = filename.rsplit(".", 1)[0]
    return stem.rstrip("0123456789").rstrip("_- ") or stem


def sample_labelled_set(*, models: FaceModels | None = None
                        ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Faces from the bundled samples plus changed copies (mirrored, darker, rotated, shifted):
    a small labelled set that needs no network and no shared data."""
    from core import images

    m = models or load_face_models()
    found, names = [], []
    for sample, index, name in SAMPLE_PEOPLE:
        img = images.load_sample(sample, max_side=1280)
        base = nth_from_left(embed_faces(img, upsample=1, models=m), index)
        if base is None:
            continue
        found.append(base)
        names.append(name)
        for variant in variants(img).values():
            fs = embed_faces(variant, upsample=1, models=m)
            if fs:   # the copies move the face: take the one most like the original
                found.append(min(fs, key=lambda f: face_distance(f.descriptor, base.descriptor)))
                names.append(name)
    return labelled_arrays(found, names)


def same_person_share(rows: Sequence[dict]) -> tuple[float, float] | None:
    """From :func:`pixel_vs_embedding`'s rows: the largest distance of a changed copy of the
    reference as a share of the stranger's ("another person"), in pixels and as descriptors;
    None without a stranger or a changed copy."""
    stranger = [r for r in rows if r["picture"] == "another person"]
    changed = [r for r in rows if r["picture"] not in ("reference", "another person")]
    if not stranger or not changed:
        return None
    s = stranger[0]
    px = max(r["pixel distance"] for r in changed) / s["pixel distance"]
    em = max(r["descriptor distance"] for r in changed) / s["descriptor distance"]
    return px, em
