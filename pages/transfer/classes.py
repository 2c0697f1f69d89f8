"""The Teach tab's class editor: 2–5 classes, each filled from snapshots, uploads or bundled pictures.

The pictures live in ``st.session_state["tl-teach-classes"]`` (a list of :class:`TaughtClass`), at
most :data:`KEEP_SIDE` px on the longer side; every snapshot taken into a class is appended to it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import streamlit as st

from core import images, transfer
from dashboard.i18n import N_, _, ngettext, opt, tr
from dashboard.widgets import UPLOAD_TYPES, decode

STATE = "tl-teach-classes"
KEEP_SIDE = 320
MAX_PICTURES = 60          # per class
SOURCES = (N_("Camera"), N_("Upload"), N_("Bundled"))
# what the tab opens with: two classes from bundled pictures, so Train works at once
DEFAULTS = [("cat", "cat"), ("coffee", "coffee"), ("brick", "brick"), ("grass", "grass"), ("gravel", "gravel")]
N_DEFAULT = 6
# the bundled sets' names as shown (the keys of core.transfer.BUNDLED stay English)
SET_NAMES = {"brick": N_("brick"), "grass": N_("grass"), "gravel": N_("gravel"), "cat": N_("cat"),
             "coffee": N_("coffee"), "faces": N_("faces"), "not faces": N_("not faces")}
FULL = "full"              # _seen's mark for a picture refused because its class is full


@dataclass
class TaughtClass:
    name: str
    pictures: list[np.ndarray] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)       # "camera" / "upload" / "bundled"
    bundled_draws: int = 0
    bundled_set: str | None = None                          # the last bundled set added (for unseen tests)

    def add(self, image: np.ndarray, origin: str) -> bool:
        small = _shrink(image)
        key = transfer.picture_key(small)
        if key in self.keys or len(self.pictures) >= MAX_PICTURES:
            return False
        self.pictures.append(small)
        self.keys.append(key)
        self.origins.append(origin)
        return True


def _shrink(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    s = KEEP_SIDE / max(h, w)
    if s >= 1:
        return np.ascontiguousarray(image[..., :3])
    return cv2.resize(np.ascontiguousarray(image[..., :3]), (max(1, round(w * s)), max(1, round(h * s))),
                      interpolation=cv2.INTER_AREA)


def _default(i: int) -> TaughtClass:
    name, source = DEFAULTS[i]
    c = TaughtClass(_(SET_NAMES.get(name, name)))     # the default name in the visitor's language
    if i < 2:
        for im in transfer.bundled(source, N_DEFAULT, seed=0):
            c.add(im, "bundled")
        c.bundled_draws, c.bundled_set = 1, source
    return c


def taught(k: int) -> list[TaughtClass]:
    """The first ``k`` classes (created with defaults the first time)."""
    classes: list[TaughtClass] = st.session_state.setdefault(STATE, [])
    while len(classes) < k:
        classes.append(_default(len(classes)))
    return classes[:k]


def _seen(i: int) -> dict:
    """Snapshot/upload hashes already taken into class ``i`` → the problem with them (None: taken),
    so a rerun neither adds them again (even after the class was emptied) nor forgets a bad file."""
    return st.session_state.setdefault(f"_tl-seen-{i}", {})


def editor(i: int, c: TaughtClass) -> None:
    """One class: its name, where its pictures come from, and their thumbnails."""
    colour = transfer.HEX[i]
    top = st.columns([2, 3, 1])
    name = top[0].text_input(_("Class {n} name").format(n=i + 1), c.name, key=f"tl-name-{i}", max_chars=24)
    c.name = (name or "").strip() or _("class {n}").format(n=i + 1)
    source = top[1].segmented_control(_("Add pictures from"), SOURCES, default="Bundled" if i < 2 else "Camera",
                                      key=f"tl-src-{i}", format_func=opt) or "Camera"
    if top[2].button(_("Empty"), key=f"tl-clear-{i}", icon=":material/delete:",
                     help=_("Remove this class's pictures")):
        c.pictures.clear(), c.keys.clear(), c.origins.clear()
        c.bundled_set = None
    left, right = st.columns([2, 3], gap="medium")
    with left:
        if source == "Camera":
            shot = st.camera_input(_("Snapshot into “{name}” (each photo is added; clear it to take the next)")
                                   .format(name=c.name), key=f"tl-camera-{i}")
            if shot is not None:
                _take(i, c, shot.getvalue(), "camera", _("camera snapshot"))
        elif source == "Upload":
            ups = st.file_uploader(_("Pictures of “{name}”").format(name=c.name), type=UPLOAD_TYPES, accept_multiple_files=True,
                                   key=f"tl-upload-{i}")
            for up in ups or []:
                _take(i, c, up.getvalue(), "upload", up.name)
        else:
            which = st.selectbox(_("Bundled set"), list(transfer.BUNDLED), key=f"tl-bset-{i}",
                                 index=list(transfer.BUNDLED).index(DEFAULTS[i][1]),
                                 format_func=lambda n: _("{name} — {about}").format(
                                     name=_(SET_NAMES.get(n, n)), about=tr(transfer.BUNDLED[n][0])))
            if st.button(ngettext("Add {n} picture", "Add {n} pictures", N_DEFAULT).format(n=N_DEFAULT),
                         key=f"tl-add-go-{i}", icon=":material/add_photo_alternate:"):
                for im in transfer.bundled(which, N_DEFAULT, seed=1000 * i + c.bundled_draws):
                    c.add(im, "bundled")
                c.bundled_draws += 1
                c.bundled_set = which
    with right:
        n = len(c.pictures)
        label = f"<span style='color:{colour};font-weight:600'>■ {c.name}</span>"
        count = (_("{name}: {n} pictures (the last 10 shown)") if n > 10
                 else ngettext("{name}: {n} picture", "{name}: {n} pictures", n))
        st.markdown(count.format(name=label, n=n), unsafe_allow_html=True)
        shown = c.pictures[-10:]
        for row in range(0, len(shown), 5):
            for col, im in zip(st.columns(5), shown[row:row + 5]):
                col.image(images.resize_and_crop(im, 96, 96), width="stretch")


def _take(i: int, c: TaughtClass, data: bytes, origin: str, what: str) -> None:
    import hashlib

    digest = hashlib.sha1(data).hexdigest()
    seen = _seen(i)
    if digest not in seen:
        seen[digest] = None
        try:
            image = decode(data, 1024)
        except ValueError as e:     # kept as raised (a core.i18n.Msg), translated where shown
            seen[digest] = e.args[0] if len(e.args) == 1 else str(e)
        else:
            if not c.add(image, origin) and len(c.pictures) >= MAX_PICTURES:
                seen[digest] = FULL
    if seen[digest]:
        problem = (_("“{name}” already has {n} pictures, the most a class keeps here.").format(
            name=c.name, n=MAX_PICTURES) if seen[digest] == FULL else tr(seen[digest]))
        st.error(_("**{what}** was not added: {problem}").format(what=what, problem=problem))


def training_set(classes: list[TaughtClass]) -> tuple[list[np.ndarray], list[str], list[int], list[str]]:
    """(pictures, keys, labels, class names) of every class, in order; a clear message when a
    class is empty or two share a name."""
    names = [c.name for c in classes]
    if len(set(n.lower() for n in names)) < len(names):
        raise ValueError(_("Two classes have the same name; give each class its own."))
    pics, keys, labels = [], [], []
    for i, c in enumerate(classes):
        pics += c.pictures
        keys += c.keys
        labels += [i] * len(c.pictures)
    transfer.check_classes(labels, names)
    return pics, keys, labels, names
