"""Your own model: zoo entries made at run time from a torchvision / timm name or from a file
(a state dict for a named architecture, TorchScript, ONNX), so every method of the lab runs on
the network a person brings.

* :func:`from_name` — any torchvision classification model or timm model name. Pretrained weights
  when they can be had (torch hub cache or a download for torchvision's ``DEFAULT`` weights; the
  timm pretrained config's file through the Hugging Face cache) with their own preprocessing and
  categories; otherwise (``CNNLAB_OFFLINE=1``, no network) the architecture with random weights
  (seed 0) and a provenance that says so.
* :func:`from_file` — bytes, a path or a file-like object: ``.pt``/``.pth`` state dicts
  (``torch.load(weights_only=True)``, also the usual ``{"state_dict": ...}`` checkpoints and
  ``module.`` prefixes), ``.safetensors``, TorchScript (``torch.jit.load``) and ONNX. TorchScript
  and ONNX become ordinary PyTorch modules through onnx2torch, so forward hooks and gradients work
  (TorchScript is exported to ONNX in memory first; a script module takes no hooks). A head with
  another number of classes is rebuilt with the file's ``num_classes``. Bad files raise
  ``ValueError`` saying what is wrong.
* :func:`derive_layers` — the layer groups and CAM layer read from the model itself (one small
  forward pass with hooks on the model before it is shared): stage outputs shallow to deep, with
  strides, so feature maps, saliency, Grad-CAM, class visualization, inversion, DeepDream and the
  style loss work on it.

Each model becomes a zoo entry named ``own-<hash>`` (kind ``own``; its metadata only, the weights
stay with the returned :class:`LoadedModel`, which the caller keeps — in the app, the visitor's
session). :func:`uploads_allowed` is the hosted switch (``CNNLAB_HOSTED=1`` refuses model files).
"""
from __future__ import annotations

import difflib
import hashlib
import io
import json
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from .download import WeightsUnavailable, download, offline, torch_hub_checkpoints
from .loaders import LOADERS, Loader, freeze
from .loaders.base import one_line
from .loaders.torchvision import classifier_preprocess, imagenet_labels
from .meta import IMAGENET, EntryMeta, LayerGroups, LayerInfo, LoadedModel, ModelUnavailable, Transforms
from .registry import ENTRIES, ZooEntry, register
from core.i18n import N_, _

if TYPE_CHECKING:
    import torch

MAX_MODEL_MB = 500          # default size cap of a model file (CNNLAB_MAX_MODEL_MB overrides it)
DEFAULT_SIZE = 224          # input side when nothing says otherwise
PREFIX = "own-"
MAX_ENTRIES = 64            # run-time entries kept in the zoo at most (the oldest leave first)
MAX_LAYERS = 16             # layer choices offered at most (evenly thinned, last one kept)


# --------------------------------------------------------------------------- switches

def hosted() -> bool:
    """Whether the lab runs as a hosted demo (``CNNLAB_HOSTED=1``, ``core.hosted``)."""
    from core.hosted import hosted as on

    return on()


def uploads_allowed() -> bool:
    """Model files may be uploaded (locally yes; a hosted demo takes no model files: names only)."""
    from core.hosted import settings

    return settings().model_uploads


def max_bytes() -> int:
    try:
        return int(float(os.environ.get("CNNLAB_MAX_MODEL_MB", MAX_MODEL_MB)) * 2**20)
    except ValueError:
        return MAX_MODEL_MB * 2**20


# --------------------------------------------------------------------------- the zoo kind

@dataclass(frozen=True)
class OwnSpec:
    source: str            # "name" | "file"
    ref: str               # the model name, or the file's name


class OwnLoader(Loader):
    """Entries made at run time. A named model can be built again; an uploaded one lives only
    in the :class:`LoadedModel` its caller keeps."""
    kind = "own"
    spec = OwnSpec

    def load(self, entry: ZooEntry, device: str) -> LoadedModel:
        if entry.spec.source == "name":
            return from_name(entry.spec.ref, device=device)
        raise ModelUnavailable(_("{title} was uploaded; it lives only in the session that "
                                 "uploaded it. Upload it again.", title=entry.title))

    def prefetch(self, entry: ZooEntry, *, progress=None, timeout=None) -> str:
        return "your own model (nothing to fetch)"

    def cache_state(self, entry: ZooEntry) -> str:
        return "in memory"


LOADERS.setdefault(OwnLoader.kind, OwnLoader())


def own_entries() -> list[str]:
    return [n for n, e in ENTRIES.items() if e.kind == OwnLoader.kind]


def forget(name: str) -> None:
    """Remove a run-time entry (and the method tables it taught) from the zoo."""
    if name in ENTRIES and ENTRIES[name].kind == OwnLoader.kind:
        del ENTRIES[name]
    from .. import dream, style

    dream.PRESETS.pop(name, None)
    style.LOSS_LAYERS.pop(name, None)


def ensure_registered(lm: LoadedModel) -> None:
    """Put ``lm``'s entry back in the zoo (after :func:`forget`, or in another process)."""
    entry = lm.meta.get("entry")
    if entry is not None:
        register(entry, replace=True)
        _teach_methods(entry.name, entry.meta.layers)


