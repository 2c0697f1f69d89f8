"""Run a page's tab in Korean under AppTest and list what a visitor reads that is still English.

Used by ``tests/test_i18n.py`` (every page and tab) and by hand while translating::

    .venv/bin/python -m tests.i18n_pages detection            # every tab of one page
    .venv/bin/python -m tests.i18n_pages detection "NMS"      # one tab (English title)

Two checks: a string the catalog marks (``_``/``N_``) shown in English means the page did not
translate it where it is shown; any other text with no Hangul and a run of ordinary English
words means the page did not mark it at all. Names (models, datasets, people, code) are kept.
"""
from __future__ import annotations

import functools
import importlib
import json
import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "locales" / "ko" / "LC_MESSAGES" / "cnnlab.po"
HANGUL = re.compile(r"[\uac00-\ud7a3]")
PREFIX = {"home": "home-", "convolution": "conv-", "architectures": "arch-", "detection": "det-",
          "segmentation": "seg-", "inside": "inside-", "deepdream": "dd-", "style": "st-",
          "embeddings": "emb-", "transfer": "tl-"}

# Words that are names or notation, not English to translate (models, datasets, libraries,
# people, units, code words). A text made only of these, numbers and symbols is fine as it is.
NAMES = set("""
cnn cnns cnnlab lab relu softmax sigmoid tanh batchnorm conv convtranspose maxpool avgpool fc
resnet resnet-18 resnet-34 resnet-50 resnet-101 resnet18 resnet50 vgg vgg-16 vgg16 vgg19
alexnet lenet lenet-5 googlenet inception inceptionv3 inception-v1 mobilenet mobilenetv2
mobilenetv3 mobilenet-v2 efficientnet efficientnet-b0 efficientnet-lite0 lite0 b0 densenet
yolo yolov3 yolov5 yolov8 yolov8n yolo11n yolo11n-seg yolo11 ultralytics u-net unet r-cnn rcnn
fast faster mask imagenet coco voc mnist cifar cifar-10 pytorch torch torchvision timm captum
onnx streamlit ray serve umap t-sne tsne pca facenet arcface triplet sobel scharr prewitt
laplacian gaussian canny deepdream gram vgg-19 zidane bus lena camera cameraman astronaut
coffee chelsea hubble rocket great wave starry night scream monet hokusai van gogh munch
mona lisa kanagawa cpu gpu cuda mps px ms fps mb gb kb iou nms map ap tp fp fn tn roc auc
grad-cam gradcam cam lrp smoothgrad fgsm pgd adam sgd lr rgb bgr hsv png jpg jpeg gif webp
pt pth npz csv json http https www github com org io k x y w h n f s p c e.g i.e vs etc valid same
modern stem expand features classifier eileen collins carlo ancelotti
""".split())
CLASS_LABEL = re.compile(r"^\d{1,4} [^\s\d][^·]*(· [\d.]+ s)?$")
WORD = re.compile(r"[A-Za-z][A-Za-z\-']+")


# Issue 21 is under way: the pages and tabs translated so far (README's language section lists
# the rest, which still show English in Korean). Every one listed must read fully in Korean.
WHOLE_PAGES = ("home", "convolution", "detection", "style", "inside", "architectures", "transfer",
               "deepdream", "segmentation", "embeddings")
TABS_DONE: set[tuple[str, str]] = set()


def translated(package: str, tab: str | None) -> bool:
    return package in WHOLE_PAGES or (package, tab) in TABS_DONE


@functools.lru_cache(maxsize=1)
def catalog():
    with PO.open("rb") as f:
        return read_po(f, locale="ko", domain="cnnlab")


def _row_names(frame) -> list[str]:
    """A table's row names when it has them (an index of words, not 0, 1, 2 …)."""
    import pandas as pd

    if isinstance(frame.index, pd.RangeIndex):
        return []
    return [str(v) for v in frame.index if isinstance(v, str)]


def tabs_of(package: str) -> list[str]:
    """The English titles of a page's tabs ([] for a page without tabs)."""
    module = importlib.import_module(f"pages.{package}")
    return [t.title for t in getattr(module, "TABS", [])]


def korean(english: str) -> str:
    entry = catalog().get(english)
    return (entry.string if entry and entry.string else english)


def _plotly_texts(spec: dict) -> list[str]:
    layout, out = spec.get("layout", {}), []

    def text(t):
        if isinstance(t, dict):
            t = t.get("text")
        if isinstance(t, str) and t.strip():
            out.append(t)

    text(layout.get("title"))
    for k, v in layout.items():
        if (k.startswith("xaxis") or k.startswith("yaxis") or k.startswith("scene")) and isinstance(v, dict):
            text(v.get("title"))
            for axis in ("xaxis", "yaxis", "zaxis"):
                if isinstance(v.get(axis), dict):
                    text(v[axis].get("title"))
        if k == "coloraxis" and isinstance(v, dict):
            text((v.get("colorbar") or {}).get("title"))
    for a in layout.get("annotations", []) or []:
        text(a.get("text"))
    text((layout.get("legend") or {}).get("title"))
    for trace in spec.get("data", []):
        if trace.get("showlegend", True) and trace.get("name"):
            text(trace["name"])
        text((trace.get("colorbar") or {}).get("title"))
    return out


