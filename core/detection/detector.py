"""One detector interface over ultralytics YOLO: detections *and* the raw candidates before NMS.

``Detector(loaded_model).detect(image, conf, iou)`` runs ultralytics' own ``predict`` once (its
letterbox, its NMS, so results are exactly what ultralytics gives) and, through a forward hook
on the network, keeps the raw head output too: every anchor's box and best class score.  Those
candidates are what NMS works on, so the Detection lab can show "before NMS" and step through
NMS on the model's real numbers.

The model comes from the zoo: ``yolo11n`` (COCO, 80 classes) when its weights can be had,
otherwise the project's bundled shapes detector (``assets/detector_shapes.pt``, circles,
squares and triangles; card ``assets/detector_shapes.md``), with its provenance saying so.

Videos are decoded from memory with PyAV (nothing uploaded is written to disk) and the
annotated result is encoded to MP4 in memory.
"""
from __future__ import annotations

import colorsys
import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import cv2
from core.i18n import _
import numpy as np

from core import textdraw
from ..snapshots import Snapshot

BUNDLED_PATH = Path(__file__).resolve().parents[2] / "assets" / "detector_shapes.pt"


MAX_VIDEO_PIXELS = 3840 * 2160       # 4K: larger frames are refused before decoding


class VideoError(ValueError):
    """An uploaded file that cannot be read as a video."""


# --------------------------------------------------------------------------- results

@dataclass
class Candidates:
    """The network's raw predictions for one image: one row per anchor point whose best class
    score passed ``floor``, in original-image pixels (xyxy)."""
    boxes: np.ndarray          # (N, 4) float32, image pixels, not clipped to the image
    scores: np.ndarray         # (N,) best class score, sorted high to low
    classes: np.ndarray        # (N,) int64 best class
    floor: float
    total_anchors: int         # anchor points the head predicts for this input size
    net_boxes: np.ndarray      # (N, 4) the same boxes in the letterboxed input the network saw:
                               # the space ultralytics runs its NMS in

    def clipped(self, shape: tuple[int, int]) -> np.ndarray:
        h, w = shape
        return np.clip(self.boxes, 0, [w, h, w, h]).astype(np.float32)


@dataclass
class DetectResult:
    boxes: np.ndarray          # (K, 4) float32 xyxy, original-image pixels
    scores: np.ndarray         # (K,)
    classes: np.ndarray        # (K,) int64
    names: list[str]           # all class names of the model
    candidates: Candidates
    kept: np.ndarray           # indices into ``candidates`` of the boxes ultralytics' NMS keeps
                               # (recomputed by :func:`ultralytics_nms`; equals ``boxes`` once clipped)
    image_shape: tuple[int, int]
    input_shape: tuple[int, int]   # the letterboxed size the network saw (H, W)
    speed_ms: dict[str, float]     # preprocess / inference / postprocess (ultralytics) + total
    conf: float
    iou: float

    def __len__(self) -> int:
        return len(self.scores)

    @property
    def labels(self) -> list[str]:
        return [self.names[c] for c in self.classes]

    def rows(self) -> list[dict[str, Any]]:
        """One dict per detection, for a table."""
        return [{"class": self.names[c], "confidence": round(float(s), 3),
                 "x1": round(float(b[0]), 1), "y1": round(float(b[1]), 1),
                 "x2": round(float(b[2]), 1), "y2": round(float(b[3]), 1),
                 "width": round(float(b[2] - b[0]), 1), "height": round(float(b[3] - b[1]), 1)}
                for b, s, c in zip(self.boxes, self.scores, self.classes)]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for n in self.labels:
            out[n] = out.get(n, 0) + 1
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))


# --------------------------------------------------------------------------- drawing

