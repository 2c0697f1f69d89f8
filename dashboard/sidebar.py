"""The sidebar status panel: device, offline mode, what is still warming up, loaded models and a
button to free them."""
from __future__ import annotations

import streamlit as st

from core import zoo
from dashboard import cache, urlstate, warmup
from dashboard.i18n import _, ngettext, tr

_PRESENT_CSS = """
<style>
html, body, [data-testid="stAppViewContainer"] { font-size: 21px; }
[data-testid="stMainBlockContainer"] { max-width: 100%; padding: 1.5rem 2.5rem 3rem; }
h1 { font-size: 3rem !important; }
h2, h3 { font-size: 2.1rem !important; }
[data-testid="stMarkdownContainer"] p, li, label, .stCaption { font-size: 1.15em; }
[data-testid="stHeader"] { background: transparent; }
</style>
"""


# Streamlit's own "Stop" in the top bar ends a run with no code after it, so the page freezes
# with the live picture and a dead Stop button. Every long job has the lab's own Stop
# (dashboard.jobs.follow), which keeps and draws what was reached; the top one is hidden.
_APP_CSS = """
<style>
[data-testid="stStatusWidget"] [data-testid="stBaseButton-header"] { display: none; }
/* Pages with many tabs: the tab bar wraps onto a second line instead of scrolling sideways,
   so every tab's name is visible at 1280 px and on a projector. */
[data-testid="stTabs"] [role="tablist"] { flex-wrap: wrap; row-gap: 0.25rem; overflow-x: visible; }
</style>
"""


def app_style() -> None:
    st.html(_APP_CSS)  # style-only html takes no room on the page


def presentation_style() -> None:
    """Presentation mode (``?present=1``): large type, full width, sidebar collapsed."""
    st.markdown(_PRESENT_CSS, unsafe_allow_html=True)


def _toggle_present() -> None:
    if st.session_state.get("present-toggle"):
        st.query_params["present"] = "1"
    elif "present" in st.query_params:
        del st.query_params["present"]


@st.cache_resource(show_spinner=False)
def device_text() -> str:
    from core.devices import device_info

    return str(device_info(cache.current_device()))


def _mb(n: int) -> str:
    mb = n / 2**20
    return f"{mb:.1f} MB" if mb < 10 else f"{mb:.0f} MB"


def _device_and_warmup(w: warmup.Status | None) -> None:
    step = w.step("device") if w is not None else None
    if w is None or w.done or step is None or step.state == "done":
        try:
            st.caption(":material/memory: " + _("**Device**: {device}").format(device=device_text()))
        except Exception as e:  # noqa: BLE001 - a broken driver must not take the app down
            st.caption(":material/memory: " + _("Device unknown: {error}").format(error=e))
    elif step.state == "failed":
        st.caption(":material/memory: " + _("Device unknown: {error}").format(error=step.note))
    else:  # importing torch here to ask would race the warm-up's own import of it
        st.caption(":material/memory: " + _("**Device**: found once torch has loaded …"))
    if w is None:
        return
    if not w.done:
        st.caption(":material/hourglass_top: " + _("**Warming up**: {steps}").format(steps=w.line()),
                   help=_("The heavy libraries and default models the pages need load in the "
                          "background once the server serves, so pages open fast. A page opened "
                          "now still works; it may wait for the step shown with …."))
    else:
        problems = w.problems()
        st.caption(":material/check_circle: " + _("**Warm-up done** in {s} s").format(s=f"{w.seconds:.0f}")
                   + (": " + "; ".join(problems) if problems else ""),
                   help=w.line())


def _stop_refreshing() -> None:
    """Stop this fragment's timer (Streamlit's own message for a fragment that is gone); where
    this Streamlit has no such message, one full rerun draws the panel without a timer."""
    try:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        from streamlit.runtime.scriptrunner_utils.script_run_context import (ThreadState,
                                                                             get_script_run_ctx)

        ctx, fragment_id = get_script_run_ctx(), ThreadState.get().fragment_id
        if ctx is None or not fragment_id or not ctx.fragment_ids_this_run:
            return  # drawn in a full run (the next full run has no timer at all)
        msg = ForwardMsg()
        msg.stop_auto_rerun.fragment_ids.append(fragment_id)
        ctx.enqueue(msg)
    except Exception:  # noqa: BLE001 - internals moved: fall back to one full rerun
        st.rerun()


@st.fragment(run_every=1.0)
def _warming_up() -> None:
    w = warmup.status()
    _device_and_warmup(w)
    if w is None or w.done:
        _stop_refreshing()


def status_panel() -> None:
    with st.sidebar:
        st.divider()
        st.toggle(_("Presentation mode"), value=urlstate.presenting(), key="present-toggle",
                  on_change=_toggle_present,
                  help=_("Large type, full width, sidebar collapsed; the page's settings stay in "
                         "the URL (`?present=1&...`) so a prepared link opens the exact demo."))
        if zoo.offline():
            st.caption(":material/cloud_off: " + _("**Offline mode** (`CNNLAB_OFFLINE=1`): bundled "
                                                   "models and weights already in the cache only."))
        else:
            st.caption(":material/cloud_download: " + _("**Online**: pretrained weights download on "
                                                         "first use; `cnnlab prefetch` fetches them "
                                                         "ahead of a talk."))
        w = warmup.status()
        if w is not None and not w.done:
            _warming_up()        # refreshes itself until the warm-up is done
        else:
            _device_and_warmup(w)
        models = cache.loaded_models()
        if models:
            total = sum(m.nbytes for m in models)
            with st.expander(_("Models loaded: {n} · {size}").format(n=len(models), size=_mb(total)), icon=":material/inventory_2:"):
                for m in models:
                    tag = _("fallback") if m.fallback else _("pretrained")
                    st.markdown(f"**{m.title}** ({tag}, {_mb(m.nbytes)}, {m.device})")
                    if m.fallback and m.reason:  # why the model asked for is not the one in use
                        st.caption(":material/warning: " + _("Standing in for `{model}`: {reason}").format(model=m.requested, reason=tr(m.reason)))
                    else:
                        st.caption(tr(m.provenance))
                if st.button(_("Free models"), icon=":material/delete_sweep:", key="free-models",
                             help=_("Release every cached model; pages reload them on next use.")):
                    n = cache.free_models()
                    st.toast(ngettext("Released {n} model.", "Released {n} models.", n).format(n=n))
                    st.rerun()
        else:
            st.caption(":material/inventory_2: " + _("No models loaded yet."))
        _own_models()


def _own_models() -> None:
    """This visitor's own models (``dashboard.own_model``), named, with their provenance."""
    from dashboard import own_model

    mine = own_model.session_models()
    if not mine:
        return
    with st.expander(_("Your models: {n} · {size}").format(n=len(mine), size=_mb(sum(m.nbytes for m in mine.values()))),
                     icon=":material/person:"):
        for m in mine.values():
            tag = _("pretrained") if m.pretrained else _("random weights")
            st.markdown(f"**{m.title}** ({tag}, {_mb(m.nbytes)}, {m.device})")
            st.caption(tr(m.provenance))
        st.caption(_("Kept for this visit only, in memory; nothing was written to disk."))
        if st.button(_("Forget my models"), icon=":material/delete:", key="own-forget"):
            st.toast(_("Forgot {n} model(s).").format(n=own_model.forget_all()))
            st.rerun()
