"""Your own model in the app: the "Your model" expander of the model picker.

A visitor uploads a weights file (a state dict for a named architecture, TorchScript or ONNX, with
an optional labels file) or types a torchvision / timm name; ``core.zoo.from_file`` /
``from_name`` builds it and the :class:`~core.zoo.LoadedModel` is kept in this visitor's
``st.session_state`` only (nothing is written to disk; other visitors never see it). It becomes a
choice of the pickers that ask for it (Inside the network, DeepDream). With ``CNNLAB_HOSTED=1``
model files are refused (``core.zoo.own.uploads_allowed``); names still work.
"""
from __future__ import annotations

import logging
from typing import Any

import streamlit as st

from core import zoo
from core.zoo import own
from core.zoo.loaders.base import one_line
from dashboard.i18n import N_, _, opt, tr

STATE = "own-models"              # {zoo name: LoadedModel} of this session
MAX_PER_SESSION = 3               # the oldest is dropped beyond this (memory)
MODEL_TYPES = ["pt", "pth", "safetensors", "onnx", "ts", "torchscript", "jit", "bin"]
SIZES = [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 384]
SOURCES = [N_("Upload a file"), N_("By name")]   # radio values (compared); shown translated (opt)
PICKERS = N_("the model pickers of Inside the network, DeepDream and Style")
DETECTOR_PICKER = N_("the Detection page's detector picker")


def session_models() -> dict[str, Any]:
    """This visitor's own models, oldest first."""
    try:
        return st.session_state.setdefault(STATE, {})
    except Exception:  # noqa: BLE001 - no session (a plain script): none
        return {}


def lookup(name: str) -> Any | None:
    """This visitor's model called ``name`` (its zoo entry put back if it was dropped), or None."""
    lm = session_models().get(name) if name.startswith(own.PREFIX) else None
    if lm is not None and name not in zoo.ENTRIES:
        own.ensure_registered(lm)
    return lm


def choices() -> dict[str, str]:
    """Picker choices for this visitor's classification models: {name: "Your model: title"}."""
    return {n: _("Your model: {title}").format(title=lm.title) for n, lm in session_models().items() if lm.task != "detection"}


def detector_choices() -> dict[str, str]:
    """Picker choices for this visitor's YOLO detectors: {name: "Your detector: title"}."""
    return {n: _("Your detector: {title}").format(title=lm.title) for n, lm in session_models().items() if lm.task == "detection"}


def _keep(lm: Any, picker_key: str, where: str = PICKERS) -> None:
    models = session_models()
    models.pop(lm.name, None)
    models[lm.name] = lm
    while len(models) > MAX_PER_SESSION:
        own.forget(models.pop(next(iter(models))).name)
    st.session_state[picker_key] = lm.name          # the picker shows it next
    st.session_state[f"{picker_key}-own-msg"] = ("success", _(
        "Loaded **{title}** ({n} classes): it is a choice of {where} for this visit.").format(
        title=lm.title, n=len(lm.labels), where=_(where)))


def _load(picker_key: str) -> None:
    """The Load button's callback (before the script runs, so the picker can switch to it)."""
    k = f"{picker_key}-own"
    st.session_state[f"{k}-open"] = True
    size = st.session_state.get(f"{k}-size") or None
    try:
        if st.session_state.get(f"{k}-source") == "By name":
            name = (st.session_state.get(f"{k}-name") or "").strip()
            if not name:
                raise ValueError(_("Type a torchvision or timm model name, e.g. resnet18 or convnext_nano."))
            with st.spinner(_("Building {name} …").format(name=name)):
                lm = zoo.from_name(name, device=_device(), input_size=size)
        else:
            if not own.uploads_allowed():
                raise ValueError(_("Model files cannot be uploaded on this hosted demo; type a model name instead."))
            up = st.session_state.get(f"{k}-file")
            if up is None:
                raise ValueError(_("Choose a model file first (.pt/.pth/.safetensors weights, TorchScript or ONNX)."))
            labels = st.session_state.get(f"{k}-labels")
            with st.spinner(_("Reading {name} …").format(name=up.name)):
                lm = zoo.from_file(up.getvalue(), arch=(st.session_state.get(f"{k}-arch") or None),
                                   labels=labels.getvalue() if labels is not None else None,
                                   device=_device(), input_size=size, filename=up.name)
    except ValueError as e:
        st.session_state[f"{k}-msg"] = ("error", _message(e))
        return
    except Exception as e:  # noqa: BLE001 - a model that breaks in an unforeseen way: one line
        logging.getLogger("cnnlab").warning("own model could not be loaded", exc_info=True)
        st.session_state[f"{k}-msg"] = ("error", _("This model could not be loaded: {error}").format(
            error=one_line(e)))
        return
    _keep(lm, picker_key)


def _message(e: ValueError) -> str:
    """A ``ValueError``'s message in the visitor's language (``core`` raises a ``Msg``)."""
    return str(tr(e.args[0])) if len(e.args) == 1 else str(e)


def _device() -> str:
    from dashboard.cache import current_device

    return current_device()