# --------------------------------------------------------------------------- architectures

def _tv_names() -> list[str]:
    import torchvision.models as tvm

    return sorted(tvm.list_models(module=tvm))


def _timm_names() -> list[str]:
    import timm

    return timm.list_models()


def _family(name: str) -> str:
    """"torchvision" or "timm" for a known architecture name; ValueError with close matches."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(_("Give an architecture name such as resnet18, mobilenet_v3_small "
                           "or a timm name such as convnext_nano."))
    name = name.strip()
    if name in _tv_names():
        return "torchvision"
    import timm

    if timm.is_model(name):
        return "timm"
    close = difflib.get_close_matches(name, list(dict.fromkeys(_tv_names() + _timm_names())), n=5, cutoff=0.6)
    if close:
        raise ValueError(_("{name!r} is neither a torchvision classification model nor a timm "
                           "model. Did you mean {names}?", name=name, names=", ".join(close)))
    raise ValueError(_("{name!r} is neither a torchvision classification model nor a timm "
                       "model.", name=name))


def build(name: str, num_classes: int | None = None) -> "torch.nn.Module":
    """The architecture ``name`` (torchvision first, then timm) with random weights."""
    family = _family(name)
    kw = {} if num_classes is None else {"num_classes": int(num_classes)}
    if family == "torchvision":
        import torchvision.models as tvm

        if name in ("inception_v3", "googlenet"):
            kw.update(aux_logits=False, init_weights=False)
        return tvm.get_model(name.strip(), weights=None, **kw)
    import timm

    return timm.create_model(name.strip(), pretrained=False, **kw)


def _seeded(fn, *args, **kwargs):
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return fn(*args, **kwargs)


# --------------------------------------------------------------------------- by name

def from_name(name: str, device: str = "cpu", *, labels: Any = None,
              transforms: Transforms | None = None, input_size: int | None = None) -> LoadedModel:
    """A torchvision or timm model by name, pretrained when its weights can be had, else with
    random weights (and a provenance saying so)."""
    name = (name or "").strip()
    family = _family(name)
    model, tf, cats, how, reason = (_torchvision_pretrained if family == "torchvision"
                                    else _timm_pretrained)(name)
    if model is None:
        model = _seeded(build, name)
        if family == "timm":
            tf = tf or _timm_transforms(model)
        provenance = (f"{name} ({family}) with random weights (seed 0): no pretrained weights here "
                      f"({reason}); its pictures show what an untrained network does")
    else:
        provenance = f"pretrained {name} ({family} {how})"
    tf = transforms or tf or IMAGENET
    if input_size:
        tf = _sized(tf, input_size)
    return _finish(model, key=f"name:{family}:{name}", title=name, provenance=provenance, tf=tf,
                   labels=labels, default_labels=cats, device=device, pretrained=reason is None,
                   reason=reason, spec=OwnSpec("name", name), extra={"arch": name, "family": family})


def _torchvision_pretrained(name: str):
    """(model, transforms, categories, how, reason) for torchvision's DEFAULT weights."""
    import torch
    import torchvision.models as tvm

    try:
        weights = tvm.get_model_weights(name).DEFAULT
    except (ValueError, KeyError, AttributeError) as e:
        return None, None, None, None, f"torchvision lists no weights for {name} ({one_line(e)})"
    t = weights.transforms()
    tf = Transforms(resize=int(t.resize_size[0]), crop=int(t.crop_size[0]), mean=tuple(t.mean), std=tuple(t.std))
    cats = list(weights.meta.get("categories") or []) or None
    path = torch_hub_checkpoints() / Path(weights.url).name
    how = "from cache"
    try:
        if not path.exists():
            download(weights.url, path)
            how = "downloaded"
        model = build(name, num_classes=len(cats) if cats else None)
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    except WeightsUnavailable as e:
        return None, tf, cats, None, str(e)
    except Exception as e:  # noqa: BLE001 - a damaged cache file: random weights, said so
        return None, tf, cats, None, f"the cached file {path.name} cannot be used ({one_line(e)})"
    return model, tf, cats, f"{weights}, {how}", None


def _timm_pretrained(name: str):
    """(model, transforms, categories, how, reason) for the timm pretrained config's file,
    looked up in the Hugging Face cache (offline) or downloaded (online)."""
    import timm

    try:
        cfg = timm.models.get_pretrained_cfg(name)
    except Exception:  # noqa: BLE001
        cfg = None
    if cfg is None or not (cfg.hf_hub_id or cfg.url):
        return None, None, None, None, f"timm has no pretrained config for {name}"
    try:
        if cfg.hf_hub_id:
            from huggingface_hub import hf_hub_download

            path = None
            for fname in ("model.safetensors", "pytorch_model.bin"):
                try:
                    path = hf_hub_download(cfg.hf_hub_id, fname, local_files_only=offline())
                    break
                except Exception:  # noqa: BLE001 - try the next file name
                    continue
            if path is None:
                raise WeightsUnavailable(f"{cfg.hf_hub_id} is not in the Hugging Face cache"
                                         + (" (offline mode)" if offline() else ""))
        else:
            path = torch_hub_checkpoints() / Path(cfg.url).name
            if not path.exists():
                download(cfg.url, path)
        model = timm.create_model(name, pretrained=True, pretrained_cfg_overlay={"file": str(path)})
    except WeightsUnavailable as e:
        return None, None, None, None, str(e)
    except Exception as e:  # noqa: BLE001
        return None, None, None, None, f"timm's pretrained weights cannot be used ({one_line(e)})"
    where = f"{cfg.hf_hub_id}, from the Hugging Face cache" if cfg.hf_hub_id else f"{cfg.url}, from the torch hub cache"
    return model, _timm_transforms(model), None, where, None


