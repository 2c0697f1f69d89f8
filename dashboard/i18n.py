"""The lab in the visitor's language: English (default) or Korean, per visitor.

GNU gettext through Python's :mod:`gettext`: catalogs in ``locales/<lang>/LC_MESSAGES/cnnlab.po``,
extracted with Babel (``make i18n``, see ``babel.cfg``) and compiled to ``.mo``. The ``.mo`` is
built from the ``.po`` on first use when it is missing or older (so a checkout needs no build
step); where the folder is read-only it is compiled in memory.

The language comes from ``?lang=ko`` (kept in the URL like every other setting, so a prepared
link opens in Korean) or the sidebar's selector, and stays for the visit across pages.

Pages use ``_("…")`` for text, ``ngettext`` for counts, ``N_`` for constants translated where
shown, ``tr(x)`` for messages from ``core`` (:class:`core.i18n.Msg`), ``opt`` as a
``format_func`` so widget options keep their English values while showing translated names.
"""
from __future__ import annotations

import gettext as _gettext
import io
import logging
import threading
from pathlib import Path
from typing import Any

import streamlit as st

from core.i18n import Msg, N_  # noqa: F401 - N_ re-exported for pages

log = logging.getLogger("cnnlab")

DOMAIN = "cnnlab"
LOCALES = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = {"en": "English", "ko": "한국어"}
DEFAULT = "en"
KEY = "lang"            # widget key and URL parameter
_lock = threading.Lock()
_catalogs: dict[str, _gettext.NullTranslations] = {}


def _compile(po: Path, mo: Path) -> bytes:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        catalog = read_po(f, locale=po.parent.parent.name, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    data = buf.getvalue()
    try:
        mo.write_bytes(data)
    except OSError:  # a read-only install: the compiled catalog lives in memory only
        pass
    return data


def catalog(lang: str) -> _gettext.NullTranslations:
    """The compiled catalog for ``lang`` (English: no translation)."""
    if lang == DEFAULT or lang not in LANGUAGES:
        return _gettext.NullTranslations()
    with _lock:
        if lang not in _catalogs:
            po = LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
            mo = po.with_suffix(".mo")
            try:
                if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
                    data = mo.read_bytes()
                else:
                    data = _compile(po, mo)
                _catalogs[lang] = _gettext.GNUTranslations(io.BytesIO(data))
            except Exception:  # noqa: BLE001 - a broken catalog shows English, never a traceback
                log.exception("catalog for %r could not be loaded; showing English", lang)
                _catalogs[lang] = _gettext.NullTranslations()
        return _catalogs[lang]


_last = DEFAULT   # the language of the latest script run (see opt)


def _in_run() -> bool:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    return get_script_run_ctx(suppress_warning=True) is not None


def current() -> str:
    """This visitor's language: the selector's value, else ``?lang=``, else English."""
    global _last
    try:
        lang = st.session_state.get(KEY) or st.query_params.get(KEY, DEFAULT)
    except Exception:  # noqa: BLE001 - outside a Streamlit run (scripts, tests of core)
        return DEFAULT
    lang = lang if lang in LANGUAGES else DEFAULT
    if _in_run():
        _last = lang
    return lang


def _lang() -> str:
    """The language to translate into now: this visitor's; outside a script run, English —
    except where Streamlit's AppTest formats a widget value after a run (it calls the widget's
    ``format_func`` to find the value among the shown options): there, the latest run's."""
    if _in_run():
        return current()
    import sys

    f = sys._getframe(1)
    while f is not None:
        if "streamlit/testing/" in f.f_code.co_filename.replace("\\", "/"):
            return _last
        f = f.f_back
    return DEFAULT


def _(msgid: str) -> str:
    """``msgid`` in this visitor's language."""
    return catalog(_lang()).gettext(msgid) if msgid else msgid


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalog(_lang()).ngettext(singular, plural, n)


def tr(text: Any) -> Any:
    """Translate what ``core`` hands the page: a :class:`core.i18n.Msg` with its values, or a
    marked constant; anything else passes through unchanged."""
    if isinstance(text, Msg):
        c = catalog(_lang())
        return text.translate(c.gettext, c.ngettext)
    if isinstance(text, str):
        return _(text)
    return text


def opt(value: Any) -> str:
    """``format_func`` for widgets whose options are English values: shows them translated.

    Streamlit calls it while the script runs; Streamlit's AppTest also calls it afterwards,
    outside any run, to find a chosen value among the shown options: then it uses the language
    of the latest run, so the labels match."""
    return _(str(value))


def shown(options, fmt=None):
    """A ``format_func`` with the options' labels worked out now, in this run's language: a plain
    lookup afterwards (also where Streamlit's AppTest formats a value outside the run)."""
    fmt = fmt or opt
    labels = {o: fmt(o) for o in options}
    return lambda v: labels.get(v, str(v))


def number(value: float, digits: int = 2) -> str:
    """A number formatted by the visitor's locale (Babel's CLDR data)."""
    from babel.numbers import format_decimal

    fmt = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=fmt, locale=current())


def selector() -> None:
    """The language selector (sidebar, above the page's own controls)."""
    from dashboard import urlstate

    urlstate.restore(KEY, valid=lambda _k, v: v in LANGUAGES)
    st.sidebar.segmented_control(
        "Language / 언어", list(LANGUAGES), format_func=LANGUAGES.get, key=KEY,
        default=current(), selection_mode="single", label_visibility="collapsed")
    if st.session_state.get(KEY) is None:  # a segmented control can be cleared: keep a language
        st.session_state[KEY] = DEFAULT


HANGUL_FONT = "Noto Sans CJK KR, Noto Sans KR, Malgun Gothic, Apple SD Gothic Neo, sans-serif"