def class_colour(c: int, n: int = 80) -> tuple[int, int, int]:
    """A distinct RGB colour per class (golden-ratio hues)."""
    if n <= 3:  # the shapes detector: the segmentation palette
        from .scenes import COLOURS

        return COLOURS[int(c) % len(COLOURS)]
    h = (int(c) * 0.618033988749895) % 1.0
    r, g, b = colorsys.hsv_to_rgb(h, 0.85, 0.95)
    return int(r * 255), int(g * 255), int(b * 255)


#: (outline, halo) RGB under a box drawn with ``halo=True``: dark next to the line, light outside
HALO = ((20, 20, 20), (255, 255, 255))


def _dashes(x1: int, y1: int, x2: int, y2: int, t: int) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The dashes of a dashed box with line width ``t``: each side starts and ends with one."""
    dash, gap = 4 * t + 2, 3 * t + 4
    out = []
    for p, q in (((x1, y1), (x2, y1)), ((x1, y2), (x2, y2)), ((x1, y1), (x1, y2)),
                 ((x2, y1), (x2, y2))):
        length = max(abs(q[0] - p[0]), abs(q[1] - p[1]))
        n = max(1, round((length + gap) / (dash + gap)))   # dashes at both corners
        step = (length - dash) / (n - 1) if n > 1 else 0
        for k in range(n):
            a = k * step / length if length else 0
            e = min(1.0, (k * step + dash) / length) if length else 1
            out.append(((round(p[0] + (q[0] - p[0]) * a), round(p[1] + (q[1] - p[1]) * a)),
                        (round(p[0] + (q[0] - p[0]) * e), round(p[1] + (q[1] - p[1]) * e))))
    return out


def _lines(out: np.ndarray, x1: int, y1: int, x2: int, y2: int, segments, col, t: int) -> None:
    """A box's outline: the ``segments`` of a dashed one, or the whole rectangle."""
    if segments is None:
        cv2.rectangle(out, (x1, y1), (x2, y2), col, t, cv2.LINE_AA)
    for p, q in segments or ():
        cv2.line(out, p, q, col, t, cv2.LINE_AA)


