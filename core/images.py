"""Images in, errors out.

``load_image`` turns whatever a user hands the lab (bytes from an upload, a path, a file-like
object, a camera snapshot, an array) into one predictable thing: an RGB ``uint8`` array of
shape H×W×3, the right way up, no larger than ``max_side`` on its longer side. Anything that is
not a usable picture raises ``ValueError`` with a message a person can act on.

``samples()`` lists the images the app can show with no upload and no network: they ship
inside installed packages (scikit-image, scikit-learn, ultralytics).
"""
from __future__ import annotations

import io
import os
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
from PIL import Image, ImageOps
from core.i18n import N_, _

DEFAULT_MAX_SIDE = int(os.environ.get("CNNLAB_MAX_SIDE", "2048"))
MAX_FILE_BYTES = 50 * 2**20          # what an upload may weigh
MAX_PIXELS = 120_000_000             # what a header may claim before we refuse to decode it

_FORMAT_HINT = "Use a PNG, JPEG, BMP, GIF, TIFF or WebP image."


def load_image(data: Any, max_side: int | None = DEFAULT_MAX_SIDE) -> np.ndarray:
    """Decode ``data`` into an RGB uint8 array (H, W, 3).

    ``data`` may be ``bytes``/``bytearray``/``memoryview``, a path (``str`` or ``Path``), a
    binary file-like object (e.g. a Streamlit ``UploadedFile``), a ``PIL.Image`` or a numpy
    array (H×W, H×W×1, H×W×3, H×W×4; uint8, uint16, bool or float in [0, 1]).

    EXIF orientation is applied; grayscale, palette, RGBA/LA (composited on white), CMYK,
    16-bit and 32-bit images are converted; the longer side is scaled down to ``max_side``
    (``None`` keeps the size). Raises ``ValueError`` for empty files, files that are not
    images, truncated files, decompression bombs and zero-size images.
    """
    if max_side is not None and (not isinstance(max_side, (int, np.integer)) or max_side < 1):
        raise ValueError(f"max_side must be a positive whole number of pixels, not {max_side!r}.")
    if isinstance(data, np.ndarray):
        return _cap(_array_to_rgb(data), max_side)
    if isinstance(data, Image.Image):
        return _cap(_pil_to_rgb(data), max_side)
    raw = _read_bytes(data)
    return _decode(raw, max_side)


def _read_bytes(data: Any) -> bytes:
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
    elif isinstance(data, (str, Path)):
        path = Path(data)
        if not path.exists():
            raise ValueError(f"No file at {str(path)!r}.")
        if path.is_dir():
            raise ValueError(f"{str(path)!r} is a folder, not an image file.")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ValueError(_too_big(size))
        raw = path.read_bytes()
    elif hasattr(data, "read"):
        if hasattr(data, "seek"):
            try:
                data.seek(0)
            except (OSError, ValueError):
                pass
        raw = data.read(MAX_FILE_BYTES + 1)
        if not isinstance(raw, (bytes, bytearray)):
            raise ValueError(_("The file could not be read as binary data."))
        raw = bytes(raw)
    elif data is None:
        raise ValueError(_("No image was given."))
    else:
        raise ValueError(f"Cannot read an image from a {type(data).__name__}.")
    if len(raw) == 0:
        raise ValueError(_("The file is empty (0 bytes): there is no image in it."))
    if len(raw) > MAX_FILE_BYTES:
        raise ValueError(_too_big(len(raw)))
    return raw


