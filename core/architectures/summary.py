"""Layer-by-layer summary of a network from a real forward pass.

``summarize(model, input_size)`` runs one forward pass with per-call forward hooks (removed
in ``finally``) and records, for every leaf module call in execution order: its name, type,
output shape, parameters and multiply-accumulates (MACs).

MAC convention (the one behind torchvision's ``_ops`` metadata and the papers' "FLOPs"):
convolutions count output elements x (input channels / groups) x kernel height x width;
linear layers count output elements x input features; other layers count 0 (a custom
module may say otherwise with a ``count_macs(inputs, output)`` method).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn

from core.i18n import N_

__all__ = ["LayerRow", "Summary", "summarize", "layer_macs", "shape_trace", "to_dot", "group_rows",
           "auto_depth", "max_depth"]


@dataclass(frozen=True)
class LayerRow:
    name: str                       # dotted module path, e.g. "layer1.0.conv1"
    type: str                       # class name, e.g. "Conv2d"
    output_shape: tuple[int, ...]   # without the batch dimension, e.g. (64, 56, 56)
    params: int                     # parameters owned by this module (first call only)
    macs: int                       # multiply-accumulates of this call (batch of 1)
    input_shape: tuple[int, ...] = ()
    kernel: str = ""                # "3x3 s2 p1" for convolutions / pools, "" otherwise

    @property
    def depth(self) -> int:
        return self.name.count(".") + 1 if self.name else 0


@dataclass
class Summary:
    rows: list[LayerRow]
    input_size: tuple[int, ...]                 # (C, H, W)
    output_shape: tuple[int, ...]
    total_params: int                           # every parameter of the model
    trainable_params: int
    total_macs: int                             # sum of the rows' MACs
    module_types: dict[str, str] = field(default_factory=dict)  # every named module

    def table(self) -> list[dict]:
        """Rows as plain dicts (for a dataframe)."""
        return [
            {
                "layer": r.name,
                "type": r.type,
                "kernel": r.kernel,
                "output shape": " x ".join(str(d) for d in r.output_shape),
                "params": r.params,
                "MACs": r.macs,
            }
            for r in self.rows
        ]

    def __str__(self) -> str:  # a compact text table for the CLI / notebooks
        lines = [f"{'layer':40s} {'type':22s} {'output':>18s} {'params':>12s} {'MACs':>15s}"]
        for r in self.rows:
            shape = "x".join(str(d) for d in r.output_shape)
            lines.append(f"{r.name:40s} {r.type:22s} {shape:>18s} {r.params:12,d} {r.macs:15,d}")
        lines.append(f"total params {self.total_params:,}   total MACs {self.total_macs:,}")
        return "\n".join(lines)


_HOOK_LOCKS: dict[int, threading.Lock] = {}
_HOOK_LOCKS_GUARD = threading.Lock()


def _lock_for(model: nn.Module) -> threading.Lock:
    with _HOOK_LOCKS_GUARD:
        return _HOOK_LOCKS.setdefault(id(model), threading.Lock())


def _first_tensor(x):
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, (list, tuple)):
        for item in x:
            t = _first_tensor(item)
            if t is not None:
                return t
    if isinstance(x, dict):
        for item in x.values():
            t = _first_tensor(item)
            if t is not None:
                return t
    if hasattr(x, "logits") and isinstance(x.logits, torch.Tensor):
        return x.logits
    return None


def layer_macs(module: nn.Module, inputs, output: torch.Tensor) -> int:
    """Multiply-accumulates of one call of ``module`` (for the whole batch in ``output``)."""
    counter = getattr(module, "count_macs", None)
    if callable(counter):
        return int(counter(inputs, output))
    if isinstance(module, nn.modules.conv._ConvNd):
        k = 1
        for d in module.kernel_size:
            k *= d
        return int(output.numel() * (module.in_channels // module.groups) * k)
    if isinstance(module, nn.Linear):
        return int(output.numel() * module.in_features)
    return 0


def _kernel_text(m: nn.Module) -> str:
    def one(v):
        return v[0] if isinstance(v, (tuple, list)) else v

    if isinstance(m, nn.modules.conv._ConvNd):
        ks = "x".join(str(d) for d in m.kernel_size)
        text = f"{ks} s{one(m.stride)}"
        if isinstance(m.padding, str):
            text += f" {m.padding}"
        elif one(m.padding):
            text += f" p{one(m.padding)}"
        if m.groups > 1:
            text += " depthwise" if m.groups == m.in_channels else f" g{m.groups}"
        return text
    if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
        k, s, p = one(m.kernel_size), one(m.stride), one(m.padding)
        return f"{k}x{k} s{s}" + (f" p{p}" if p else "")
    return ""


def summarize(model: nn.Module, input_size, device: str | torch.device | None = None) -> Summary:
    """Summarize ``model`` by running one forward pass on zeros of ``input_size``.

    ``input_size`` is (C, H, W) or (1, C, H, W). The model is left exactly as it was: its
    train/eval mode is not changed, the pass runs under ``torch.no_grad()``, and the forward
    hooks are per call and removed in ``finally``. A model built on the ``meta`` device is
    summarized without computing anything.
    """
    size = tuple(int(s) for s in input_size)
    if len(size) == 3:
        size = (1,) + size
    if len(size) != 4:
        raise ValueError(f"input_size must be (C, H, W) or (N, C, H, W), got {input_size!r}")
    batch = size[0]
    if device is None:
        p = next(iter(model.parameters()), None)
        device = p.device if p is not None else torch.device("cpu")
    x = torch.zeros(size, device=device)

    names = {m: n for n, m in model.named_modules()}
    # rows are made for leaves and for any module that owns parameters directly, so that
    # the rows' params always add up to the model's total
    tracked = [
        m for m in names
        if not any(True for _ in m.children()) or any(True for _ in m.parameters(recurse=False))
    ]
    seen: set[int] = set()
    rows: list[LayerRow] = []

    def hook(module, inputs, output):
        out = _first_tensor(output)
        if out is None:
            return
        inp = _first_tensor(inputs)
        first = id(module) not in seen
        seen.add(id(module))
        own = sum(p.numel() for p in module.parameters(recurse=False)) if first else 0
        rows.append(LayerRow(
            name=names[module],
            type=type(module).__name__,
            output_shape=tuple(out.shape[1:]),
            params=int(own),
            macs=layer_macs(module, inputs, out) // max(batch, 1),
            input_shape=tuple(inp.shape[1:]) if inp is not None else (),
            kernel=_kernel_text(module),
        ))

    with _lock_for(model):
        handles = []
        try:
            for m in tracked:
                handles.append(m.register_forward_hook(hook))
            with torch.no_grad():
                out = _first_tensor(model(x))
        finally:
            for h in handles:
                h.remove()

    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    # modules never called in forward (e.g. an unused head) still own parameters
    missing = total - sum(r.params for r in rows)
    if missing:
        for m, n in names.items():
            if id(m) in seen or m not in tracked:
                continue
            own = sum(p.numel() for p in m.parameters(recurse=False))
            if own:
                rows.append(LayerRow(n, type(m).__name__ + " (not called)", (), int(own), 0))
    return Summary(
        rows=rows,
        input_size=size[1:],
        output_shape=tuple(out.shape[1:]) if out is not None else (),
        total_params=int(total),
        trainable_params=int(trainable),
        total_macs=int(sum(r.macs for r in rows)),
        module_types={n: type(m).__name__ for m, n in names.items()},
    )


def shape_trace(summary: Summary, depth: int | None = None) -> list[dict]:
    """The notes' observation as data: H x W shrinks while channels grow.

    One entry per row whose output is a feature map (C, H, W) where the shape changes,
    starting with the input: ``{"layer", "type", "channels", "height", "width"}``. With
    ``depth``, only the output of each group of ``group_rows(summary, depth)`` counts (e.g.
    block outputs, without the channel squeeze inside a bottleneck block).
    """
    c, h, w = summary.input_size
    trace = [{"layer": "input", "type": "input", "channels": c, "height": h, "width": w}]
    last = (c, h, w)
    rows = summary.rows if depth is None else [
        next((r for r in reversed(g) if r.output_shape), g[-1]) for _k, g in group_rows(summary, depth)]
    for r in rows:
        s = r.output_shape
        if len(s) == 3 and s != last:
            trace.append({"layer": r.name, "type": r.type, "channels": s[0], "height": s[1],
                          "width": s[2]})
            last = s
        elif len(s) == 1 and (s[0],) != last and r.type in ("Linear", "RBFOutput"):
            trace.append({"layer": r.name, "type": r.type, "channels": s[0], "height": 1,
                          "width": 1})
            last = (s[0],)
    return trace


_SKIP_TYPES = {"BasicBlock", "Bottleneck", "InvertedResidual", "MBConv", "DepthwiseSeparable",
               "Inception"}
# layers drawn inside the box of the layer before them (they keep the shape)
_FOLD_TYPES = {"ReLU", "ReLU6", "SiLU", "Tanh", "ScaledTanh", "Sigmoid", "Hardswish",
               "BatchNorm2d", "BatchNorm1d", "LocalResponseNorm", "Dropout", "Identity",
               "StochasticDepth"}


def _fmt_count(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1e6:.2f}M"
    if n >= 1_000:
        return f"{n / 1e3:.1f}k"
    return str(n)


def max_depth(summary: Summary) -> int:
    """The deepest nesting level of the rows' names (1 = top-level modules)."""
    return max((r.depth for r in summary.rows), default=1)