def _timm_transforms(model: Any) -> Transforms:
    from timm.data import resolve_data_config

    c = resolve_data_config({}, model=model)
    size = int(c["input_size"][-1])
    crop_pct = float(c.get("crop_pct") or 0.875)
    return Transforms(resize=int(size / crop_pct), crop=size, mean=tuple(c["mean"]), std=tuple(c["std"]))


def _sized(tf: Transforms, size: int) -> Transforms:
    size = int(size)
    if not 16 <= size <= 1024:
        raise ValueError(_("The input size must be between 16 and 1024 px, not {size}.", size=size))
    ratio = (tf.resize / tf.crop) if tf.resize and tf.crop else 256 / 224
    return Transforms(resize=round(size * ratio), crop=size, mean=tf.mean or IMAGENET.mean, std=tf.std or IMAGENET.std)


# --------------------------------------------------------------------------- from a file

def _read(data: Any) -> tuple[bytes, str]:
    """(bytes, file name) of bytes, a path or a file-like object, within the size cap."""
    cap = max_bytes()
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw, fname = bytes(data), ""
    elif isinstance(data, (str, Path)):
        p = Path(data)
        if not p.is_file():
            raise ValueError(_("There is no model file at {p}.", p=p))
        if p.stat().st_size > cap:
            raise ValueError(_("{name} is {st_size:.0f} MB; the limit is {cap:.0f} MB "
                               "(CNNLAB_MAX_MODEL_MB).", name=p.name, st_size=p.stat().st_size / 2**20, cap=cap / 2**20))
        raw, fname = p.read_bytes(), p.name
    elif hasattr(data, "read"):
        raw = data.read(cap + 1)
        fname = Path(str(getattr(data, "name", "") or "")).name
    else:
        raise ValueError(_("A model file is bytes, a path or an open file, not {kind}.", kind=type(data).__name__))
    if not raw:
        raise ValueError(_("The model file is empty (0 bytes)."))
    if len(raw) > cap:
        raise ValueError(_("The model file is larger than the limit of {cap:.0f} MB "
                           "(CNNLAB_MAX_MODEL_MB).", cap=cap / 2**20))
    return raw, fname