def texts(at) -> list[str]:
    """Every text a visitor reads in an AppTest run: titles, markdown, captions, messages, widget
    labels, options and help, tab names, table headers, picture captions, plot titles, axes,
    legends and annotations."""
    out = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "error", "warning",
                 "info", "success", "toast"):
        out += [str(e.value) for e in getattr(at, kind, [])]
    for kind in ("radio", "selectbox", "slider", "number_input", "toggle", "button", "checkbox",
                 "text_input", "text_area", "multiselect", "select_slider", "expander", "color_picker",
                 "date_input"):
        for w in getattr(at, kind, []):
            label = getattr(w, "label", None)
            if label:
                out.append(str(label))
            helptext = getattr(getattr(w, "proto", None), "help", "")
            if helptext:
                out.append(str(helptext))
            if kind in ("radio", "selectbox", "multiselect", "select_slider"):
                out += [str(o) for o in getattr(w, "options", [])]
    out += [str(t.label) for t in at.tabs]
    for name in ("download_button", "file_uploader", "camera_input", "segmented_control",
                 "button_group", "metric"):
        for e in at.get(name):
            label = getattr(getattr(e, "proto", None), "label", "")
            if label:
                out.append(str(label))
            helptext = getattr(getattr(e, "proto", None), "help", "")
            if helptext:
                out.append(str(helptext))
    for e in at.get("image"):
        out += [c for c in getattr(e, "captions", []) if c]
    for e in [*at.dataframe, *at.get("table")]:
        try:
            out += [str(c) for c in e.value.columns]
            out += _row_names(e.value)
        except Exception:  # noqa: BLE001 - not a frame with columns
            pass
    for e in at.get("plotly_chart"):
        try:
            out += _plotly_texts(json.loads(e.proto.spec))
        except Exception:  # noqa: BLE001 - not a plotly spec
            pass
    return [t for t in out if t and t.strip()]


def _plain(text: str) -> str:
    """The prose of a text: code, formulas, links, markup and file names taken out."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", " ", text, flags=re.S)
    text = re.sub(r"\\\(.*?\\\)|\\\[.*?\\\]", " ", text, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"https?://\S+|\S+\.(py|pt|pth|npz|png|jpe?g|onnx|md|json|csv|yaml|toml)\b", " ", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r":material/[a-z_]+:", " ", text)
    text = re.sub(r"\b[a-z_][a-z_0-9.]*\([^()]*\)", " ", text)     # a call: edge_frame(…, gain=4.0)
    text = re.sub(r"\b[A-Za-z_][A-Za-z_0-9.]*(\[\d+\])+", " ", text)   # a layer: blocks[1][0]
    text = re.sub(r"\b[A-Za-z]+_[A-Za-z_0-9]+\b", " ", text)          # an identifier: conv_head, J_style
    return text


def english_words(text: str) -> list[str]:
    """Ordinary English words in a text that has no Hangul (names and notation left out)."""
    if HANGUL.search(text):
        return []
    return [w for w in WORD.findall(_plain(text)) if w.lower().strip("'-") not in NAMES]


def untranslated(shown: list[str]) -> list[str]:
    """What is still English: marked strings shown untranslated, and unmarked prose."""
    cat = catalog()
    kept = {m.id for m in cat if m.id and m.string == m.id}      # names the catalog keeps
    marked = {m.id if isinstance(m.id, str) else m.id[0] for m in cat if m.id} - kept
    bad = []
    for t in shown:
        s = t.strip()
        if s in kept:
            continue
        if s in marked:
            bad.append(f"marked but shown in English: {s!r}")
            continue
        if CLASS_LABEL.match(s):     # "281 tabby cat": an ImageNet class, a name
            continue
        words = english_words(s)
        if len(words) >= 2 or any(len(w) >= 4 and w.islower() for w in words):
            bad.append(f"not marked: {s[:160]!r}")
    return sorted(set(bad))


def run_korean(package: str, tab: str | None, press: bool = False):
    """The page (and tab, by English title) opened in Korean; with ``press`` its main button
    is pressed too, with short job settings."""
    from tests.pageapp import page_app

    at = page_app(package, default_timeout=240)
    at.query_params["lang"] = "ko"
    if tab:  # chosen before the first run: AppTest re-sends radio values through str(), not
        at.session_state[f"{PREFIX[package]}tab"] = korean(tab)  # the page's format_func, later
    at.run()
    if press and not at.exception:
        primary = [b for b in at.button if b.proto.type == "primary" and not b.disabled
                   and not (b.key or "").endswith("-stop")]
        if primary:
            _short(at)
            primary[0].click()
            at.run(timeout=240)
    return at


def _short(at) -> None:
    """Short job settings as the English fuzz test sets them (``tests.test_fuzz_widgets``), found
    by the labels' English: every job-length number input and slider at its minimum."""
    from tests.test_fuzz_widgets import HEAVY

    english = _english()
    heavy = [w for w in at.number_input if not w.disabled] + [w for w in at.slider if not w.disabled]
    for w in heavy:
        label = english.get(w.label or "", w.label or "")
        if HEAVY.search(label) and w.min is not None and not isinstance(w.value, (tuple, list)):
            w.set_value(type(w.value)(w.min) if isinstance(w.value, (int, float)) else w.min)


@functools.lru_cache(maxsize=1)
def _english() -> dict[str, str]:
    """Korean label → its English msgid (to recognise a widget by what it is called in English)."""
    return {m.string: m.id for m in catalog() if isinstance(m.id, str) and isinstance(m.string, str)
            and m.string}


def report(package: str, tab: str | None, press: bool = True) -> list[str]:
    at = run_korean(package, tab, press=press)
    problems = [f"exception: {e.message}" for e in at.exception]
    shown = texts(at)
    if not any(HANGUL.search(t) for t in shown):
        problems.append("no Korean on the page at all")
    return problems + untranslated(shown)


if __name__ == "__main__":
    pkg = sys.argv[1]
    which = sys.argv[2:] or tabs_of(pkg) or [None]
    for tab in which:
        found = report(pkg, tab)
        print(f"== {pkg} › {tab}: {len(found)} problem(s)")
        for line in found:
            print("   ", line)
