"""Text on pictures (issue 21): ASCII is drawn by OpenCV exactly as before; Korean (a class name
the user typed, a person's name) is drawn with a font that has Hangul, not as ``????``."""
from __future__ import annotations

import cv2
import numpy as np

from core import textdraw


def _drawn(text: str, scale: float = 1.0, thick: int = 2) -> np.ndarray:
    img = np.zeros((80, 400, 3), np.uint8)
    return textdraw.put_text(img, text, (10, 55), textdraw.FACE, scale, (255, 255, 255), thick)


def test_ascii_is_opencv_pixel_for_pixel():
    ref = cv2.putText(np.zeros((80, 400, 3), np.uint8), "person 0.91", (10, 55),
                      cv2.FONT_HERSHEY_SIMPLEX, 1.0, (255, 255, 255), 2, cv2.LINE_AA)
    assert np.array_equal(_drawn("person 0.91"), ref)
    assert textdraw.text_size("person", textdraw.FACE, 1.0, 2) == \
        cv2.getTextSize("person", cv2.FONT_HERSHEY_SIMPLEX, 1.0, 2)


def test_hangul_is_drawn_with_a_hangul_font_not_question_marks():
    assert textdraw.font_path(), "fonts-noto-cjk (or another font with Hangul) must be installed"
    hangul = _drawn("고양이")
    qmarks = cv2.putText(np.zeros((80, 400, 3), np.uint8), "???", (10, 55),
                         cv2.FONT_HERSHEY_SIMPLEX, 1.0, (255, 255, 255), 2, cv2.LINE_AA)
    assert hangul.any() and not np.array_equal(hangul, qmarks)
    # three different syllables: three different glyphs
    cols = [hangul[:, x0:x0 + 26].astype(int) for x0 in (10, 36, 62)]
    assert all(c.sum() > 0 for c in cols)
    assert not np.array_equal(cols[0], cols[1]) and not np.array_equal(cols[1], cols[2])
    # what is drawn sits inside the box text_size reports, like OpenCV's text
    (w, h), base = textdraw.text_size("고양이", textdraw.FACE, 1.0, 2)
    ys, xs = np.nonzero(hangul.max(axis=2) > 60)
    assert xs.max() <= 10 + w + 2 and ys.min() >= 55 - h - 8 and ys.max() <= 55 + base + 4


def test_text_at_the_edge_and_grey_pictures_do_not_fail():
    img = np.zeros((30, 40), np.uint8)
    textdraw.put_text(img, "얼굴 인증", (30, 5), textdraw.FACE, 1.2, (200,), 1)
    textdraw.put_text(img, "얼굴", (500, 500), textdraw.FACE, 1.0, (200,), 1)   # off the picture
    assert img.shape == (30, 40)
