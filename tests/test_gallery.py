"""The user's gallery: zips with class folders, skips with reasons, caps, zip bombs; both tabs."""
from __future__ import annotations

import io
import struct
import zipfile

import numpy as np
import pytest

from core import images
from core.gallery import read_gallery


def _png(seed: int, side: int = 48) -> bytes:
    rng = np.random.default_rng(seed)
    return images.to_png_bytes(rng.integers(0, 256, (side, side, 3), dtype=np.uint8))


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_zip_folders_become_labels_and_junk_is_skipped_with_its_reason():
    z = _zip({"cats/a.png": _png(0), "cats/b.png": _png(1), "dogs/c.png": _png(2), "loose.png": _png(3),
              "dogs/notes.txt": b"hello", "dogs/fake.png": b"not really a png",
              "__MACOSX/cats/._a.png": b"\0\0", "cats/.DS_Store": b"\0"})
    g = read_gallery([("pets.zip", z)])
    assert g.names == ["cats/a.png", "cats/b.png", "dogs/c.png", "loose.png"]
    assert g.labels == ["cats", "cats", "dogs", None]
    assert g.classes == ["cats", "dogs"]
    assert all(p.dtype == np.uint8 and p.shape == (48, 48, 3) for p in g.pictures)
    skipped = dict(g.skipped)
    assert set(skipped) == {"dogs/notes.txt", "dogs/fake.png"}           # hidden and __MACOSX/ ignored
    assert "not a picture" in skipped["dogs/notes.txt"] and "not a picture" in skipped["dogs/fake.png"]


def test_loose_files_have_no_label_and_caps_hold():
    files = [(f"p{i}.png", _png(i)) for i in range(5)]
    g = read_gallery(files, max_pictures=3)
    assert g.labels == [None] * 3 and len(g.skipped) == 2
    assert all("cap of 3 pictures" in why for _, why in g.skipped)
    one = len(files[0][1])
    g = read_gallery(files, max_bytes=int(2.5 * one))                   # room for two
    assert len(g) == 2 and all("too big" in why for _, why in g.skipped)
    g = read_gallery([("big.png", _png(0, side=900))], max_side=100)
    assert max(g.pictures[0].shape[:2]) == 100


def test_empty_and_corrupt_zips_say_so():
    with pytest.raises(ValueError, match="not a readable zip"):
        read_gallery([("broken.zip", b"PK\x03\x04 this is not a zip at all")])
    with pytest.raises(ValueError, match="holds no files"):
        read_gallery([("empty.zip", _zip({"__MACOSX/._x": b"", ".hidden.png": _png(0)}))])
    g = read_gallery([("a.png", _png(0)), ("broken.zip", b"PK\x03\x04 junk")])    # beside a good file: skipped
    assert len(g) == 1 and g.skipped[0][0] == "broken.zip" and "not a readable zip" in g.skipped[0][1]


def _bomb() -> bytes:
    """A zip whose one entry declares 3 GB uncompressed (headers patched; the data is tiny)."""
    raw = bytearray(_zip({"a/bomb.png": _png(0), "a/ok.png": _png(1)}))
    zf = zipfile.ZipFile(io.BytesIO(bytes(raw)))
    info = zf.infolist()[0]
    huge = 3 * 2**30
    assert huge < 2**32
    struct.pack_into("<I", raw, info.header_offset + 22, huge)                 # local header
    cd = raw.index(b"PK\x01\x02")                                               # its central record
    struct.pack_into("<I", raw, cd + 24, huge)
    return bytes(raw)


def test_a_zip_bomb_is_refused_from_its_declared_size_without_reading_it(monkeypatch):
    bomb, opened = _bomb(), []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open",
                        lambda self, name, *a, **k: opened.append(getattr(name, "filename", name))
                        or real_open(self, name, *a, **k))
    g = read_gallery([("bomb.zip", bomb)])
    assert g.names == ["a/ok.png"]
    (name, why), = g.skipped
    assert name == "a/bomb.png" and "declares 3072.0 MB" in why
    assert opened == ["a/ok.png"]                                               # the bomb was never opened


def _two_pictures() -> list[tuple[str, bytes, str]]:
    return [("red/one.png", _png(10, 64), "image/png"), ("blue/two.png", _png(11, 64), "image/png")]


def _tab(name: str):
    from tests.pageapp import page_app

    at = page_app("inside", default_timeout=240).run()
    at.session_state["inside-tab"] = name
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _views(at) -> int:
    import re

    return int(re.search(r"\((\d+) views\)", next(c.value for c in at.caption if "Gallery:" in c.value))[1])


def test_patches_tab_searches_two_uploaded_pictures(monkeypatch):
    from pages.inside import common

    few = common.sample_views()[:3]                      # three bundled samples keep the search short
    monkeypatch.setattr(common, "sample_views", lambda: few)
    at = _tab("Maximally activating patches")
    before = _views(at)
    at.file_uploader(key="inside-tp-upload").set_value(_two_pictures()).run()
    assert any("Read **2** picture(s)" in c.value for c in at.caption)
    assert any("plus 2 picture(s) of yours" in c.value for c in at.caption)
    at.button(key="inside-tp-go").click().run()
    assert not at.exception, [e.message for e in at.exception]
    res = at.session_state["inside-tp"]
    assert _views(at) == before + 12 == res["n"] == 6 * 5                       # 6 views per picture
    assert len(res["patches"]) == 9
    many = [(f"p{i}.png", _png(i, 32), "image/png") for i in range(41)]
    at.file_uploader(key="inside-tp-upload").set_value(many).run()           # over the tab's cap of 40
    assert any("first 40 of your 41 pictures" in c.value for c in at.caption)
    assert _views(at) == before + 6 * 40


def test_neighbours_tab_embeds_the_uploaded_pictures_with_their_folders_as_classes():
    at = _tab("Neighbours & t-SNE")
    at.radio(key="inside-nn-proj").set_value("pca").run()                     # the quick projection
    zipped = _zip({n: b for n, b, _ in _two_pictures()})
    at.file_uploader(key="inside-nn-upload").set_value([("mine.zip", zipped, "application/zip")]).run()
    assert any("in **2** classes (blue, red)" in c.value for c in at.caption)
    at.button(key="inside-nn-go").click().run()
    assert not at.exception, [e.message for e in at.exception]
    res = at.session_state["inside-nn"]
    assert res["names"][-2:] == ["red/one.png", "blue/two.png"] and res["labels"][-2:] == ["red", "blue"]
    assert res["feats"].shape[0] == len(res["gal"]) + 1 == res["xy"].shape[0]
    from pages.inside.neighbours import _map

    fig = _map(res)                                                            # one colour per class
    assert [t.name for t in fig.data] == ["bundled samples", "red", "blue", "query"]
    assert len({t.marker.color for t in fig.data}) == 4 and len(fig.layout.images) == len(res["gal"]) + 1
    at.file_uploader(key="inside-nn-upload").set_value([("bad.zip", b"PK\x03\x04junk", "application/zip")]).run()
    assert not at.exception and any("not a readable zip" in e.value for e in at.error)
