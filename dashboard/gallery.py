"""The shared "your pictures" uploader: loose pictures or a zip (class folders give labels)."""
from __future__ import annotations

import hashlib

import streamlit as st

from core import gallery
from core.gallery import Gallery
from dashboard.i18n import N_, _, tr
from dashboard.widgets import UPLOAD_TYPES


def your_pictures(key: str, label: str = N_("Your pictures: several files, or one .zip (folders inside = classes)")
                  ) -> Gallery | None:
    """One multi-file uploader; returns the decoded gallery (cached in the session by the files'
    hashes) or ``None`` when nothing usable was uploaded. Bad zips get a message, not a traceback."""
    files = st.file_uploader(_(label), type=UPLOAD_TYPES + ["zip"], accept_multiple_files=True,
                             key=f"{key}-upload",   # "upload": the tabs runner must not re-assign it
                             help=_("At most {n} pictures and {mb} MB in all; each is scaled to {px} px. "
                                    "Read in memory only: nothing is written to disk.").format(
                                 n=gallery.MAX_PICTURES, mb=gallery.MAX_BYTES // 2**20, px=gallery.MAX_SIDE))
    if not files:
        return None
    pairs = [(f.name, f.getvalue()) for f in files]
    digest = hashlib.sha1(b"".join(hashlib.sha1(n.encode() + b"\0" + b).digest() for n, b in pairs)).hexdigest()
    cached = st.session_state.get(f"{key}-gallery")
    if cached and cached[0] == digest:
        g = cached[1]
    else:
        try:
            g = gallery.read_gallery(pairs)
        except ValueError as e:
            st.error(tr(e.args[0]) if len(e.args) == 1 else str(e))
            return None
        st.session_state[f"{key}-gallery"] = (digest, g)
    _caption(g)
    return g if len(g) else None


def _caption(g: Gallery) -> None:
    classes = g.classes
    if classes:
        names = ", ".join(classes[:8]) + ("…" if len(classes) > 8 else "")
        what = _("Read **{n}** picture(s) in **{k}** classes ({names}). In memory only: nothing is "
                 "written to disk.").format(n=len(g), k=len(classes), names=names)
    else:
        what = _("Read **{n}** picture(s). In memory only: nothing is written to disk.").format(n=len(g))
    st.caption(what)
    if g.skipped:
        with st.expander(_("{n} file(s) left out").format(n=len(g.skipped))):
            for name, why in g.skipped[:50]:
                st.markdown(f"- `{name}`: {tr(why)}")
            if len(g.skipped) > 50:
                st.markdown("- " + _("… and {n} more").format(n=len(g.skipped) - 50))