def draw_boxes(image: np.ndarray, boxes: np.ndarray, classes: np.ndarray | None = None,
               scores: np.ndarray | None = None, names: list[str] | None = None, *,
               colour: tuple[int, int, int] | None = None, thickness: int | None = None,
               labels: bool = True, n_classes: int | None = None, stroke: float = 1.0,
               dashed: bool = False, label_at: str = "top", halo: bool = False,
               texts: list[str] | None = None) -> np.ndarray:
    """Boxes with "name 0.87" labels on a copy of an RGB image.

    ``stroke`` multiplies line widths and label size (presentation mode passes 1.5, so boxes and
    labels stay legible from the back of a room); ``dashed`` draws dashes that start and end at
    the corners; ``label_at="bottom"`` puts the label under the box's bottom-right corner instead
    of over its top-left one (for boxes drawn over another box's label); ``halo`` lays every line
    over a dark outline and a light halo (:data:`HALO`; dashes: the outline only), and frames
    the labels dark, so a box
    shows on any background, its own colour included; ``texts`` replaces the labels' text.
    """
    out = np.ascontiguousarray(image).copy()
    h, w = out.shape[:2]
    # lines 1/200 of the longer side (4 px at 768), labels ≈ 1/40 of it up to 1280 px: legible
    # when the browser shows the picture at half its size
    t = max(1, int((thickness or max(2, round(max(h, w) / 200))) * stroke + 0.5))
    scale = min(1.1, max(0.35, min(1.0, max(h, w) / 800)) * stroke)   # capped: tags must not hide boxes
    text_t = max(1, int(stroke + 0.5))
    n_classes = n_classes or (len(names) if names else 80)
    placed: list[tuple[int, int, int, int]] = []      # label rectangles under boxes, kept apart

    def hit(x0: int, y0: int, x1: int, y1: int):
        return next((r for r in placed if x0 < r[2] and r[0] < x1 and y0 < r[3] and r[1] < y1), None)

    for i, b in enumerate(np.asarray(boxes, dtype=np.float64).reshape(-1, 4)):
        c = int(classes[i]) if classes is not None else 0
        col = colour or class_colour(c, n_classes)
        x1, y1, x2, y2 = (int(round(v)) for v in b)
        segments = _dashes(x1, y1, x2, y2, t) if dashed else None
        # a dashed box (drawn over another box) gets the dark outline only, so the box under it
        # still shows between its dashes
        for layer_col, extra in ((HALO[1], 4), (HALO[0], 2))[dashed:] if halo else ():
            _lines(out, x1, y1, x2, y2, segments, layer_col, t + extra)
        _lines(out, x1, y1, x2, y2, segments, col, t)
        if not labels:
            continue
        text = names[c] if names else str(c)
        if scores is not None:
            text = f"{text} {float(scores[i]):.2f}"
        if texts is not None:
            text = texts[i]
        (tw, th), base = textdraw.text_size(text, cv2.FONT_HERSHEY_SIMPLEX, scale, text_t)
        if label_at == "bottom":       # under the bottom-right corner (inside it at the picture's edge)
            # beside a label it would cover, else a row further out (down; up from inside the
            # box when the picture ends)
            start, row = max(0, x2 - tw - 4), th + base + 2
            for ty, step in ((y2 + t + th + base + 1, row), (y2 - t - 1, -row)):
                lx = start
                while th + base <= ty < h and (r := hit(lx, ty - th - base, lx + tw + 4, ty + 1)):
                    left = r[0] - tw - 6
                    if left >= 0 and hit(left, ty - th - base, left + tw + 4, ty + 1) is None:
                        lx = left
                    else:
                        lx, ty = start, ty + step
                if th + base <= ty < h:
                    break
            ty = min(max(ty, th + base), h - 1)
            placed.append((lx, ty - th - base, lx + tw + 4, ty + 1))
        else:                          # over the top-left corner (inside it at the picture's edge)
            lx = x1
            ty = y1 - 2 if y1 - th - base - 2 >= 0 else min(h - 1, y1 + th + base + 2)
        if halo:
            cv2.rectangle(out, (lx - 1, ty - th - base - 1), (lx + tw + 5, ty + 2), HALO[0], 1)
        cv2.rectangle(out, (lx, ty - th - base), (lx + tw + 4, ty + 1), col, -1)
        lum = 0.299 * col[0] + 0.587 * col[1] + 0.114 * col[2]
        textdraw.put_text(out, text, (lx + 2, ty - base + 1), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    (0, 0, 0) if lum > 140 else (255, 255, 255), text_t, cv2.LINE_AA)
    return out


# --------------------------------------------------------------------------- the detector

