"""The user's own pictures as a gallery: a zip (optionally in class folders) or several files.

``read_gallery`` turns uploaded ``(name, bytes)`` pairs into decoded RGB pictures with names and
labels, all in memory: a zip is read with :mod:`zipfile` from a ``BytesIO`` and never extracted
to disk. Labels come from the folder a picture sits in inside a zip (``cats/a.jpg`` → ``"cats"``);
loose files have no folder and get ``None``. Everything left out is listed with its reason.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import numpy as np

from core import images
from core.i18n import _

MAX_PICTURES = 200
MAX_BYTES = 50 * 2**20               # what all pictures together may weigh, uncompressed
MAX_SIDE = 512                       # each picture is scaled down to this on its longer side
_IMAGE_EXT = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}


@dataclass
class Gallery:
    pictures: list[np.ndarray] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    labels: list[str | None] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)    # (name, reason)

    def __len__(self) -> int:
        return len(self.pictures)

    @property
    def classes(self) -> list[str]:
        return sorted({lab for lab in self.labels if lab is not None})


def read_gallery(files: list[tuple[str, bytes]], *, max_pictures: int = MAX_PICTURES,
                 max_bytes: int = MAX_BYTES, max_side: int = MAX_SIDE) -> Gallery:
    """Decode ``files`` (loose pictures and/or zips) into a :class:`Gallery`.

    Raises ``ValueError`` for a zip that is empty or not a readable zip when nothing else gave a
    picture (beside good files it is skipped with that reason). A picture that cannot be
    decoded, goes over ``max_pictures`` or pushes the total over ``max_bytes`` is skipped with its
    reason; a zip entry is judged by the uncompressed size its header declares before it is read.
    """
    g = Gallery()
    budget = [max_bytes]
    bad_zips: list[ValueError] = []

    def add(name: str, raw: bytes, label: str | None) -> None:
        if len(g.pictures) >= max_pictures:
            g.skipped.append((name, _("over the cap of {n} pictures", n=max_pictures)))
            return
        try:
            g.pictures.append(images.load_image(raw, max_side=max_side))
        except ValueError as e:
            g.skipped.append((name, _("not a picture: {error}", error=_message(e))))
            return
        g.names.append(name)
        g.labels.append(label)

    for name, raw in files:
        if name.lower().endswith(".zip") or raw[:4] == b"PK\x03\x04":
            try:
                _read_zip(name, raw, g, add, budget, max_pictures)
            except ValueError as e:                            # others may still be good: skip this one
                bad_zips.append(e)
                g.skipped.append((name, _message(e)))
        elif len(raw) > budget[0]:
            g.skipped.append((name, _over_budget(len(raw), max_bytes)))
        else:
            budget[0] -= len(raw)
            add(name, raw, None)
    if bad_zips and not g.pictures:
        raise bad_zips[0]
    return g


def _read_zip(zname: str, raw: bytes, g: Gallery, add, budget: list[int], max_pictures: int) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise ValueError(_("{name} is not a readable zip file ({error}).", name=zname, error=str(e))) from None
    with zf:
        entries = [i for i in zf.infolist() if not i.is_dir() and not _ignored(i.filename)]
        if not entries:
            raise ValueError(_("{name} holds no files (folders, hidden files and __MACOSX/ are ignored).",
                               name=zname))
        for info in entries:
            path = PurePosixPath(info.filename)
            if PurePosixPath(path.name).suffix.lower() not in _IMAGE_EXT:
                g.skipped.append((info.filename, _("not a picture (its name does not end in an image format)")))
                continue
            if len(g.pictures) >= max_pictures:
                g.skipped.append((info.filename, _("over the cap of {n} pictures", n=max_pictures)))
                continue
            if info.file_size > budget[0]:                     # declared size, judged before reading
                g.skipped.append((info.filename, _over_budget(info.file_size, budget[0], declared=True)))
                continue
            try:
                data = _read_capped(zf, info, budget[0])
            except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
                g.skipped.append((info.filename, _("could not be read from the zip ({error})", error=_message(e))))
                continue
            budget[0] -= len(data)
            label = path.parent.name if len(path.parts) > 1 else None
            add(info.filename, data, label)


def _read_capped(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    """Read an entry but stop after ``cap`` bytes, in case its header lies about its size."""
    with zf.open(info) as f:
        data = f.read(cap + 1)
    if len(data) > cap:
        raise ValueError(_("it inflates past its declared size and the size cap (a zip bomb?)"))
    return data


def _ignored(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return any(p == "__MACOSX" or p.startswith(".") for p in parts)


def _over_budget(n: int, cap: int, declared: bool = False) -> str:
    if declared:
        return _("too big: it declares {mb:.1f} MB uncompressed and only {left:.1f} MB of the "
                 "gallery's size cap is left", mb=n / 2**20, left=cap / 2**20)
    return _("too big: it weighs {mb:.1f} MB uncompressed and only {left:.1f} MB of the gallery's "
             "size cap is left", mb=n / 2**20, left=cap / 2**20)


def _message(e: Exception) -> str:
    """An error's message, kept translatable when it is a core message."""
    return e.args[0] if len(e.args) == 1 and isinstance(e.args[0], str) else str(e)
