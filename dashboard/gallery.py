"""The shared "your pictures" uploader: loose pictures or a zip (class folders give labels)."""
from __future__ import annotations

import hashlib

import streamlit as st

from core import gallery
from core.gallery import Gallery
from dashboard.widgets import UPLOAD_TYPES


def your_pictures(key: str, label: str = "Your pictures: several files, or one .zip (folders inside = classes)"
                  ) -> Gallery | None:
    """One multi-file uploader; returns the decoded gallery (cached in the session by the files'
    hashes) or ``None`` when nothing usable was uploaded. Bad zips get a message, not a traceback."""
    files = st.file_uploader(label, type=UPLOAD_TYPES + ["zip"], accept_multiple_files=True,
                             key=f"{key}-upload",   # "upload": the tabs runner must not re-assign it
                             help=f"At most {gallery.MAX_PICTURES} pictures and {gallery.MAX_BYTES // 2**20} MB "
                                  f"in all; each is scaled to {gallery.MAX_SIDE} px. Read in memory only: "
                                  "nothing is written to disk.")
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
            st.error(str(e))
            return None
        st.session_state[f"{key}-gallery"] = (digest, g)
    _caption(g)
    return g if len(g) else None


def _caption(g: Gallery) -> None:
    classes = g.classes
    what = f"Read **{len(g)}** picture(s)" + (f" in **{len(classes)}** classes ({', '.join(classes[:8])}"
                                              + ("…" if len(classes) > 8 else "") + ")" if classes else "")
    st.caption(what + ". In memory only: nothing is written to disk.")
    if g.skipped:
        with st.expander(f"{len(g.skipped)} file(s) left out"):
            for name, why in g.skipped[:50]:
                st.markdown(f"- `{name}`: {why}")
            if len(g.skipped) > 50:
                st.markdown(f"- … and {len(g.skipped) - 50} more")