def group_rows(summary: Summary, depth: int) -> list[tuple[str, list[LayerRow]]]:
    """Consecutive rows sharing the first ``depth`` parts of their names, in forward order."""
    groups: list[tuple[str, list[LayerRow]]] = []
    for r in summary.rows:
        parts = r.name.split(".") if r.name else ["(model)"]
        key = ".".join(parts[:depth])
        if groups and groups[-1][0] == key:
            groups[-1][1].append(r)
        else:
            groups.append((key, [r]))
    return groups


def auto_depth(summary: Summary, target: int = 10) -> int:
    """The shallowest nesting level whose diagram has at least ``target`` boxes."""
    top = max_depth(summary)
    for d in range(1, top + 1):
        if len(_boxes(summary, d)) >= target:
            return d
    return top


def _boxes(summary: Summary, depth: int) -> list[tuple[str, list[LayerRow], list[str]]]:
    """Groups with shape-keeping single layers (activations, norms) folded into the box
    before them: (key, rows, folded type names)."""
    boxes: list[tuple[str, list[LayerRow], list[str]]] = []
    single = False  # the last box is one layer (plus what was folded into it)
    for key, rows in group_rows(summary, depth):
        if boxes and single and len(rows) == 1 and rows[0].type in _FOLD_TYPES:
            boxes[-1][1].append(rows[0])
            boxes[-1][2].append(rows[0].type)
        else:
            boxes.append((key, list(rows), []))
            single = len(rows) == 1
    return boxes


