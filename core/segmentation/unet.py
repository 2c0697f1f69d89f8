"""U-Net (Ronneberger et al., 2015) at lab scale, with its shapes on the table.

The notes' recipe: an RGB image (h, w, 3) goes down a *contracting path* (two 3×3
convolutions, then 2×2 max pooling, channels doubling at each level), back up an *expanding
path* (a 2×2 **transposed convolution** with stride 2 doubles the size, the encoder map of the
same level is **concatenated** to it — the skip connection that brings back "which pixel was
where" — and two 3×3 convolutions mix them), and a **1×1 convolution** gives every pixel a score
per class: the output is (h, w, classes).

Sizes.  The 3×3 convolutions are padded ("same"), so only pooling changes the size; pooling
halves it ``depth`` times, so the network itself needs H and W divisible by 2**depth.  For any
other size :meth:`UNet.forward` **pads** the input (edge replication, split as evenly as possible
between top/bottom and left/right) up to the next multiple of 2**depth, runs the network, and
**crops** the logits back to the same window — so the output is always H×W for an H×W input.
(The original paper used unpadded convolutions and an output smaller than the input; the
padded variant is what almost every implementation uses today.)

:func:`shapes` gives the tensor shape after every block without running the network; the tests
check that it equals :meth:`UNet.forward_features` on a real tensor.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from core.i18n import _


class DoubleConv(nn.Sequential):
    """(3×3 conv, padding 1 → BatchNorm → ReLU) × 2: size kept, channels ``cin → cout``."""

    def __init__(self, cin: int, cout: int):
        super().__init__(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        )


def pad_amounts(h: int, w: int, multiple: int) -> tuple[int, int, int, int]:
    """(left, right, top, bottom) padding that takes h×w up to the next multiple of ``multiple``."""
    ph = (-h) % multiple
    pw = (-w) % multiple
    return pw // 2, pw - pw // 2, ph // 2, ph - ph // 2


class UNet(nn.Module):
    """U-Net with ``depth`` poolings; channels ``base·2^level``; output H×W = input H×W.

    ``forward(x)`` takes (B, in_channels, H, W) float and returns logits (B, num_classes, H, W).
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 4, base: int = 16, depth: int = 3):
        super().__init__()
        if depth < 1 or base < 1 or in_channels < 1 or num_classes < 1:
            raise ValueError("in_channels, num_classes, base and depth must all be at least 1.")
        self.in_channels, self.num_classes, self.base, self.depth = in_channels, num_classes, base, depth
        ch = [base * 2 ** i for i in range(depth + 1)]          # level widths; ch[depth] = bottleneck
        self.down = nn.ModuleList([DoubleConv(in_channels if i == 0 else ch[i - 1], ch[i])
                                   for i in range(depth)])
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = DoubleConv(ch[depth - 1], ch[depth])
        # up[i] goes from level i+1 to level i (applied for i = depth-1 … 0)
        self.up = nn.ModuleList([nn.ConvTranspose2d(ch[i + 1], ch[i], kernel_size=2, stride=2)
                                 for i in range(depth)])
        self.dec = nn.ModuleList([DoubleConv(2 * ch[i], ch[i]) for i in range(depth)])
        self.head = nn.Conv2d(ch[0], num_classes, kernel_size=1)

    @property
    def multiple(self) -> int:
        return 2 ** self.depth

    def config(self) -> dict:
        return {"in_channels": self.in_channels, "num_classes": self.num_classes,
                "base": self.base, "depth": self.depth}

    def forward_features(self, x: torch.Tensor, drop_skips: tuple[int, ...] = ()) -> dict[str, torch.Tensor]:
        """Every intermediate tensor by block name, in order (names as in :func:`shapes`).

        ``drop_skips``: levels (1 = full resolution … depth) whose skip connection is replaced by
        zeros before the concatenation — the experiment "what does this skip carry?".  Nothing
        in the module changes; the weights are only read.
        """
        h, w = x.shape[-2:]
        left, right, top, bottom = pad_amounts(h, w, self.multiple)
        out: dict[str, torch.Tensor] = {"input": x}
        if left or right or top or bottom:
            x = F.pad(x, (left, right, top, bottom), mode="replicate")
        out["padded"] = x
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else self.pool(x))
            out[f"enc{i + 1}"] = x
            skips.append(x)
        x = self.bottleneck(self.pool(x))
        out["bottleneck"] = x
        for i in reversed(range(self.depth)):
            x = self.up[i](x)
            out[f"up{i + 1}"] = x
            skip = torch.zeros_like(skips[i]) if (i + 1) in drop_skips else skips[i]
            x = torch.cat([skip, x], dim=1)
            out[f"concat{i + 1}"] = x
            x = self.dec[i](x)
            out[f"dec{i + 1}"] = x
        x = self.head(x)
        out["logits"] = x
        out["output"] = x[..., top:top + h, left:left + w]
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        left, right, top, bottom = pad_amounts(h, w, self.multiple)
        if left or right or top or bottom:
            x = F.pad(x, (left, right, top, bottom), mode="replicate")
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else self.pool(x))
            skips.append(x)
        x = self.bottleneck(self.pool(x))
        for i in reversed(range(self.depth)):
            x = self.dec[i](torch.cat([skips[i], self.up[i](x)], dim=1))
        return self.head(x)[..., top:top + h, left:left + w]