def sniff(raw: bytes) -> str:
    """What a model file holds, from its first bytes: "torchscript", "torch-zip", "safetensors",
    "onnx", "pickle" or "unknown"."""
    if raw[:4] == b"PK\x03\x04":
        try:
            names = zipfile.ZipFile(io.BytesIO(raw)).namelist()
        except zipfile.BadZipFile:
            return "torch-zip"       # damaged: torch.load says so below
        return "torchscript" if any("/code/__torch__" in n or n.endswith("/constants.pkl") for n in names) \
            else "torch-zip"
    if len(raw) > 10 and raw[8:9] == b"{":
        n = int.from_bytes(raw[:8], "little")
        if 2 <= n <= len(raw) - 8:
            return "safetensors"
    if raw[:1] == b"\x80" and raw[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "pickle"
    if raw[:1] == b"\x08":           # protobuf field 1 (ir_version), varint: an ONNX ModelProto
        return "onnx"
    return "unknown"


def from_file(data: Any, *, arch: str | None = None, labels: Any = None, device: str = "cpu",
              transforms: Transforms | None = None, input_size: int | None = None,
              filename: str | None = None) -> LoadedModel:
    """A model from a file: a state dict for ``arch`` (``.pt``/``.pth``/``.safetensors``),
    TorchScript or ONNX. ``labels``: a list, or a ``.txt``/``.json`` file's bytes/path;
    ``transforms`` / ``input_size``: the preprocessing (default: the model's own or ImageNet's
    at 224 px). Raises ``ValueError`` with a clear message for files that cannot be used."""
    raw, fname = _read(data)
    fname = filename or fname or "uploaded model"
    digest = hashlib.sha256(raw).hexdigest()
    kind = sniff(raw)
    if kind == "torchscript":
        model, note, size = _torchscript(raw, input_size)
        what, arch_used = f"TorchScript file {fname} ({note})", None
    elif kind == "onnx" or (kind == "unknown" and fname.lower().endswith(".onnx")):
        model, size = _onnx(raw, fname)
        what, arch_used = f"ONNX file {fname} (converted to PyTorch with onnx2torch)", None
    else:
        state, meta = _state_dict(raw, kind, fname)
        arch_used = (arch or "").strip() or meta.get("arch")
        if not arch_used:
            raise ValueError(_("{fname} holds weights only (a state dict of {n} tensors); "
                               "say which architecture they belong to, e.g. resnet18 or a "
                               "timm name.", fname=fname, n=len(state)))
        model = _fit(state, arch_used, fname)
        labels = labels if labels is not None else meta.get("labels")
        what, size = f"weights file {fname} for {arch_used}", None
    tf = transforms or (_timm_transforms(model) if arch_used and _family(arch_used) == "timm" else IMAGENET)
    size = input_size or size
    if size:
        tf = _sized(tf, size)
    return _finish(model, key=f"file:{digest}", title=Path(fname).stem or "your model",
                   provenance=f"your own model: {what}, sha256 {digest[:12]}", tf=tf, labels=labels,
                   default_labels=None, device=device, pretrained=True, reason=None,
                   spec=OwnSpec("file", fname), extra={"arch": arch_used, "file": fname, "format": kind,
                                                       "sha256": digest})


_PICKLE_MSG = N_("{f} is a pickle of Python objects (for example a whole model saved with "
               "torch.save(model)), not plain weights. Loading it could run any code, so the lab "
               "does not. Save the weights with torch.save(model.state_dict(), path) — or export "
               "TorchScript / ONNX — and upload that.")


def _state_dict(raw: bytes, kind: str, fname: str) -> tuple[dict, dict]:
    """(tensors, {"arch", "labels"} found beside them) of a .pt/.pth/.safetensors file."""
    import pickle

    import torch

    if kind == "safetensors":
        from safetensors.torch import load as st_load

        try:
            state = st_load(raw)
        except Exception as e:  # noqa: BLE001
            raise ValueError(_("{fname} looks like a safetensors file but cannot be read "
                               "(truncated or damaged?): {error}", fname=fname, error=one_line(e))) from None
        meta = {}
        try:    # safetensors' own metadata: {"labels": json list, "arch": name}
            n = int.from_bytes(raw[:8], "little")
            head = json.loads(raw[8:8 + n]).get("__metadata__") or {}
            meta = {"arch": head.get("arch"), "labels": json.loads(head["labels"]) if "labels" in head else None}
        except (ValueError, TypeError, KeyError):
            pass
        return state, meta
    if kind == "unknown":
        raise ValueError(_("{fname} is not a model file the lab can read: expected a PyTorch "
                           ".pt/.pth state dict, .safetensors, TorchScript or ONNX.", fname=fname))
    truncated = ValueError(_("{fname} is truncated or damaged: it ends before the PyTorch "
                             "archive is complete. Upload the whole file again.", fname=fname))
    if raw[:4] == b"PK\x03\x04" and not zipfile.is_zipfile(io.BytesIO(raw)):
        raise truncated
    try:
        obj = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        if "weights only" in str(e).lower() or "weights_only" in str(e):
            raise ValueError(_(_PICKLE_MSG, f=fname)) from None
        raise ValueError(_("{fname} cannot be read as PyTorch weights: {error}", fname=fname, error=one_line(e))) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError) as e:
        text = str(e)
        if any(s in text for s in ("central directory", "zip archive", "EOF", "truncated", "file_size", "seek")) \
                or isinstance(e, EOFError):
            raise truncated from None
        raise ValueError(_("{fname} cannot be read as PyTorch weights: {error}", fname=fname, error=one_line(e))) from None
    return _tensors(obj, fname)


def _tensors(obj: Any, fname: str) -> tuple[dict, dict]:
    import torch

    meta: dict[str, Any] = {}
    if isinstance(obj, Mapping):
        for k in ("arch", "architecture", "model_name"):
            if isinstance(obj.get(k), str):
                meta["arch"] = obj[k]
        for k in ("labels", "classes", "class_names", "categories"):
            v = obj.get(k)
            if isinstance(v, (list, tuple)) and all(isinstance(s, str) for s in v):
                meta["labels"] = list(v)
        for k in ("state_dict", "model_state_dict", "model", "net", "weights"):
            if isinstance(obj.get(k), Mapping):
                obj = obj[k]
                break
    if not isinstance(obj, Mapping) or not obj or \
            not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ValueError(_("{fname} does not hold model weights (a state dict of named "
                           "tensors); it holds a {kind}.", fname=fname, kind=type(obj).__name__))
    keys = list(obj)
    for prefix in ("module.", "model.", "_orig_mod."):
        if all(k.startswith(prefix) for k in keys):
            obj = {k[len(prefix):]: v for k, v in obj.items()}
            keys = list(obj)
    return dict(obj), meta


def _shape(t: Any) -> tuple[int, ...]:
    return tuple(int(s) for s in t.shape)


