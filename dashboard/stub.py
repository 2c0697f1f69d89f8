"""An honest placeholder for a topic whose lab is not built yet."""
from __future__ import annotations

import streamlit as st

from dashboard import nav


def coming_soon(url: str, parts: list[str]) -> None:
    topic = next(t for t in nav.TOPICS if t.url == url)
    st.title(topic.title)
    st.write(topic.summary)
    st.info("This lab is not built yet. Nothing on this page is simulated: it will show these "
            "computations on real images and real models:", icon=":material/construction:")
    st.markdown("\n".join(f"- {p}" for p in parts))