@dataclass(frozen=True)
class Block:
    """One row of the U-Net table / one node of the diagram."""

    name: str            # key in UNet.forward_features
    kind: str            # input | pad | encoder | bottleneck | up | concat | decoder | head | crop
    level: int           # 0 = full resolution, depth = bottleneck
    shape: tuple[int, int, int]   # (C, H, W) without the batch axis
    op: str              # what produced it, in words (a core.i18n.Msg: the page shows it with tr)
    params: int = 0

    @property
    def label(self) -> str:
        c, h, w = self.shape
        return f"{h}×{w}×{c}"


def _dc_params(cin: int, cout: int) -> int:
    return 9 * cin * cout + 2 * cout + 9 * cout * cout + 2 * cout   # two bias-free convs + 2 BNs


def shapes(input_size: int | tuple[int, int], in_channels: int = 3, num_classes: int = 4,
           base: int = 16, depth: int = 3) -> list[Block]:
    """The shape after every block of ``UNet(in_channels, num_classes, base, depth)`` for an input
    of ``input_size`` (an int for square, or (H, W)), computed from the arithmetic alone.

    Names and order match :meth:`UNet.forward_features`.
    """
    h, w = (input_size, input_size) if isinstance(input_size, int) else tuple(input_size)
    if h < 1 or w < 1:
        raise ValueError(f"The input must be at least 1×1 pixels; got {h}×{w}.")
    m = 2 ** depth
    ph, pw = math.ceil(h / m) * m, math.ceil(w / m) * m
    ch = [base * 2 ** i for i in range(depth + 1)]
    rows = [Block("input", "input", 0, (in_channels, h, w), _("image")),
            Block("padded", "pad", 0, (in_channels, ph, pw),
                  _("replicate-pad to a multiple of 2^{depth} = {m}", depth=depth, m=m) if (ph, pw) != (h, w)
                  else _("already a multiple of {m}: no padding", m=m))]
    for i in range(depth):
        s = 2 ** i
        cin = in_channels if i == 0 else ch[i - 1]
        rows.append(Block(f"enc{i + 1}", "encoder", i, (ch[i], ph // s, pw // s),
                          _("2 × (3×3 conv + BN + ReLU), {cin}→{cout}", cin=cin, cout=ch[i]) if i == 0 else
                          _("2×2 max pool, 2 × (3×3 conv + BN + ReLU), {cin}→{cout}", cin=cin, cout=ch[i]),
                          _dc_params(cin, ch[i])))
    s = 2 ** depth
    rows.append(Block("bottleneck", "bottleneck", depth, (ch[depth], ph // s, pw // s),
                      _("2×2 max pool, 2 × (3×3 conv + BN + ReLU), {cin}→{cout}", cin=ch[depth - 1], cout=ch[depth]),
                      _dc_params(ch[depth - 1], ch[depth])))
    for i in reversed(range(depth)):
        s = 2 ** i
        rows.append(Block(f"up{i + 1}", "up", i, (ch[i], ph // s, pw // s),
                          _("2×2 transposed conv, stride 2, {cin}→{cout}", cin=ch[i + 1], cout=ch[i]),
                          4 * ch[i + 1] * ch[i] + ch[i]))
        rows.append(Block(f"concat{i + 1}", "concat", i, (2 * ch[i], ph // s, pw // s),
                          _("concatenate skip enc{level} ({c}) with up{level} ({c})", level=i + 1, c=ch[i])))
        rows.append(Block(f"dec{i + 1}", "decoder", i, (ch[i], ph // s, pw // s),
                          _("2 × (3×3 conv + BN + ReLU), {cin}→{cout}", cin=2 * ch[i], cout=ch[i]),
                          _dc_params(2 * ch[i], ch[i])))
    rows.append(Block("logits", "head", 0, (num_classes, ph, pw),
                      _("1×1 conv, {cin}→{k} class scores", cin=ch[0], k=num_classes),
                      ch[0] * num_classes + num_classes))
    rows.append(Block("output", "crop", 0, (num_classes, h, w),
                      _("crop the padding away") if (ph, pw) != (h, w) else _("nothing to crop")))
    return rows


def model_shapes(model: UNet, input_size: int | tuple[int, int]) -> list[Block]:
    """:func:`shapes` for an existing model's configuration."""
    return shapes(input_size, **model.config())


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
