"""The sidebar status panel: device, offline mode, loaded models and a button to free them."""
from __future__ import annotations

import streamlit as st

from core import zoo
from dashboard import cache


@st.cache_resource(show_spinner=False)
def _device_text() -> str:
    from core.devices import device_info

    return str(device_info(cache.current_device()))


def status_panel() -> None:
    with st.sidebar:
        st.divider()
        if zoo.offline():
            st.caption(":material/cloud_off: **Offline mode** (`CNNLAB_OFFLINE=1`): bundled models "
                       "and weights already in the cache only.")
        else:
            st.caption(":material/cloud_download: **Online**: pretrained weights download on first "
                       "use; `cnnlab prefetch` fetches them ahead of a talk.")
        try:
            st.caption(f":material/memory: **Device**: {_device_text()}")
        except Exception as e:  # noqa: BLE001 - a broken driver must not take the app down
            st.caption(f":material/memory: Device unknown: {e}")
        models = cache.loaded_models()
        if models:
            total = sum(m.nbytes for m in models) / 2**20
            with st.expander(f"Models loaded: {len(models)} · {total:.0f} MB", icon=":material/inventory_2:"):
                for m in models:
                    tag = "fallback" if m.fallback else "pretrained"
                    st.markdown(f"**{m.title}** ({tag}, {m.nbytes / 2**20:.0f} MB, {m.device})")
                    st.caption(m.provenance)
                if st.button("Free models", icon=":material/delete_sweep:", key="free-models",
                             help="Release every cached model; pages reload them on next use."):
                    n = cache.free_models()
                    st.toast(f"Released {n} model(s).")
                    st.rerun()
        else:
            st.caption(":material/inventory_2: No models loaded yet.")
