"""core.images: every bad input gets its own clear message; every good one comes out RGB uint8."""
from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from core import images
from core.images import load_image


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _png_with_size(w: int, h: int) -> bytes:
    """A PNG whose IHDR claims w×h (valid CRC) followed by a tiny IDAT and IEND."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
            chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b""))


def _photo(w=64, h=48) -> Image.Image:
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))


# --------------------------------------------------------------------------- bad inputs

BAD_INPUTS = {
    "empty": (b"", "empty"),
    "text": (b"hello, this is a shopping list\nmilk\neggs\n", "text file, not an image"),
    "pdf": (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "PDF document"),
    "zip": (b"PK\x03\x04" + b"\x00" * 60, "ZIP archive"),
    "html": (b"<!DOCTYPE html><html><body>not a picture</body></html>", "HTML"),
    "random-binary": (bytes(np.random.default_rng(1).integers(0, 256, 400, dtype=np.uint8)) + b"\xff\xfe",
                      "not an image"),
    "truncated-jpeg": (None, "truncated"),
    "truncated-png": (None, "truncated"),
    "decompression-bomb": (_png_with_size(40_000, 40_000), "decompression bomb"),
    "zero-width": (_png_with_size(0, 10), "zero width or height"),
    "damaged-header": (b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + b"\x01" * 17, "damaged"),
}


def _bad_bytes(name: str) -> bytes:
    data, _ = BAD_INPUTS[name]
    if name == "truncated-jpeg":
        full = _encode(_photo(256, 256), "JPEG", quality=95)
        return full[: len(full) // 2]
    if name == "truncated-png":
        full = _png(_photo(256, 256))
        return full[: len(full) // 2]
    return data


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_gets_a_clear_message(name):
    with pytest.raises(ValueError) as e:
        load_image(_bad_bytes(name))
    assert BAD_INPUTS[name][1].lower() in str(e.value).lower(), str(e.value)


def test_each_bad_input_has_its_own_message():
    messages = {}
    for name in BAD_INPUTS:
        with pytest.raises(ValueError) as e:
            load_image(_bad_bytes(name))
        messages[name] = str(e.value)
    # truncated JPEG and PNG share a message on purpose: same cause, same advice.
    distinct = {m for n, m in messages.items() if n != "truncated-png"}
    assert len(distinct) == len(BAD_INPUTS) - 1, messages


def test_bomb_is_refused_without_decoding_pixels():
    # 40000×40000 RGB would need 4.8 GB; refusing it must be instant and allocation-free.
    import time

    t = time.perf_counter()
    with pytest.raises(ValueError, match="megapixels"):
        load_image(_png_with_size(40_000, 40_000))
    assert time.perf_counter() - t < 1.0


def test_too_large_file(monkeypatch):
    monkeypatch.setattr(images, "MAX_FILE_BYTES", 1000)
    with pytest.raises(ValueError, match="accepts images up to"):
        load_image(_png(_photo(200, 200)))


def test_wrong_argument_types(tmp_path):
    with pytest.raises(ValueError, match="No image was given"):
        load_image(None)
    with pytest.raises(ValueError, match="Cannot read an image from a int"):
        load_image(42)
    with pytest.raises(ValueError, match="No file at"):
        load_image(tmp_path / "missing.png")
    with pytest.raises(ValueError, match="is a folder"):
        load_image(tmp_path)
    with pytest.raises(ValueError, match="zero width or height"):
        load_image(np.zeros((0, 5, 3), np.uint8))
    with pytest.raises(ValueError, match="NaN"):
        load_image(np.full((4, 4, 3), np.nan))
    with pytest.raises(ValueError, match="positive whole number"):
        load_image(_png(_photo()), max_side=0)


# --------------------------------------------------------------------------- conversions

def _check_rgb(a: np.ndarray, shape):
    assert a.dtype == np.uint8 and a.ndim == 3 and a.shape[2] == 3 and a.shape[:2] == shape
    assert a.flags["C_CONTIGUOUS"]


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP"])
def test_formats(fmt):
    _check_rgb(load_image(_encode(_photo(), fmt)), (48, 64))


def test_grayscale_is_replicated():
    g = Image.fromarray(np.arange(48 * 64, dtype=np.uint32).reshape(48, 64).astype(np.uint8) % 251)
    a = load_image(_png(g))
    _check_rgb(a, (48, 64))
    assert (a[..., 0] == np.asarray(g)).all() and (a[..., 1] == a[..., 2]).all()


def test_rgba_is_composited_on_white():
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[:5, :, 3] = 255   # top half opaque red-ish, bottom half fully transparent
    a = load_image(_png(Image.fromarray(rgba, "RGBA")))
    assert tuple(a[0, 0]) == (200, 0, 0)
    assert tuple(a[9, 9]) == (255, 255, 255)
    assert tuple(load_image(rgba)[9, 9]) == (255, 255, 255)


def test_palette_and_la():
    p = _photo().convert("P", palette=Image.ADAPTIVE, colors=16)
    _check_rgb(load_image(_png(p)), (48, 64))
    _check_rgb(load_image(_png(_photo().convert("LA"))), (48, 64))


def test_cmyk_jpeg():
    cmyk = Image.new("CMYK", (32, 16), (0, 255, 255, 0))  # pure red in CMYK
    a = load_image(_encode(cmyk, "JPEG", quality=95))
    _check_rgb(a, (16, 32))
    r, g, b = a[8, 16].astype(int)
    assert r > 200 and g < 60 and b < 60


def test_16_bit_png_scaled_to_8_bit():
    ramp = (np.linspace(0, 65535, 64)[None, :].repeat(8, 0)).astype(np.uint16)
    a = load_image(_png(Image.fromarray(ramp)))
    _check_rgb(a, (8, 64))
    assert a[0, 0, 0] == 0 and a[0, -1, 0] == 255 and np.all(np.diff(a[0, :, 0].astype(int)) >= 0)
    b = load_image(ramp)  # uint16 arrays too
    assert b[0, -1, 0] == 255


def test_exif_orientation_is_applied():
    img = np.zeros((20, 40, 3), np.uint8)
    img[:, :20] = (255, 0, 0)           # left half red, right half blue, stored landscape
    img[:, 20:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6                     # "rotate 90° CW to display"
    data = _encode(Image.fromarray(img), "JPEG", quality=95, exif=exif.tobytes())
    a = load_image(data)
    _check_rgb(a, (40, 20))              # displayed portrait
    assert a[2, 10, 0] > 200 and a[-3, 10, 2] > 200  # red on top, blue at the bottom


def test_longer_side_is_capped():
    a = load_image(_encode(_photo(4000, 1000), "JPEG"), max_side=2048)
    _check_rgb(a, (512, 2048))
    b = load_image(_png(_photo(300, 900)), max_side=100)
    _check_rgb(b, (100, 33))
    c = load_image(_png(_photo(300, 900)), max_side=None)
    _check_rgb(c, (900, 300))


def test_paths_file_objects_and_arrays(tmp_path):
    p = tmp_path / "x.png"
    p.write_bytes(_png(_photo()))
    _check_rgb(load_image(p), (48, 64))
    _check_rgb(load_image(str(p)), (48, 64))
    f = io.BytesIO(_png(_photo()))
    f.read()  # a consumed stream is rewound
    _check_rgb(load_image(f), (48, 64))
    _check_rgb(load_image(np.ones((5, 6), bool)), (5, 6))
    assert load_image(np.full((5, 6, 3), 0.5))[0, 0, 0] == 128
    _check_rgb(load_image(_photo()), (48, 64))


def test_real_photos_from_shared_data(shared_data):
    files = sorted((shared_data / "content").glob("*"))
    assert len(files) >= 5
    for f in files:
        _check_rgb(load_image(f, max_side=512), load_image(f, max_side=512).shape[:2])
        assert max(load_image(f, max_side=512).shape[:2]) <= 512
    pgm = next((shared_data / "faces" / "orl").rglob("*.pgm"))
    _check_rgb(load_image(pgm), (112, 92))


def test_samples_ship_with_packages():
    table = images.samples()
    assert {"astronaut", "chelsea", "coffee", "bus", "zidane", "china"} <= set(table)
    for name, s in table.items():
        a = s.load(max_side=256)
        assert a.dtype == np.uint8 and a.shape[2] == 3 and max(a.shape[:2]) <= 256, name
        assert a.std() > 5, f"{name} looks blank"
    with pytest.raises(ValueError, match="Unknown sample"):
        images.load_sample("nope")


@pytest.mark.parametrize("name", ["astronaut", "chelsea", "coffee", "camera", "rocket", "coins"])
def test_skimage_samples_are_the_pixels_skimage_data_gives(name):
    # the PNGs are read from their files without skimage.io; prepared results are keyed by the
    # exact pixels of the default pictures, so these must not change by one value
    from skimage import data

    for side in (None, 1024, 512):
        ours, theirs = images.load_sample(name, max_side=side), load_image(getattr(data, name)(), max_side=side)
        assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs), (name, side)


def test_png_and_gif_encoders_round_trip():
    img = np.asarray(_photo())
    assert (load_image(images.to_png_bytes(img)) == img).all()
    gif = images.to_gif_bytes([img, img[::-1].copy(), np.zeros((10, 10, 3), np.uint8)])
    frames = Image.open(io.BytesIO(gif))
    assert frames.n_frames == 3 and frames.size == (64, 48)
    with pytest.raises(ValueError):
        images.to_gif_bytes([])


def test_bad_input_keeps_its_message_after_ultralytics_is_imported():
    """ultralytics patches PIL.Image.open (HEIF plugin install on unknown files); our messages stay."""
    from core.zoo import configure_ultralytics

    configure_ultralytics()
    import ultralytics  # noqa: F401  (applies the patch)
    from PIL import Image

    assert Image.open.__module__ == "ultralytics.utils.patches"
    for name in ("text", "html", "zip"):
        raw, words = BAD_INPUTS[name]
        with pytest.raises(ValueError, match=words):
            images.load_image(raw)


def test_resize_and_crop_matches_torchvisions_resize_and_centre_crop():
    import torch
    from torchvision.transforms import v2

    from core.images import resize_and_crop

    rng = np.random.default_rng(0)
    pic = (rng.random((300, 420, 3)) * 255).astype(np.uint8)
    ours = resize_and_crop(pic, 256, 224)
    assert ours.shape == (224, 224, 3)
    ref = v2.CenterCrop(224)(v2.Resize(256, antialias=True)(torch.from_numpy(pic).permute(2, 0, 1)))
    ref = ref.permute(1, 2, 0).numpy()
    # same geometry (the crop window), interpolation differs only by rounding
    assert np.abs(ours.astype(int) - ref.astype(int)).mean() < 4
    with pytest.raises(ValueError, match="does not fit"):
        resize_and_crop(pic, 100, 224)