class Detector:
    """Detection with ultralytics plus the pre-NMS candidates, for a zoo ``LoadedModel``."""

    def __init__(self, loaded: Any):
        self.loaded = loaded
        self.yolo = loaded.model
        self.names: list[str] = list(loaded.labels)

    @property
    def bundled(self) -> bool:
        return self.loaded.name == "detector-shapes"

    @property
    def n_classes(self) -> int:
        return len(self.names)

    def default_imgsz(self) -> int:
        return int(self.loaded.meta.get("imgsz", 640))

    def detect(self, image: np.ndarray, conf: float = 0.25, iou: float = 0.7, *,
               classes: list[int] | None = None, imgsz: int | None = None, max_det: int = 300,
               agnostic: bool = False, candidate_floor: float = 0.01) -> DetectResult:
        """Detect objects in an RGB uint8 image.

        ``conf``: keep detections scoring above this; ``iou``: NMS suppresses a box whose IoU
        with a higher-scoring box of the same class exceeds this (ultralytics' rule);
        ``candidate_floor``: the lowest score kept among the raw candidates.
        """
        image = _check_frame(image)
        if not (0.0 <= conf <= 1.0 and 0.0 <= iou <= 1.0):
            raise ValueError(f"conf and iou must lie in [0, 1]; got conf={conf}, iou={iou}.")
        imgsz = int(imgsz or self.default_imgsz())
        lock = getattr(self.loaded, "lock", None)
        t0 = time.perf_counter()
        if lock is not None:
            lock.acquire()
        try:
            bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)     # ultralytics reads arrays as BGR;
            with _Capture(self.yolo) as cap:                   # cvtColor: 8× faster than a flip copy
                res = self.yolo.predict(bgr, conf=conf, iou=iou, classes=classes, imgsz=imgsz,
                                        max_det=max_det, agnostic_nms=agnostic, verbose=False,
                                        device=self.loaded.device)[0]
            captured = cap.raw
        finally:
            if lock is not None:
                lock.release()
        total_ms = (time.perf_counter() - t0) * 1000
        b = res.boxes
        boxes = b.xyxy.cpu().numpy().astype(np.float32)
        scores = b.conf.cpu().numpy().astype(np.float32)
        cls = b.cls.cpu().numpy().astype(np.int64)
        if captured is not None:
            cand, input_shape = _candidates(captured, image.shape[:2], min(candidate_floor, conf), classes)
        else:  # pragma: no cover - a model without an nn.Module (exported formats)
            cand = Candidates(boxes, scores, cls, conf, len(scores), boxes.copy())
            input_shape = image.shape[:2]
        kept = ultralytics_nms(cand, conf, iou, max_det=max_det, agnostic=agnostic)
        speed = {k: float(v) for k, v in (res.speed or {}).items()}
        speed["total"] = total_ms
        return DetectResult(boxes, scores, cls, self.names, cand, kept, image.shape[:2], input_shape,
                            speed, conf, iou)

    def annotate(self, image: np.ndarray, result: DetectResult, **kw) -> np.ndarray:
        return draw_boxes(image, result.boxes, result.classes, result.scores, self.names,
                          n_classes=self.n_classes, **kw)


class _Capture:
    """For one ``predict`` call: keep the raw head output of the network's forward pass.

    An ``on_predict_start`` callback (it fires once ultralytics' predictor has its backend)
    puts a forward hook on the backend; both are removed when the call ends, whatever happens.
    """

    def __init__(self, yolo):
        self.yolo, self.raw, self._handle = yolo, None, None

    def _on_start(self, predictor) -> None:
        self._handle = predictor.model.register_forward_hook(self._hook)

    def _hook(self, _module, inputs, output) -> None:
        self.raw = (tuple(inputs[0].shape[2:]), output)

    def __enter__(self) -> "_Capture":
        self.yolo.add_callback("on_predict_start", self._on_start)
        return self

    def __exit__(self, *exc) -> None:
        if self._handle is not None:
            self._handle.remove()
        callbacks = self.yolo.callbacks.get("on_predict_start", [])
        if self._on_start in callbacks:
            callbacks.remove(self._on_start)


def _check_frame(image: Any) -> np.ndarray:
    a = np.asarray(image)
    if a.ndim != 3 or a.shape[2] != 3 or a.dtype != np.uint8:
        raise ValueError(f"A frame is an RGB uint8 array (H, W, 3); got {a.dtype} {a.shape}.")
    if a.shape[0] < 8 or a.shape[1] < 8:
        raise ValueError(_("The frame is empty or too small to detect anything ({w}×{h}).", w=a.shape[1], h=a.shape[0]))
    return a