def expander(picker_key: str) -> None:
    """The "Your model" expander under a model picker (``picker_key``: the picker's widget key)."""
    k = f"{picker_key}-own"
    # expanded only changes once (False -> True at the first Load): a changed argument would
    # make Streamlit draw the expander anew, closed, while someone is using it
    with st.expander(_("Your model"), icon=":material/upload_file:", expanded=bool(st.session_state.get(f"{k}-open"))):
        source = st.radio(_("Bring"), SOURCES, horizontal=True, key=f"{k}-source", format_func=opt,
                          index=0 if own.uploads_allowed() else 1,
                          help=_("A file: your weights for a torchvision/timm architecture, TorchScript or "
                                 "ONNX. A name: any torchvision classifier or timm model (pretrained "
                                 "when its weights are cached or can be downloaded, else random weights)."))
        if source == "By name":
            st.text_input(_("torchvision or timm model name"), key=f"{k}-name", placeholder="resnet18",
                          help=_("e.g. resnet18, mobilenet_v3_small, efficientnet_b0, convnext_nano."))
        elif not own.uploads_allowed():
            st.info(_("This is a hosted demo: model files cannot be uploaded here (CNNLAB_HOSTED=1). "
                      "Type a model name instead, or run the lab on your own machine to use your file."))
        else:
            st.file_uploader(_("Model file"), type=MODEL_TYPES, key=f"{k}-file",
                             help=_("Up to {mb} MB. .pt/.pth/.safetensors: a state "
                                    "dict (weights only; pickled whole models are refused); TorchScript; "
                                    "ONNX. Kept in memory for this visit only.").format(mb=own.max_bytes() // 2**20))
            c1, c2 = st.columns(2)
            c1.text_input(_("Architecture (for a state dict)"), key=f"{k}-arch", placeholder="resnet18",
                          help=_("The torchvision or timm architecture the weights fill. A head with "
                                 "another number of classes is rebuilt to fit the file."))
            c2.file_uploader(_("Labels (optional)"), type=["txt", "json"], key=f"{k}-labels",
                             help=_("One name a line, or JSON: a list or {index: name}. Without it: "
                                    "ImageNet's for 1000 outputs, else class 0, class 1, …"))
        st.select_slider(_("Input size (px)"), [0] + SIZES, value=0, key=f"{k}-size",
                         format_func=lambda v: _("the model's own") if v == 0 else f"{v}",
                         help=_("The side of the square crop the model sees. The model's own: what its "
                                "weights or its ONNX graph say, else 224 px. ImageNet mean/std "
                                "normalisation unless the weights carry their own."))
        st.button(_("Load model"), key=f"{k}-go", icon=":material/model_training:", on_click=_load,
                  args=(picker_key,), disabled=source != "By name" and not own.uploads_allowed())
        msg = st.session_state.get(f"{k}-msg")
        if msg and msg[0] == "error":
            st.error(msg[1])
        elif msg:
            st.success(msg[1])
        mine = session_models()
        if mine:
            st.caption(_("Your models (this visit only): {models}").format(
                models=", ".join(f"**{lm.title}**" for lm in mine.values())))
        st.caption(_("Gradient methods (saliency, Grad-CAM, class visualization, inversion, DeepDream) work "
                     "on every kind: TorchScript and ONNX files are turned into PyTorch modules. Layers "
                     "are read from the network itself."))


YOLO_WARNING = N_("An ultralytics `.pt` is a **pickle**: opening it can run any code inside it. Load only "
                  "files you trust (your own training run's `best.pt`, say).")


def _load_detector(picker_key: str) -> None:
    """The detector expander's Load button: ``core.zoo.own.from_yolo_file`` on the upload."""
    k = f"{picker_key}-own"
    st.session_state[f"{k}-open"] = True
    try:
        up = st.session_state.get(f"{k}-file")
        if up is None:
            raise ValueError(_("Choose a YOLO .pt file first (what ultralytics saves, e.g. "
                               "runs/detect/train/weights/best.pt)."))
        with st.spinner(_("Reading {name} …").format(name=up.name)):
            lm = own.from_yolo_file(up.getvalue(), device=_device(), filename=up.name)
    except ValueError as e:
        st.session_state[f"{k}-msg"] = ("error", _message(e))
        return
    except Exception as e:  # noqa: BLE001 - a file that breaks ultralytics in an unforeseen way
        logging.getLogger("cnnlab").warning("own detector could not be loaded", exc_info=True)
        st.session_state[f"{k}-msg"] = ("error", _("This detector could not be loaded: {error}").format(
            error=one_line(e)))
        return
    _keep(lm, picker_key, where=DETECTOR_PICKER)


def detector_expander(picker_key: str) -> None:
    """The "Your detector" expander under the Detection page's detector picker: an ultralytics
    YOLO detection ``.pt``, local mode only (it is a pickle)."""
    k = f"{picker_key}-own"
    with st.expander(_("Your detector"), icon=":material/upload_file:", expanded=bool(st.session_state.get(f"{k}-open"))):
        if not own.uploads_allowed():
            st.info(_("This is a hosted demo: YOLO `.pt` files are pickles that can run code, so they cannot "
                      "be uploaded here (CNNLAB_HOSTED=1). Run the lab on your own machine to use your detector."))
        else:
            st.warning(_(YOLO_WARNING), icon=":material/warning:")
            st.file_uploader(_("YOLO detector (.pt from ultralytics)"), type=["pt"], key=f"{k}-file",
                             help=_("Up to {mb} MB. A detection model (task 'detect'); "
                                    "its class names come from the file. Kept in memory for this visit only "
                                    "(ultralytics reads a path, so the file lives on disk for the moment it "
                                    "is opened and is removed at once).").format(mb=own.max_bytes() // 2**20))
        st.button(_("Load detector"), key=f"{k}-go", icon=":material/model_training:", on_click=_load_detector,
                  args=(picker_key,), disabled=not own.uploads_allowed())
        msg = st.session_state.get(f"{k}-msg")
        if msg and msg[0] == "error":
            st.error(msg[1])
        elif msg:
            st.success(msg[1])


def forget_all() -> int:
    """Drop this visitor's models (the sidebar's Free button)."""
    models = session_models()
    n = len(models)
    for name in list(models):
        own.forget(name)
    models.clear()
    return n
