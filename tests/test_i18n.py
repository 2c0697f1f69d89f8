"""Korean / English (issue 21): the catalogs compile, every marked string has a Korean
translation with the same placeholders, core's messages are translated where shown, and the
pages translated so far render in Korean with no marked English left."""
from __future__ import annotations

import gettext
import io
import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from core.i18n import Msg, N_, _ as lazy, ngettext as lazy_n
from tests import i18n_pages
from tests.pageapp import page_app

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "locales" / "ko" / "LC_MESSAGES" / "cnnlab.po"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _catalog():
    with PO.open("rb") as f:
        return read_po(f, locale="ko", domain="cnnlab")


def _extracted() -> dict:
    """What Babel extracts from the source right now (msgid, or (singular, plural))."""
    found = {}
    for folder in ("core", "dashboard", "pages"):
        for filename, _line, message, _comments, _ctx in extract_from_dir(
                ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS):
            found.setdefault(message, f"{folder}/{filename}")
    return found


def _fields(text: str) -> set[str]:
    if re.search(r"\\[A-Za-z]+\{", text):   # LaTeX (\text{…}, \frac{…}): shown as it is, no fields
        return set()
    try:
        return {f for _lit, f, _spec, _conv in string.Formatter().parse(text) if f is not None}
    except ValueError:  # not a format string (LaTeX braces, shown as they are): no fields
        return set()


def test_catalog_compiles_and_loads():
    buf = io.BytesIO()
    write_mo(buf, _catalog(), use_fuzzy=False)
    t = gettext.GNUTranslations(io.BytesIO(buf.getvalue()))
    assert t.gettext("Convolution lab") == "합성곱 실험실"
    assert t.ngettext("Released {n} model.", "Released {n} models.", 3) == "모델 {n}개를 내렸습니다."
    assert not [m.id for m in _catalog() if m.id and m.fuzzy]


def test_every_marked_string_has_a_korean_translation_with_the_same_placeholders():
    catalog = _catalog()
    problems = []
    for message, where in _extracted().items():
        key = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(key)
        strings = (entry.string if entry else None) or ""
        strings = strings if isinstance(strings, tuple) else (strings,)
        if not entry or not all(strings):
            problems.append(f"untranslated ({where}): {key!r}")
            continue
        want = _fields(key) | (_fields(message[1]) if isinstance(message, tuple) else set())
        for s in strings:
            if _fields(s) != want:
                problems.append(f"placeholders differ ({where}): {key!r} -> {s!r}")
            if not HANGUL.search(s) and s != key and key not in ("DeepDream",):
                problems.append(f"no Korean in the translation of {key!r}: {s!r}")
    assert not problems, "\n".join(problems)


def test_core_messages_are_lazy_and_translate_where_shown():
    m = lazy("Window position")
    assert m == "Window position" and isinstance(m, str)
    import pickle

    again = pickle.loads(pickle.dumps(m))
    assert isinstance(again, Msg) and again.msgid == "Window position"
    ko = gettext.GNUTranslations(io.BytesIO(_mo_bytes()))
    assert m.translate(ko.gettext, ko.ngettext) == "창 위치"
    fmt = lazy("feature map {w}×{h}", w=3, h=4)
    assert fmt == "feature map 3×4"
    assert fmt.translate(ko.gettext) == "특징 맵 3×4"
    n = lazy_n("Released {n} model.", "Released {n} models.", 2)
    assert n == "Released 2 models." and n.translate(ko.gettext, ko.ngettext) == "모델 2개를 내렸습니다."
    assert N_("Pooling") == "Pooling"


def _mo_bytes() -> bytes:
    buf = io.BytesIO()
    write_mo(buf, _catalog(), use_fuzzy=False)
    return buf.getvalue()


def _cases():
    from dashboard import nav

    cases = [("home", None)]
    for topic in nav.TOPICS:
        cases += [(topic.package, tab) for tab in i18n_pages.tabs_of(topic.package)]
    return cases