def _candidates(captured, orig_hw, floor, classes) -> tuple[Candidates, tuple[int, int]]:
    """Raw head output (1, 4 + nc, A) in letterboxed xywh → candidates in image pixels."""
    import torch

    input_hw, out = captured
    pred = out[0] if isinstance(out, (list, tuple)) else out
    if isinstance(pred, dict):  # some heads return a dict in eval mode
        pred = next(v for v in pred.values() if torch.is_tensor(v))
    pred = pred.detach().float().cpu()[0]               # (4 + nc, A)
    n_anchors = int(pred.shape[1])
    xywh, cls_scores = pred[:4].T, pred[4:].T
    score, c = cls_scores.max(1)
    keep = score > floor
    if classes is not None:
        keep &= torch.isin(c, torch.as_tensor(list(classes)))
    xywh, score, c = xywh[keep], score[keep], c[keep]
    order = torch.argsort(score, descending=True, stable=True)
    xywh, score, c = xywh[order], score[order], c[order]
    net = torch.cat([xywh[:, :2] - xywh[:, 2:] / 2, xywh[:, :2] + xywh[:, 2:] / 2], 1).numpy()
    return (Candidates(unletterbox(net, input_hw, orig_hw), score.numpy().astype(np.float32),
                       c.numpy().astype(np.int64), float(floor), n_anchors, net.astype(np.float32)),
            (int(input_hw[0]), int(input_hw[1])))


def unletterbox(boxes: np.ndarray, input_hw, orig_hw) -> np.ndarray:
    """xyxy boxes in the letterboxed network input → original image pixels (not clipped),
    with the gain and padding ultralytics' ``scale_boxes`` uses."""
    gain = min(input_hw[0] / orig_hw[0], input_hw[1] / orig_hw[1])
    new_h, new_w = (max(round(x * gain), 1) for x in orig_hw[:2])
    gy, gx = new_h / orig_hw[0], new_w / orig_hw[1]
    px, py = round((input_hw[1] - new_w) / 2 - 0.1), round((input_hw[0] - new_h) / 2 - 0.1)
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    return ((b - [px, py, px, py]) / [gx, gy, gx, gy]).astype(np.float32)


def ultralytics_nms(cand: Candidates, conf: float, iou: float, *, max_det: int = 300,
                    agnostic: bool = False) -> np.ndarray:
    """The detections ultralytics keeps, as indices into ``cand``: candidates scoring above
    ``conf``, class-aware NMS (each class shifted by 7680 px, as ultralytics does) in the
    network's input space, at most ``max_det``, highest score first."""
    import torch
    import torchvision

    idx = np.nonzero(cand.scores > conf)[0]
    if not len(idx):
        return idx.astype(np.int64)
    b = torch.as_tensor(cand.net_boxes[idx], dtype=torch.float32)
    if not agnostic:
        b = b + torch.as_tensor(cand.classes[idx], dtype=torch.float32)[:, None] * 7680
    keep = torchvision.ops.nms(b, torch.as_tensor(cand.scores[idx]), float(iou))[:max_det]
    return idx[keep.numpy()].astype(np.int64)


# --------------------------------------------------------------------------- frames and video

@dataclass
class DetectFrame:
    image: np.ndarray
    counts: dict[str, int]
    n: int
    ms: float
    result: DetectResult | None = field(default=None, repr=False)


def detect_frame(frame: np.ndarray, detector: Detector, conf: float = 0.25, iou: float = 0.7, *,
                 classes: list[int] | None = None, imgsz: int | None = None) -> DetectFrame:
    """The frame function: RGB frame → the frame with boxes, plus counts per class."""
    t0 = time.perf_counter()
    r = detector.detect(frame, conf, iou, classes=classes, imgsz=imgsz)
    out = detector.annotate(frame, r)
    return DetectFrame(out, r.counts(), len(r), (time.perf_counter() - t0) * 1000, r)


@dataclass
class VideoInfo:
    width: int
    height: int
    fps: float
    frames: int            # as the container says (0 when unknown)
    seconds: float
    codec: str