def _fit(state: dict, arch: str, fname: str) -> "torch.nn.Module":
    """``arch`` filled strictly with ``state``; a classifier head of another size is rebuilt
    with the file's number of classes. ValueError naming the first mismatches."""
    model = _seeded(build, arch)
    own = model.state_dict()
    head = _head_key(model)
    if head and head in state and head in own and _shape(state[head])[1:] == _shape(own[head])[1:] \
            and _shape(state[head])[0] != _shape(own[head])[0]:
        model = _seeded(build, arch, num_classes=_shape(state[head])[0])
        own = model.state_dict()
    missing = [k for k in own if k not in state]
    extra = [k for k in state if k not in own]
    wrong = [k for k in own if k in state and _shape(own[k]) != _shape(state[k])]
    if missing or extra or wrong:
        parts = []
        if wrong:
            parts.append("shapes differ for " + ", ".join(
                f"{k} (file {_shape(state[k])}, {arch} {_shape(own[k])})" for k in wrong[:3]))
        if missing:
            parts.append(f"{len(missing)} tensors missing from the file, first " + ", ".join(missing[:3]))
        if extra:
            parts.append(f"{len(extra)} tensors in the file that {arch} has not, first " + ", ".join(extra[:3]))
        raise ValueError(f"The weights in {fname} do not fit {arch}: " + "; ".join(parts) +
                         ". Is it the right architecture?")
    model.load_state_dict(state, strict=True)
    return model


def _head_key(model: Any) -> str | None:
    """The classifier's weight: the last Linear (or 1×1-output conv head) in the module tree."""
    import torch

    last = None
    for n, m in model.named_modules():
        if isinstance(m, torch.nn.Linear) or (isinstance(m, torch.nn.Conv2d) and n.startswith(("classifier", "head", "fc"))):
            last = n
    return f"{last}.weight" if last else None


def _torchscript(raw: bytes, input_size: int | None):
    """A TorchScript file as an ordinary module (exported to ONNX in memory, converted back with
    onnx2torch: script modules take no forward hooks), or the script module itself when that
    fails (then the methods that read layers say why)."""
    import torch

    try:
        sm = torch.jit.load(io.BytesIO(raw), map_location="cpu")
    except Exception as e:  # noqa: BLE001
        raise ValueError(_("This TorchScript file cannot be loaded (truncated or damaged?): "
                           "{error}", error=one_line(e))) from None
    sm.eval()
    size = input_size or DEFAULT_SIZE
    try:
        buf = io.BytesIO()
        _export_onnx(sm, buf, size)
        model, _how = _onnx(buf.getvalue(), "TorchScript")
        return model, "converted to PyTorch modules through ONNX so its layers can be read", None
    except Exception as e:  # noqa: BLE001
        return sm, f"kept as TorchScript: layers cannot be read ({one_line(e)})", None


def _export_onnx(module: Any, buf: io.BytesIO, size: int) -> None:
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (torch.zeros(1, 3, size, size),), buf, dynamo=False,
                          input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch", 2: "height", 3: "width"}, "output": {0: "batch"}})


def _onnx(raw: bytes, fname: str):
    """(module, input side or None) of an ONNX file, converted with onnx2torch."""
    import onnx

    try:
        proto = onnx.load_from_string(raw)
    except Exception as e:  # noqa: BLE001
        raise ValueError(_("{fname} is not a readable ONNX model (truncated or damaged?): "
                           "{error}", fname=fname, error=one_line(e))) from None
    if not proto.graph.node:
        raise ValueError(_("{fname} is an ONNX file with an empty graph: no model in it.", fname=fname))
    try:
        from onnx2torch import convert

        model = convert(proto)
    except Exception as e:  # noqa: BLE001
        ops = sorted({n.op_type for n in proto.graph.node})
        raise ValueError(_("The ONNX graph in {fname} does not convert to PyTorch ({error}); "
                           "its operators: {names}{more}.", fname=fname, error=one_line(e),
                           names=', '.join(ops[:12]), more=' …' if len(ops) > 12 else '')) from None
    size = None
    try:
        dims = [d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]
        if len(dims) == 4 and dims[2] > 0 and dims[2] == dims[3]:
            size = int(dims[2])
    except (IndexError, AttributeError):
        pass
    return model, size


# --------------------------------------------------------------------------- labels

def read_labels(data: Any, n: int | None = None, filename: str = "") -> list[str]:
    """Class names from a list, or a ``.txt`` (one a line) / ``.json`` (a list, {index: name}, or
    ImageNet's {"0": ["n01440764", "tench"]}) file's bytes or path. ``n``: the number the model
    has (ValueError when they differ)."""
    if isinstance(data, (list, tuple)):
        names = [str(s) for s in data]
    else:
        if isinstance(data, (str, Path)) and Path(data).is_file():
            filename, data = filename or Path(data).name, Path(data).read_bytes()
        elif hasattr(data, "read"):
            filename, data = filename or str(getattr(data, "name", "")), data.read()
        if not isinstance(data, (bytes, bytearray)):
            raise ValueError(_("Labels are a list of names or a .txt / .json file."))
        if len(data) > 5 * 2**20:
            raise ValueError(_("The labels file is larger than 5 MB."))
        try:
            text = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValueError(_("The labels file is not UTF-8 text.")) from None
        names = _parse_labels(text, filename)
    if not names:
        raise ValueError(_("The labels file has no class names in it."))
    if n is not None and len(names) != n:
        raise ValueError(_("The labels file has {n} names but the model has {n2} outputs.", n=len(names), n2=n))
    return names