CASES = _cases()
TRANSLATED = [(p, t) for p, t in CASES if i18n_pages.translated(p, t)]


def test_the_translated_list_names_real_tabs():
    pages = ("convolution", "detection", "style", "inside", "architectures", "transfer", "deepdream",
             "segmentation", "embeddings")
    assert len(TRANSLATED) == 1 + sum(len(i18n_pages.tabs_of(p)) for p in pages)


@pytest.mark.parametrize("package,tab", TRANSLATED, ids=[f"{p}-{t}" for p, t in TRANSLATED])
def test_every_tab_reads_in_korean(package, tab):
    """Every page and tab in Korean, its main button pressed: no exception, Korean shown, and no
    English left — neither a marked string shown untranslated nor unmarked English prose
    (names, code and notation excepted, see tests/i18n_pages.py)."""
    problems = i18n_pages.report(package, tab)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("package", sorted({p for p, _t in CASES}))
def test_english_stays_the_default(package):
    at = page_app(package).run()
    assert not at.exception
    # a notes' term glossed in parentheses, "the noise loss (잡음 손실)", is English text too
    hangul = [t for t in i18n_pages.texts(at) if HANGUL.search(re.sub(r"\([^()]*\)", "", t))]
    assert not hangul, hangul


def test_a_core_error_reaches_the_page_in_korean():
    from streamlit.testing.v1 import AppTest

    def script():
        import streamlit as st

        from core.i18n import _ as mark
        from dashboard.tabs import boundary

        st.query_params["lang"] = "ko"

        def bad():
            raise ValueError(mark("This sample image cannot be loaded: {error}", error="x.png"))
        boundary(bad, where="t")

    at = AppTest.from_function(script).run()
    assert [e.value for e in at.error] == ["이 예제 이미지를 불러올 수 없습니다: x.png"]


def test_diagram_boxes_are_widened_for_korean_labels_only():
    """viz.js measures labels with Latin metrics: a Korean box gets a width from the label's
    drawn width (wider for a longer Korean line), an English diagram is left exactly as it is."""
    import core.architectures as arch
    from dashboard.figures import fit_wide_labels
    from dashboard.i18n import catalog

    english = arch.residual_block_dot()
    assert fit_wide_labels(english) == english
    dot = arch.residual_block_dot(translate=catalog("ko").gettext)
    assert "선형" in dot and "width=" in fit_wide_labels(dot)
    short = fit_wide_labels('digraph G {\n  node [fontsize=10];\n  a [label="선형"];\n'
                            '  b [label="채널 방향 이어 붙이기"];\n  a -> b [label="스킵"];\n}')
    widths = [float(w) for w in re.findall(r"width=([\d.]+)", short)]
    assert len(widths) == 2 and widths[1] > widths[0] > 0.3   # nodes only, not the edge label


def _emphasis(text: str) -> tuple[int, int]:
    """How many bold and italic spans ``text`` renders to (CommonMark, like Streamlit), with its
    placeholders filled as a page would fill them (a number; a percentage for ``{x:.0%}``)."""
    from markdown_it import MarkdownIt

    text = re.sub(r"`[^`]*`", "", text)
    text = re.sub(r"\{[^{}]*%\}", "93%", text)
    text = re.sub(r"\{[^{}]*\}", "x1", text)
    html = MarkdownIt("commonmark").render(text)
    return html.count("<strong>"), html.count("<em>")


def test_korean_markdown_keeps_its_bold_and_italics():
    """CommonMark does not close ``**93%**`` when a Hangul particle follows it (``**93%**에``):
    the asterisks would show. Every translation renders as many bold and italic spans as its
    English."""
    broken = [m.id for m in i18n_pages.catalog() if m.id and isinstance(m.id, str) and m.string
              and "*" in m.id and _emphasis(m.string) != _emphasis(m.id)]
    assert not broken, broken
