"""Text drawn on pictures in any language: OpenCV's Hershey fonts for ASCII, a font with Hangul
for the rest.

``cv2.putText`` only knows ASCII: a Korean class name the user typed, a Korean person's name in
the face gallery or a translated overlay would come out as ``????``. :func:`put_text` and
:func:`text_size` take the same arguments as ``cv2.putText``/``cv2.getTextSize`` (Hershey
simplex): ASCII text is drawn by OpenCV exactly as before; anything else is drawn with Pillow in
a font that has Hangul (Noto Sans CJK, from Debian's ``fonts-noto-cjk``; found with fontconfig or
at the usual paths), sized to match OpenCV's letters. Without such a font the text is drawn in
Pillow's default font (Hangul then shows as boxes, the rest is still readable).
"""
from __future__ import annotations

import functools
import logging
import subprocess
from pathlib import Path

import cv2
import numpy as np

log = logging.getLogger("cnnlab")

FACE = cv2.FONT_HERSHEY_SIMPLEX
CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Medium.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansKR-Regular.ttf",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/AppleSDGothicNeo.ttc",
    "C:/Windows/Fonts/malgun.ttf",
)


def needs_font(text: str) -> bool:
    """True when OpenCV's Hershey font cannot draw ``text`` (anything beyond printable ASCII)."""
    return any(not (32 <= ord(c) < 127) for c in text)


@functools.lru_cache(maxsize=1)
def font_path() -> str | None:
    """A font file with Hangul, or None."""
    try:
        found = subprocess.run(["fc-match", "-f", "%{file}", "Noto Sans CJK KR:lang=ko"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
        if found and Path(found).exists() and ("CJK" in found or "KR" in found):
            return found
    except (OSError, subprocess.SubprocessError):
        pass
    for c in CANDIDATES:
        if Path(c).exists():
            return c
    log.info("no font with Hangul found; text on pictures beyond ASCII may show as boxes")
    return None


@functools.lru_cache(maxsize=32)
def _font(px: int, bold: bool = False):
    from PIL import ImageFont

    path = font_path()
    if path and bold and Path(path.replace("-Regular", "-Bold")).exists():
        path = path.replace("-Regular", "-Bold")   # OpenCV's thicker strokes
    if path:
        try:
            return ImageFont.truetype(path, px, index=_korean_index(path))
        except OSError:
            pass
    try:
        return ImageFont.load_default(px)
    except TypeError:  # Pillow < 10.1: one size only
        return ImageFont.load_default()


def _korean_index(path: str) -> int:
    """In Noto Sans CJK's collection the Korean face is the second (JP, KR, SC, TC, HK)."""
    return 1 if path.endswith(".ttc") and "NotoSansCJK" in path else 0


def _px(scale: float) -> int:
    """Pillow's font size for OpenCV's ``scale``: Hershey simplex capitals are about 22·scale
    pixels high, a CJK font's capitals about 0.73 of its size."""
    return max(8, round(22 * scale / 0.73))


def text_size(text: str, face: int = FACE, scale: float = 1.0, thickness: int = 1):
    """As ``cv2.getTextSize``: ``((width, height), baseline)``."""
    if not needs_font(text):
        return cv2.getTextSize(text, face, scale, thickness)
    font = _font(_px(scale), thickness >= 2)
    left, top, right, bottom = font.getbbox(text)
    ascent, descent = font.getmetrics()
    cap = round(22 * scale)
    return (int(right - min(0, left)) + thickness, cap), max(1, int(descent * 0.6))


def put_text(img: np.ndarray, text: str, org: tuple[int, int], face: int = FACE,
             scale: float = 1.0, color=(255, 255, 255), thickness: int = 1,
             line_type: int = cv2.LINE_AA) -> np.ndarray:
    """As ``cv2.putText`` (``org`` is the bottom-left of the text's baseline); draws in place
    and returns ``img``."""
    if not needs_font(text):
        return cv2.putText(img, text, org, face, scale, color, thickness, line_type)
    from PIL import Image, ImageDraw

    font = _font(_px(scale), thickness >= 2)
    ascent, descent = font.getmetrics()
    left, top, right, bottom = font.getbbox(text)
    x, y = int(org[0]), int(org[1])
    # the crop around the text, drawn with Pillow and pasted back (the picture stays a numpy array)
    x0, y0 = max(0, x + min(0, left) - 2), max(0, y - ascent - 2)
    x1, y1 = min(img.shape[1], x + right + 2), min(img.shape[0], y + descent + 2)
    if x1 <= x0 or y1 <= y0:
        return img
    crop = np.ascontiguousarray(img[y0:y1, x0:x1])
    grey = crop.ndim == 2
    pil = Image.fromarray(crop)
    draw = ImageDraw.Draw(pil)
    fill = int(color[0]) if grey else tuple(int(c) for c in color[:crop.shape[2]])
    stroke = 1 if thickness >= 4 else 0
    draw.text((x - x0, y - y0), text, font=font, fill=fill, anchor="ls",
              stroke_width=stroke, stroke_fill=fill)
    img[y0:y1, x0:x1] = np.asarray(pil)
    return img