def _open_video(data: bytes):
    import av

    if not data:
        raise VideoError("The video file is empty.")
    try:
        container = av.open(io.BytesIO(data), mode="r")
    except Exception as e:  # noqa: BLE001 - av raises many kinds for "not a video"
        raise VideoError(f"This file cannot be read as a video ({type(e).__name__}). "
                         "Try an MP4, MOV, WebM or AVI file.") from e
    if not container.streams.video:
        container.close()
        raise VideoError("This file has no video stream (is it an audio file or an image?).")
    cc = container.streams.video[0].codec_context
    if (cc.width or 0) * (cc.height or 0) > MAX_VIDEO_PIXELS:
        container.close()
        raise VideoError(f"The video is {cc.width}×{cc.height}; the lab reads videos up to "
                         f"{MAX_VIDEO_PIXELS // 10**6} megapixels per frame (4K). Please scale it down first.")
    fmt = container.format.name or ""
    still = cc.name in ("mjpeg", "png", "bmp", "webp", "tiff") and (container.streams.video[0].frames or 0) <= 1
    if fmt.endswith("_pipe") or fmt == "image2" or still:        # a picture, or audio with cover art
        container.close()
        raise VideoError("This is a still image, not a video: use the image input for pictures.")
    return container


def video_info(data: bytes) -> VideoInfo:
    container = _open_video(data)
    try:
        s = container.streams.video[0]
        fps = float(s.average_rate or s.guessed_rate or 0)
        seconds = float(s.duration * s.time_base) if s.duration and s.time_base else \
            (container.duration / 1e6 if container.duration else 0.0)
        if not 0 < fps <= 240:          # browser recordings may claim 1000 fps: use the real rate
            fps = s.frames / seconds if s.frames and seconds > 0 else 25.0
        frames = int(s.frames or round(seconds * fps))
        return VideoInfo(int(s.codec_context.width), int(s.codec_context.height), fps, frames,
                         seconds, s.codec_context.name)
    finally:
        container.close()


def read_video(data: bytes, *, every: int = 1, max_frames: int = 300, max_side: int = 640
               ) -> Iterator[np.ndarray]:
    """Decode RGB frames from video bytes in memory: every ``every``-th frame, at most
    ``max_frames``, scaled so the longer side is at most ``max_side``."""
    from ..images import resize_max

    if every < 1 or max_frames < 1:
        raise ValueError("every and max_frames must be at least 1.")
    container = _open_video(data)
    n = 0
    try:
        for i, frame in enumerate(container.decode(video=0)):
            if i % every:
                continue
            w, h = frame.width, frame.height
            if max(w, h) > 2 * max_side:           # let the decoder scale big frames down first
                k = 2 * max_side / max(w, h)
                yield resize_max(frame.to_ndarray(width=max(2, round(w * k)), height=max(2, round(h * k)),
                                                  format="rgb24"), max_side)
            else:
                yield resize_max(frame.to_ndarray(format="rgb24"), max_side)
            n += 1
            if n >= max_frames:
                break
    except VideoError:
        raise
    except Exception as e:  # noqa: BLE001
        if n == 0:
            raise VideoError(f"The video could not be decoded ({type(e).__name__}: {e}).") from e
    finally:
        container.close()
    if n == 0:
        raise VideoError("The video has no frames that can be decoded.")


def encode_mp4(frames: list[np.ndarray], fps: float = 10.0) -> bytes:
    """H.264 MP4 of RGB frames, in memory (sizes matched to the first frame, even dimensions)."""
    import av

    if not frames:
        raise ValueError(_("A video needs at least one frame."))
    h, w = frames[0].shape[:2]
    h2, w2 = h - h % 2, w - w % 2
    from fractions import Fraction

    buf = io.BytesIO()
    with av.open(buf, mode="w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=Fraction(max(0.5, float(fps))).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = w2, h2, "yuv420p"
        stream.options = {"crf": "23", "preset": "veryfast"}
        for f in frames:
            if f.shape[:2] != (h, w):
                f = cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA)
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(f[:h2, :w2]), format="rgb24")
            for packet in stream.encode(vf):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()