def _too_big(n: int) -> str:
    return _("The file is {mb:.0f} MB; the lab accepts images up to {cap} MB. Please shrink it "
             "first.", mb=n / 2**20, cap=MAX_FILE_BYTES // 2**20)


def _pil_open(fp):
    """Pillow's own ``Image.open``.

    Importing ultralytics replaces ``PIL.Image.open`` with a wrapper that, on a file Pillow cannot
    identify, tries to install and import ``pi-heif`` and then raises ``ModuleNotFoundError``
    instead of Pillow's error; bad uploads would lose their clear message once a YOLO was loaded.
    """
    opener = Image.open
    original = getattr(sys.modules.get(getattr(opener, "__module__", None) or ""), "_image_open", None)
    return (original if callable(original) else opener)(fp)


def _decode(raw: bytes, max_side: int | None) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = _pil_open(io.BytesIO(raw))
        except Image.DecompressionBombError as e:
            raise ValueError(_bomb_message(None)) from e
        except Image.DecompressionBombWarning as e:
            raise ValueError(_bomb_message(None)) from e
        except (OSError, SyntaxError, ValueError) as e:  # UnidentifiedImageError is an OSError
            if _declares_zero_size(raw):
                raise ValueError(_zero_message()) from e
            if _looks_like_image(raw):
                # A known image signature with a header PIL cannot parse.
                raise ValueError(_("The image header is damaged, so the picture cannot be read. "
                                   "Use a PNG, JPEG, BMP, GIF, TIFF or WebP image.")) from e
            raise ValueError(_not_image_message(raw)) from e

        w, h = img.size
        if w <= 0 or h <= 0:
            raise ValueError(_zero_message())
        if w * h > MAX_PIXELS:
            raise ValueError(_bomb_message((w, h)))
        if max_side is not None and img.format == "JPEG":
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale: big photos load fast and small.
            img.draft("RGB", (max_side, max_side))
        try:
            img.load()
        except Image.DecompressionBombWarning as e:
            raise ValueError(_bomb_message((w, h))) from e
        except (OSError, SyntaxError, ValueError) as e:
            msg = str(e).lower()
            if "truncated" in msg or "broken" in msg or "premature" in msg or "end of file" in msg:
                raise ValueError(_("The image file is truncated: it ends before all of its "
                                   "pixels. It was probably cut off during upload or "
                                   "download; please try the original file.")) from e
            raise ValueError(_("The image data is damaged and cannot be decoded ({error}).", error=str(e))) from e
    return _cap(_pil_to_rgb(img), max_side)


def _declares_zero_size(raw: bytes) -> bool:
    if raw.startswith(b"\x89PNG\r\n\x1a\n") and len(raw) >= 24:
        w = int.from_bytes(raw[16:20], "big")
        h = int.from_bytes(raw[20:24], "big")
        return w == 0 or h == 0
    if raw[:6] in (b"GIF87a", b"GIF89a") and len(raw) >= 10:
        return int.from_bytes(raw[6:8], "little") == 0 or int.from_bytes(raw[8:10], "little") == 0
    if raw.startswith(b"BM") and len(raw) >= 26:
        return int.from_bytes(raw[18:22], "little", signed=True) == 0 or \
            int.from_bytes(raw[22:26], "little", signed=True) == 0
    return False


_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM", b"II*\x00",
               b"MM\x00*")


def _looks_like_image(raw: bytes) -> bool:
    return raw.startswith(_SIGNATURES) or (raw[:4] == b"RIFF" and raw[8:12] == b"WEBP")


def _zero_message() -> str:
    return _("The image has zero width or height: there are no pixels to show.")


def _bomb_message(size: tuple[int, int] | None) -> str:
    if size:
        return _("The image declares {w}×{h} pixels, more than the lab will decode ({mp:.0f} "
                 "megapixels). Files like this are often 'decompression bombs'; if it is a real "
                 "photo, scale it down first.", w=size[0], h=size[1], mp=MAX_PIXELS / 1e6)
    return _("The image declares an enormous size, more than the lab will decode ({mp:.0f} "
             "megapixels). Files like this are often 'decompression bombs'; if it is a real "
             "photo, scale it down first.", mp=MAX_PIXELS / 1e6)


def _not_image_message(raw: bytes) -> str:
    head = raw[:512].lstrip()
    if head.startswith(b"%PDF"):
        return _("This is a PDF document, not an image. Use a PNG, JPEG, BMP, GIF, TIFF or WebP "
                 "image.")
    if head.startswith(b"PK\x03\x04"):
        return _("This is a ZIP archive (or an Office document), not an image. Use a PNG, JPEG, "
                 "BMP, GIF, TIFF or WebP image.")
    if head[:1] in (b"{", b"[") or head.lower().startswith((b"<!doctype", b"<html", b"<?xml")):
        return _("This is a text document (JSON/HTML/XML), not an image. Use a PNG, JPEG, BMP, "
                 "GIF, TIFF or WebP image.")
    try:
        head.decode("utf-8")
        return _("This is a text file, not an image. Use a PNG, JPEG, BMP, GIF, TIFF or WebP "
                 "image.")
    except UnicodeDecodeError:
        return _("This file is not an image. Use a PNG, JPEG, BMP, GIF, TIFF or WebP image.")