def _parse_labels(text: str, filename: str) -> list[str]:
    s = text.strip()
    if filename.lower().endswith(".json") or s[:1] in "[{":
        try:
            obj = json.loads(s)
        except json.JSONDecodeError as e:
            raise ValueError(_("The labels file is not valid JSON ({msg}, line {lineno}).", msg=e.msg, lineno=e.lineno)) from None
        if isinstance(obj, dict):
            for k in ("labels", "classes", "categories", "names"):
                if isinstance(obj.get(k), (list, dict)):
                    obj = obj[k]
                    break
        if isinstance(obj, list):
            return [str(v) for v in obj]
        if isinstance(obj, dict):
            try:
                items = sorted(obj.items(), key=lambda kv: int(kv[0]))
            except ValueError:
                raise ValueError(_("A JSON labels object needs class indices as keys ({\"0\": "
                                   "\"cat\"}).")) from None
            return [str(v[-1] if isinstance(v, list) else v) for _, v in items]
        raise ValueError(_("A JSON labels file holds a list of names or an {index: name} "
                           "object."))
    return [line.strip() for line in s.splitlines() if line.strip()]


# --------------------------------------------------------------------------- layers

_HINTS = ("edges and colour blobs", "stripes, grain and fine textures", "patterns: swirls, meshes and scales",
          "parts: eyes, wheels, snouts", "whole-object impressions")


@dataclass
class _Seen:
    path: str
    module: Any
    shape: tuple[int, ...]
    order: int