@dataclass
class VideoProgress(Snapshot):
    """Progress of :func:`detect_video`: ``image`` is the latest annotated frame."""
    counts: dict[str, int] = field(default_factory=dict)     # detections in that frame
    ms_per_frame: float = 0.0
    frames: list[np.ndarray] = field(default_factory=list, repr=False)   # every annotated frame so far

    def describe(self) -> str:
        return _("frame {step}/{total} · {ms:.0f} ms per frame", step=self.step, total=self.total,
                 ms=self.ms_per_frame)


def detect_video(data: bytes, detector: Detector, conf: float = 0.25, iou: float = 0.7, *,
                 classes: list[int] | None = None, every: int = 1, max_frames: int = 150,
                 max_side: int = 640, imgsz: int | None = None) -> Iterator[VideoProgress]:
    """Detect on the frames of a video, yielding progress after each frame (stop any time)."""
    info = video_info(data)
    total = min(max_frames, max(1, (info.frames or max_frames) // every))
    frames: list[np.ndarray] = []
    t0 = time.perf_counter()
    last: VideoProgress | None = None
    for i, rgb in enumerate(read_video(data, every=every, max_frames=max_frames, max_side=max_side)):
        r = detect_frame(rgb, detector, conf, iou, classes=classes, imgsz=imgsz)
        frames.append(r.image)
        last = VideoProgress(i + 1, max(total, i + 1), image=r.image, counts=r.counts,
                             ms_per_frame=(time.perf_counter() - t0) * 1000 / (i + 1), frames=frames)
        yield last
    if last is not None and last.step < last.total:   # the container over-promised: it is done
        last.total = last.step
        yield last


# --------------------------------------------------------------------------- the bundled model

def load_bundled_detector(device: str = "cpu", path: Path | str | None = None):
    """The shapes detector this project trained itself, as a zoo ``LoadedModel``."""
    from .. import zoo

    path = Path(path) if path is not None else BUNDLED_PATH
    if not path.exists():
        raise zoo.ModelUnavailable(f"The bundled detector {path.name} is missing; run `make assets`.")
    zoo.configure_ultralytics()
    from ultralytics import YOLO

    try:
        model = YOLO(str(path), task="detect")
    except Exception as e:  # noqa: BLE001 - a damaged file
        raise zoo.ModelUnavailable(f"The bundled detector {path.name} cannot be read: {e}") from e
    meta: dict[str, Any] = {"weights_file": str(path), "imgsz": 256}
    card = path.with_suffix(".json")
    if card.exists():
        try:
            rep = json.loads(card.read_text())
            meta.update(imgsz=int(rep["recipe"]["imgsz"]), epochs=rep["recipe"]["epochs"],
                        heldout_map50=rep["heldout_result"]["map50"],
                        heldout_map50_95=rep["heldout_result"]["map50_95"])
        except (ValueError, KeyError, TypeError):
            pass
    names = model.names
    labels = [names[i] for i in sorted(names)] if isinstance(names, dict) else list(names)
    m50 = meta.get("heldout_map50")
    epochs = meta.get('epochs', '?')
    provenance = (_("bundled: YOLO11 trained from scratch by this project on generated shapes "
                    "(scripts/make_detector_assets.py, {epochs} epochs; mAP50 {m50:.3f} on "
                    "held-out generated scenes) — it knows circles, squares and triangles, not "
                    "COCO objects", epochs=epochs, m50=m50) if m50 is not None else
                  _("bundled: YOLO11 trained from scratch by this project on generated shapes "
                    "(scripts/make_detector_assets.py, {epochs} epochs) — it knows circles, "
                    "squares and triangles, not COCO objects", epochs=epochs))
    return zoo.LoadedModel(
        name="detector-shapes", requested="detector-shapes", title="Shapes detector (bundled)",
        task="detection", model=model, provenance=provenance, preprocess=None, labels=labels,
        device=device, pretrained=True, fallback=False, meta=meta)