def _pil_to_rgb(img: Image.Image) -> np.ndarray:
    try:
        img = ImageOps.exif_transpose(img)
    except Exception:  # a broken EXIF block must not make the picture unusable
        pass
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        if mode == "F":
            lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
            arr = (arr - lo) / (hi - lo) if hi > lo else np.zeros_like(arr)
        else:
            arr = arr / (65535.0 if arr.max() > 255 else 255.0)
        gray = np.clip(np.rint(np.nan_to_num(arr) * 255), 0, 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2)
    if mode == "P":
        img = img.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, rgba)
    arr = np.asarray(img.convert("RGB"), dtype=np.uint8)
    return np.ascontiguousarray(arr)


def _array_to_rgb(a: np.ndarray) -> np.ndarray:
    if a.size == 0 or a.ndim < 2 or a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(_zero_message())
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=2)
    if a.ndim != 3 or a.shape[2] not in (3, 4):
        raise ValueError(f"An image array must be H×W, H×W×3 or H×W×4, not shape {a.shape}.")
    if a.dtype == np.bool_:
        a = a.astype(np.uint8) * 255
    elif a.dtype == np.uint16:
        a = (a.astype(np.float64) / 257.0).round().astype(np.uint8)
    elif np.issubdtype(a.dtype, np.floating):
        if not np.isfinite(a).all():
            raise ValueError("The image array contains NaN or infinite values.")
        a = np.clip(np.rint(a * 255), 0, 255).astype(np.uint8)
    elif a.dtype != np.uint8:
        a = np.clip(a, 0, 255).astype(np.uint8)
    if a.shape[2] == 4:
        alpha = a[..., 3:4].astype(np.float32) / 255.0
        a = np.rint(a[..., :3] * alpha + 255.0 * (1 - alpha)).astype(np.uint8)
    return np.ascontiguousarray(a)


def _cap(rgb: np.ndarray, max_side: int | None) -> np.ndarray:
    if max_side is None:
        return rgb
    h, w = rgb.shape[:2]
    if max(h, w) <= max_side:
        return rgb
    scale = max_side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(rgb).resize(size, Image.LANCZOS, reducing_gap=3.0))


def resize_max(rgb: np.ndarray, max_side: int) -> np.ndarray:
    """Scale an RGB array down so its longer side is at most ``max_side`` (never up)."""
    return _cap(rgb, max_side)