# the diagram's own words (a page passes its gettext to ``to_dot`` to show them translated)
_DOT_INPUT, _DOT_LAYERS, _DOT_PARAMS = N_("input"), N_("{n} layers"), N_("{n} params")


def to_dot(summary: Summary, depth: int = 2, title: str = "", rankdir: str = "TB",
           gettext: Callable[[str], str] | None = None) -> str:
    """A Graphviz DOT diagram of the network, input at the top.

    Consecutive rows that share the first ``depth`` parts of their name collapse into one
    box (``depth=1``: the top-level stages; larger: blocks, then single layers), labelled
    with the block's type, output shape and parameters. Activations and normalisations that
    follow a single layer are folded into its box ("+ ReLU"). Blocks with a skip connection
    or parallel branches (ResNet blocks, inverted residuals, Inception) get a double border.
    ``gettext`` translates the diagram's words ("input", "layers", "params"); English without.
    """
    tr = gettext or (lambda text: text)

    def esc(s: str) -> str:
        return s.replace('"', '\\"')  # labels carry DOT's own "\\n" line breaks

    lines = [
        "digraph G {",
        f"  rankdir={rankdir}; nodesep=0.2; ranksep=0.18; bgcolor=\"transparent\";",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10,'
        ' fillcolor="#eef3fb", color="#4a6fa5", margin="0.12,0.04"];',
        '  edge [color="#555555", arrowsize=0.6];',
    ]
    if title:
        lines.append(f'  labelloc="t"; label="{esc(title)}"; fontname="Helvetica";')
    shape_in = "x".join(str(d) for d in summary.input_size)
    lines.append(f'  n_in [label="{esc(tr(_DOT_INPUT))}\\n{shape_in}", shape=ellipse, '
                 'fillcolor="#ffffff"];')
    prev = "n_in"
    palette = {"Conv2d": "#dbe9ff", "PartialConv": "#dbe9ff", "Linear": "#ffe8cc",
               "RBFOutput": "#ffe8cc", "MaxPool2d": "#e3f5e1", "AvgPool2d": "#e3f5e1",
               "AdaptiveAvgPool2d": "#e3f5e1", "Subsampling": "#e3f5e1"}
    for i, (key, rows, folded) in enumerate(_boxes(summary, depth)):
        mtype = summary.module_types.get(key, rows[0].type)
        last_shape = next((r.output_shape for r in reversed(rows) if r.output_shape), ())
        shape = "x".join(str(d) for d in last_shape)
        params = sum(r.params for r in rows)
        if folded:
            r = rows[0]
            label = f"{key}\\n{r.type}" + (f" {r.kernel}" if r.kernel else "")
            label += "\\n+ " + " + ".join(dict.fromkeys(folded))
        elif len(rows) == 1:
            r = rows[0]
            label = f"{key}\\n{r.type}" + (f" {r.kernel}" if r.kernel else "")
        else:
            label = f"{key}\\n{mtype} (" + tr(_DOT_LAYERS).format(n=len(rows)) + ")"
        label += f"\\n{shape}"
        if params:
            label += " | " + tr(_DOT_PARAMS).format(n=_fmt_count(params))
        attrs = [f'label="{esc(label)}"']
        if mtype in _SKIP_TYPES:
            attrs += ["peripheries=2", 'fillcolor="#f3e8ff"']
        elif rows[0].type in palette:
            attrs.append(f'fillcolor="{palette[rows[0].type]}"')
        node = f"n{i}"
        lines.append(f"  {node} [{', '.join(attrs)}];")
        lines.append(f"  {prev} -> {node};")
        prev = node
    lines.append("}")
    return "\n".join(lines)
