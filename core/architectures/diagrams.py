"""Graphviz DOT texts of the blocks the architectures page draws: the residual block, an
Inception module and MobileNetV2's inverted residual (``to_dot`` in ``summary`` draws whole
networks).

No Streamlit here: ``st.graphviz_chart`` or ``graphviz.Source`` renders the text. The words
in the boxes are marked for translation; ``translate`` (a page passes ``dashboard.i18n.tr``)
puts them in the visitor's language, and without it they stay English.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from core.i18n import N_

from .costs import InceptionBranch

__all__ = ["RESIDUAL_BLOCK_DOT", "residual_block_dot", "inception_dot", "inverted_residual_dot"]

_PURPLE = "#8e5ccf"  # the shortcut


def _same(text: Any) -> str:
    return str(text)


def _esc(text: Any) -> str:
    return str(text).replace('"', '\\"')


def residual_block_dot(translate: Callable[[Any], str] = _same) -> str:
    """The residual block a[l] → linear → ReLU → linear → + a[l] → ReLU, the shortcut dashed."""
    linear, shortcut = _esc(translate(N_("linear"))), _esc(translate(N_("shortcut (skip connection)")))
    return """digraph R {
  rankdir=LR; nodesep=0.3; bgcolor="transparent";
  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11,
        fillcolor="#eef3fb", color="#4a6fa5"];
  a0 [label="a[l]", shape=ellipse, fillcolor="white"];
  l1 [label="%(linear)s\\nz[l+1] = W[l+1] a[l] + b[l+1]"];
  g1 [label="ReLU\\na[l+1]"];
  l2 [label="%(linear)s\\nz[l+2] = W[l+2] a[l+1] + b[l+2]"];
  add [label="+", shape=circle, fillcolor="#f3e8ff"];
  g2 [label="ReLU\\na[l+2]"];
  a0 -> l1 -> g1 -> l2 -> add -> g2;
  a0 -> add [style=dashed, color="#8e5ccf", label="  %(shortcut)s",
             fontname="Helvetica", fontsize=10, fontcolor="#8e5ccf", constraint=false];
}""" % {"linear": linear, "shortcut": shortcut}


RESIDUAL_BLOCK_DOT = residual_block_dot()


def _shape(shape: Sequence[int]) -> str:
    return "×".join(str(d) for d in shape)


def inception_dot(branches: Sequence[InceptionBranch], c_in: int, h: int, w: int,
                  translate: Callable[[Any], str] = _same) -> str:
    """An Inception module (``inception_module``'s branches) from the previous activation
    (h×w×c_in) to the channel concatenation, one column per branch."""
    prev_label = _esc(translate(N_("previous activation")))
    cat_label = _esc(translate(N_("channel concat")))
    lines = ['digraph I {', '  rankdir=TB; nodesep=0.35; ranksep=0.3; bgcolor="transparent";',
             '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10, '
             'fillcolor="#eef3fb", color="#4a6fa5"];',
             f'  in [label="{prev_label}\\n{h}×{w}×{c_in}", shape=ellipse, '
             'fillcolor="white"];']
    total = sum(b.output_shape[2] for b in branches)
    lines.append(f'  cat [label="{cat_label}\\n{h}×{w}×{total}", fillcolor="#f3e8ff"];')
    for i, b in enumerate(branches):
        prev = "in"
        for j, layer in enumerate(b.layers):
            node = f"b{i}_{j}"
            fill = "#e3f5e1" if "pool" in layer else ("#fff4d6" if "1x1" in layer else "#dbe9ff")
            lines.append(f'  {node} [label="{_esc(translate(layer))}", fillcolor="{fill}"];')
            lines.append(f"  {prev} -> {node};")
            prev = node
        lines.append(f'  {prev} -> cat [label=" {_shape(b.output_shape)}", '
                     'fontname="Helvetica", fontsize=9];')
    lines.append("}")
    return "\n".join(lines)


def inverted_residual_dot(steps: Sequence[dict], h: int, w: int, c_in: int,
                          translate: Callable[[Any], str] = _same) -> str:
    """MobileNetV2's block (``inverted_residual``'s steps) top to bottom, each box as wide as
    its channel count, the skip (when there is one) as a dashed edge from the input."""
    widest = max(s["shape"][2] for s in steps)
    dot = ['digraph V {', '  rankdir=TB; ranksep=0.2; bgcolor="transparent";',
           '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10,'
           ' fillcolor="#eef3fb", color="#4a6fa5"];',
           f'  in [label="{_esc(translate(N_("input")))}\\n{h}×{w}×{c_in}", shape=ellipse, '
           'fillcolor="white"];']
    prev = "in"
    for i, stp in enumerate(steps):
        if stp["step"].startswith("+"):
            dot.append(f'  s{i} [label="+", shape=circle, fillcolor="#f3e8ff"];')
            dot.append(f"  {prev} -> s{i};")
            dot.append(f'  in -> s{i} [style=dashed, color="{_PURPLE}"];')
        else:
            width = 1.2 + 1.8 * (stp["shape"][2] / widest)
            dot.append(f'  s{i} [label="{_esc(translate(stp["step"]))}\\n{_shape(stp["shape"])}", '
                       f'width={width:.2f}];')
            dot.append(f"  {prev} -> s{i};")
        prev = f"s{i}"
    dot.append("}")
    return "\n".join(dot)