def resize_and_crop(rgb: np.ndarray, resize: int, crop: int | None = None) -> np.ndarray:
    """What a classifier sees: the shorter side scaled to ``resize`` px (area averaging when
    shrinking, bilinear when enlarging), then a centre crop of ``crop``×``crop`` (torchvision's
    ``Resize(resize)`` + ``CenterCrop(crop)``, on RGB uint8)."""
    import cv2

    a = _array_to_rgb(np.asarray(rgb))
    h, w = a.shape[:2]
    s = resize / min(h, w)
    nh, nw = max(1, round(h * s)), max(1, round(w * s))
    if (nh, nw) != (h, w):
        a = cv2.resize(a, (nw, nh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    if crop is None:
        return np.ascontiguousarray(a)
    if crop > min(nh, nw):
        raise ValueError(f"A {crop}×{crop} crop does not fit a picture scaled to {nw}×{nh}.")
    y0, x0 = (nh - crop) // 2, (nw - crop) // 2
    return np.ascontiguousarray(a[y0:y0 + crop, x0:x0 + crop])


def to_png_bytes(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(_array_to_rgb(np.asarray(rgb))).save(buf, format="PNG")
    return buf.getvalue()


def to_gif_bytes(frames: list[np.ndarray], duration_ms: int = 120, loop: int = 0) -> bytes:
    """An animated GIF of equally sized RGB frames (sizes are matched to the first frame)."""
    if not frames:
        raise ValueError("An animation needs at least one frame.")
    first = _array_to_rgb(np.asarray(frames[0]))
    pil = [Image.fromarray(first)]
    for f in frames[1:]:
        im = Image.fromarray(_array_to_rgb(np.asarray(f)))
        if im.size != pil[0].size:
            im = im.resize(pil[0].size, Image.BILINEAR)
        pil.append(im)
    buf = io.BytesIO()
    pil[0].save(buf, format="GIF", save_all=True, append_images=pil[1:],
                duration=max(20, int(duration_ms)), loop=loop, optimize=False)
    return buf.getvalue()


# --------------------------------------------------------------------------- samples

@dataclass(frozen=True)
class Sample:
    name: str
    title: str
    description: str
    source: str
    _loader: Callable[[], np.ndarray]

    def load(self, max_side: int | None = DEFAULT_MAX_SIDE) -> np.ndarray:
        return load_image(self._loader(), max_side=max_side)


def _skimage(fn: str) -> Callable[[], np.ndarray | Path]:
    def load() -> np.ndarray | Path:
        # A PNG the package keeps in skimage/data is read straight from its file (the same
        # pixels, lossless): ``skimage.data`` would import ``skimage.io`` and SciPy first,
        # 0.25 s of a page's first open.
        import importlib.util
        spec = importlib.util.find_spec("skimage")
        if spec is not None and spec.submodule_search_locations:
            path = Path(list(spec.submodule_search_locations)[0]) / "data" / f"{fn}.png"
            if path.is_file():
                return path
        from skimage import data
        return getattr(data, fn)()
    return load


def _sklearn(fname: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        from sklearn.datasets import load_sample_image
        return load_sample_image(fname)
    return load


def _ultralytics(fname: str) -> Callable[[], Path]:
    def load() -> Path:
        import importlib.util
        spec = importlib.util.find_spec("ultralytics")
        if spec is None or not spec.submodule_search_locations:
            raise ValueError(_("The ultralytics package is not installed, so its sample "
                               "images are missing."))
        return Path(list(spec.submodule_search_locations)[0]) / "assets" / fname
    return load


_SAMPLES: list[Sample] = [
    Sample("astronaut", N_("Astronaut"), N_("Eileen Collins, NASA portrait: a face, a flag, clear edges."),
           "scikit-image data.astronaut()", _skimage("astronaut")),
    Sample("chelsea", N_("Chelsea the cat"), N_("A tabby cat: the classic ImageNet test (cat classes 281–285)."),
           "scikit-image data.chelsea()", _skimage("chelsea")),
    Sample("coffee", N_("Coffee cup"), N_("A cup of espresso on a saucer (ImageNet 967 espresso / 968 cup)."),
           "scikit-image data.coffee()", _skimage("coffee")),
    Sample("camera", N_("Cameraman"), N_("512×512 grayscale photographer: strong vertical and horizontal edges."),
           "scikit-image data.camera()", _skimage("camera")),
    Sample("rocket", N_("Rocket launch"), N_("A SpaceX rocket on the pad against the sky."),
           "scikit-image data.rocket()", _skimage("rocket")),
    Sample("coins", N_("Coins"), N_("Grayscale coins on a flat background: round edges, easy segmentation."),
           "scikit-image data.coins()", _skimage("coins")),
    Sample("china", N_("Temple in China"), N_("A temple roof, trees and sky (scikit-learn sample image)."),
           "sklearn.datasets.load_sample_image('china.jpg')", _sklearn("china.jpg")),
    Sample("flower", N_("Flower"), N_("A close-up of a flower (scikit-learn sample image)."),
           "sklearn.datasets.load_sample_image('flower.jpg')", _sklearn("flower.jpg")),
    Sample("bus", N_("Bus and people"), N_("A street scene with a bus and pedestrians: the detection demo."),
           "ultralytics/assets/bus.jpg", _ultralytics("bus.jpg")),
    Sample("zidane", N_("Two men in suits"), N_("Two people and a tie: another detection demo."),
           "ultralytics/assets/zidane.jpg", _ultralytics("zidane.jpg")),
]


def samples() -> dict[str, Sample]:
    """The named sample images that ship inside installed packages, in display order."""
    return {s.name: s for s in _SAMPLES}


def load_sample(name: str, max_side: int | None = DEFAULT_MAX_SIDE) -> np.ndarray:
    table = samples()
    if name not in table:
        raise ValueError(f"Unknown sample image {name!r}; choose one of {', '.join(table)}.")
    return table[name].load(max_side=max_side)