def derive_layers(model: Any, size: int = DEFAULT_SIZE) -> tuple[LayerGroups | None, str | None, int]:
    """(layer groups, CAM layer, number of outputs) read from ``model`` itself with one forward
    pass of a size × size picture: the outputs of its stages shallow to deep (blocks, and the
    activation after each convolution where the module tree is flat), grouped by stride. Layer
    groups are None for a model with no 4-D (feature map) output, e.g. a script module."""
    import torch

    seen: dict[str, _Seen] = {}
    handles = []
    modules = dict(model.named_modules())

    def hook_for(path):
        def hook(m, _i, out):
            if isinstance(out, torch.Tensor) and path not in seen:
                seen[path] = _Seen(path, m, _shape(out), len(seen))
        return hook

    try:
        for path, m in modules.items():
            if path:
                handles.append(m.register_forward_hook(hook_for(path)))
    except (NotImplementedError, RuntimeError):  # TorchScript: no hooks
        for h in handles:
            h.remove()
        handles = []
        seen = {}
    try:
        with torch.no_grad():
            out = model(torch.zeros(1, 3, size, size))
    except Exception as e:  # noqa: BLE001
        raise ValueError(_("The model does not run on a 1×3×{size}×{size} picture: {error}. "
                           "Is it an image classifier? Try another input size.", size=size, error=one_line(e))) from None
    finally:
        for h in handles:
            h.remove()
    if isinstance(out, (tuple, list)):
        out = out[0]
    if not isinstance(out, torch.Tensor) or out.dim() != 2 or out.shape[0] != 1:
        shape = _shape(out) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(_("The model's output is {shape}, not one score per class "
                           "(1×classes): the lab's methods need an image classifier.", shape=shape))
    n_out = int(out.shape[1])
    picks = _stage_outputs(model, seen, size)
    if not picks:
        return None, None, n_out
    infos = tuple(LayerInfo(_display(p.path), p.path, max(1, round(size / p.shape[-1])),
                            _HINTS[min(len(_HINTS) - 1, i * len(_HINTS) // len(picks))])
                  for i, p in enumerate(picks))
    spatial = [i for i, p in zip(infos, picks) if p.shape[-1] > 1]
    cam = (spatial or list(infos))[-1].name
    names = [i.name for i in infos]
    high = names[min(len(names) - 1, max(0, round(0.7 * (len(names) - 1))))]
    low = names[min(len(names) - 1, max(0, round(0.3 * (len(names) - 1))))]
    return LayerGroups(infos, high=high, low=low), cam, n_out


def _display(path: str) -> str:
    """"layer1.0" → "layer1[0]", "features.3" → "features[3]" (the way the zoo names blocks)."""
    return re.sub(r"\.(\d+)", r"[\1]", path)


def _convs(module: Any) -> int:
    import torch

    return sum(isinstance(m, torch.nn.Conv2d) for m in module.modules())


def _stage_outputs(model: Any, seen: dict[str, _Seen], size: int) -> list[_Seen]:
    import torch

    total = _convs(model)
    if not total:
        return []
    # the top of the tree, opened wherever one container holds more than half the convolutions
    items = [(n, m) for n, m in model.named_children()]
    for _i in range(6):
        opened, changed = [], False
        for n, m in items:
            kids = list(m.named_children())
            strides = {seen[f"{n}.{k}"].shape[-1] for k, _ in kids
                       if f"{n}.{k}" in seen and len(seen[f"{n}.{k}"].shape) == 4}
            if len(kids) >= 2 and _convs(m) * 2 > total and len(strides) >= 2:
                opened += [(f"{n}.{k}", c) for k, c in kids]
                changed = True
            else:
                opened.append((n, m))
        items = opened
        if not changed:
            break
    four_d = [seen[n] for n, _ in items if n in seen and len(seen[n].shape) == 4]
    four_d.sort(key=lambda s: s.order)
    act = (torch.nn.ReLU, torch.nn.ReLU6, torch.nn.SiLU, torch.nn.GELU, torch.nn.Hardswish,
           torch.nn.LeakyReLU, torch.nn.ELU, torch.nn.Mish, torch.nn.Sigmoid)
    norm = (torch.nn.BatchNorm2d, torch.nn.GroupNorm, torch.nn.LayerNorm, torch.nn.InstanceNorm2d)

    def kind(s: _Seen) -> str:
        m = s.module
        if isinstance(m, torch.nn.Conv2d):
            return "conv"
        if isinstance(m, norm):
            return "norm"
        if isinstance(m, act) or type(m).__name__.lower().startswith(("relu", "silu", "gelu", "hardswish", "onnxrelu")):
            return "act"
        return "block" if _convs(m) else "other"

    kinds = [kind(s) for s in four_d]
    picks = []
    for i, (s, k) in enumerate(zip(four_d, kinds)):
        nxt = kinds[i + 1] if i + 1 < len(kinds) else None
        if k == "block" or (k == "act" and i and kinds[i - 1] in ("conv", "norm")) \
                or (k == "conv" and nxt not in ("norm", "act")) or (k == "norm" and nxt != "act"):
            picks.append(s)
    if 0 < len(picks) < 6:   # few big stages (ResNet's layer1..4): offer their blocks instead
        finer = []
        for p in picks:
            kids = [seen[f"{p.path}.{k}"] for k, c in p.module.named_children()
                    if f"{p.path}.{k}" in seen and _convs(c) and len(seen[f"{p.path}.{k}"].shape) == 4]
            finer += kids if len(kids) >= 2 else [p]
        picks = finer
    if len(picks) > MAX_LAYERS:
        step = len(picks) / MAX_LAYERS
        keep = sorted({int(i * step) for i in range(MAX_LAYERS - 1)} | {len(picks) - 1})
        picks = [picks[i] for i in keep]
    return picks


# --------------------------------------------------------------------------- the result

def _teach_methods(name: str, groups: LayerGroups | None) -> None:
    """DeepDream's preset and the style loss's layer table for this network (core.dream and
    core.style look them up by network name; without them they would use Lite0's layers)."""
    if groups is None:
        return
    from .. import dream, style

    dream.PRESETS[name] = {**dream.PRESETS["efficientnet_lite0"], "layers": groups.high}
    names = groups.names()
    style_names = names[:: max(1, len(names) // 5)][:5]
    content = groups.layers[min(len(names) - 1, len(names) // 2)]
    style.LOSS_LAYERS[name] = style.LossLayers(
        style={i.name: i.module for i in groups.layers}, content=content.module,
        content_label=content.name, default_style=tuple(style_names))


def _finish(model: Any, *, key: str, title: str, provenance: str, tf: Transforms, labels: Any,
            default_labels: Sequence[str] | None, device: str, pretrained: bool, reason: str | None,
            spec: OwnSpec, extra: dict) -> LoadedModel:
    model.eval()
    groups, cam, n_out = derive_layers(model, tf.crop or DEFAULT_SIZE)
    if labels is not None:
        names = read_labels(labels, n_out)
        label_note = f"{len(names)} labels from your file"
    elif default_labels and len(default_labels) == n_out:
        names, label_note = list(default_labels), "labels from the weights"
    elif n_out == 1000:
        names, label_note = imagenet_labels(), "ImageNet labels (1000 outputs)"
    else:
        names, label_note = [f"class {i}" for i in range(n_out)], f"{n_out} outputs named class 0 … {n_out - 1}"
    name = PREFIX + hashlib.sha256(f"{key}|{tf}|{names}".encode()).hexdigest()[:10]
    entry = ZooEntry(name, title, "classification", f"Your own model: {provenance}", OwnLoader.kind, spec,
                     meta=EntryMeta(labels=names, transforms=tf, layers=groups, cam_layer=cam))
    register(entry, replace=True)
    _teach_methods(name, groups)
    for old in own_entries()[:-MAX_ENTRIES]:   # metadata only; a kept model registers itself again
        forget(old)
    freeze(model, device)
    why = None if groups else N_("its layers cannot be read (no feature maps reached forward hooks), so "
                                 "feature maps, Grad-CAM, DeepDream and the optimised pictures do not apply")
    return LoadedModel(
        name=name, requested=name, title=title, task="classification", model=model,
        provenance=f"{provenance} · {label_note}", preprocess=classifier_preprocess(device, tf),
        labels=names, device=device, pretrained=pretrained, fallback=False, reason=reason,
        meta={**tf.as_dict(), **extra, "entry": entry, "own": True, "outputs": n_out, "label_note": label_note,
              "layers_note": why, "gradients": True}, transforms=tf)


# --------------------------------------------------------------------------- a YOLO detector file

_YOLO_TRUST = "a pickle, loaded because this is a local lab"


def from_yolo_file(data: Any, *, device: str = "cpu", filename: str | None = None) -> LoadedModel:
    """An ultralytics YOLO detection ``.pt`` (bytes, a path or a file-like object) as the same
    kind of :class:`LoadedModel` the zoo's ultralytics loader gives, so
    ``core.detection.detector.Detector(lm)`` works on it. Ultralytics files are pickles (loading
    one can run code), so this is refused on a hosted demo. Ultralytics wants a path: the bytes go
    to a temporary file that is removed before this returns. Raises ``ValueError`` with a plain
    message for files that are not a YOLO detector."""
    if not uploads_allowed():
        raise ValueError(_("YOLO .pt files are pickles that can run code, so this hosted "
                           "demo does not load them (CNNLAB_HOSTED=1). Run the lab on your "
                           "own machine to use your detector."))
    raw, fname = _read(data)
    fname = filename or fname or "your detector.pt"
    kind = sniff(raw)
    if kind not in ("torch-zip", "pickle"):
        if kind == "unknown":
            raise ValueError(_("{fname} is not an ultralytics YOLO .pt file (it looks like "
                               "something else); expected the .pt that ultralytics saves (e.g. "
                               "runs/detect/train/weights/best.pt).", fname=fname))
        raise ValueError(_("{fname} is not an ultralytics YOLO .pt file (it looks like a {kind} "
                           "file); expected the .pt that ultralytics saves (e.g. "
                           "runs/detect/train/weights/best.pt).", fname=fname, kind=kind))
    if raw[:4] == b"PK\x03\x04" and not zipfile.is_zipfile(io.BytesIO(raw)):
        raise ValueError(_("{fname} is truncated or damaged: it ends before the PyTorch "
                           "archive is complete. Upload the whole file again.", fname=fname))
    model = _yolo_from_bytes(raw, fname)
    task = getattr(model, "task", None)
    if task != "detect":
        what = {"classify": "classification", "segment": "segmentation", "pose": "pose",
                "obb": "oriented-box"}.get(task, task or "unknown-task")
        raise ValueError(_("{fname} is an ultralytics {what} model (task '{task}'), not a "
                           "detector (task 'detect'): the Detection page needs a YOLO "
                           "detection .pt.", fname=fname, what=what, task=task))
    from .loaders.ultralytics import model_labels

    labels = model_labels(model)
    digest = hashlib.sha256(raw).hexdigest()
    imgsz = _yolo_imgsz(model)
    try:
        model.to(device)
    except Exception:  # noqa: BLE001 - ultralytics moves the model itself at predict time
        pass
    name = PREFIX + digest[:10]
    title = Path(fname).stem or "your detector"
    provenance = f"your detector: {fname} (ultralytics, {len(labels)} classes) — {_YOLO_TRUST}"
    entry = ZooEntry(name, title, "detection", f"Your own detector: {provenance}", OwnLoader.kind,
                     OwnSpec("file", fname), meta=EntryMeta(labels=labels))
    register(entry, replace=True)
    for old in own_entries()[:-MAX_ENTRIES]:
        forget(old)
    return LoadedModel(
        name=name, requested=name, title=title, task="detection", model=model, provenance=provenance,
        preprocess=None, labels=labels, device=device, pretrained=True,
        meta={"entry": entry, "own": True, "imgsz": imgsz, "file": fname, "format": "ultralytics",
              "sha256": digest, "outputs": len(labels)})


def _yolo_from_bytes(raw: bytes, fname: str):
    """``ultralytics.YOLO`` of ``raw`` through a temporary file removed in ``finally``."""
    import pickle
    import tempfile

    from .loaders.ultralytics import configure_ultralytics

    configure_ultralytics()
    from ultralytics import YOLO

    tmp = tempfile.NamedTemporaryFile(prefix="cnnlab-yolo-", suffix=".pt", delete=False)
    try:
        with tmp:
            tmp.write(raw)
        try:
            model = YOLO(tmp.name)
        except (pickle.UnpicklingError, EOFError, zipfile.BadZipFile) as e:
            raise ValueError(_("{fname} cannot be read as an ultralytics .pt (damaged or not "
                               "a PyTorch file?): {error}", fname=fname, error=one_line(e))) from None
        except Exception as e:  # noqa: BLE001 - a state dict, a plain tensor, another library's pickle
            why = one_line(e).replace(tmp.name, fname)
            raise ValueError(_("{fname} is not an ultralytics YOLO model file ({why}). A "
                               "torchvision state dict or another library's checkpoint does "
                               "not hold a YOLO network; use the .pt that ultralytics saves "
                               "after training.", fname=fname, why=why)) from None
        if not hasattr(model, "model") or model.model is None or isinstance(model.model, (str, Path)):
            raise ValueError(_("{fname} holds no YOLO network.", fname=fname))
        return model
    finally:
        Path(tmp.name).unlink(missing_ok=True)


def _yolo_imgsz(model: Any) -> int:
    """The input side the model was trained at (its checkpoint's train args), else 640."""
    for src in (getattr(model, "ckpt", None) or {}, ):
        args = src.get("train_args") if isinstance(src, dict) else None
        size = (args or {}).get("imgsz") if isinstance(args, dict) else None
        if isinstance(size, (list, tuple)) and size:
            size = max(size)
        if isinstance(size, (int, float)) and 32 <= size <= 2048:
            return int(size)
    size = (getattr(model, "overrides", None) or {}).get("imgsz")
    return int(size) if isinstance(size, int) and 32 <= size <= 2048 else 640
