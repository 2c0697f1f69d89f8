"""Cost calculators of the notes: 1x1 bottlenecks, Inception modules, depthwise separable
convolutions, MobileNetV2's inverted residual and EfficientNet's compound scaling.

Costs are multiplications (= multiply-accumulates): one per filter weight per output value.
Branch names, layer and step labels are marked for translation (``core.i18n``): they stay
English strings here, and pages show them with ``dashboard.i18n.tr``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.i18n import N_, _

__all__ = [
    "conv_macs",
    "conv_params",
    "BottleneckCost",
    "bottleneck_cost",
    "InceptionBranch",
    "inception_module",
    "INCEPTION_3A",
    "SeparableCost",
    "depthwise_separable_cost",
    "separable_blocks",
    "inverted_residual",
    "ALPHA",
    "BETA",
    "GAMMA",
    "compound_scaling",
    "EFFICIENTNET_CONFIGS",
    "implied_phi",
]


def _same_out(n: int, f: int, stride: int) -> int:
    # "same" padding p = (f - 1) / 2, output floor((n + 2p - f) / s) + 1
    p = (f - 1) // 2
    return (n + 2 * p - f) // stride + 1


def conv_macs(h_out: int, w_out: int, c_in: int, c_out: int, f: int, groups: int = 1) -> int:
    """Multiplications of a conv layer: every output value (h_out x w_out x c_out) costs
    f x f x (c_in / groups)."""
    return int(h_out * w_out * c_out * f * f * (c_in // groups))


def conv_params(c_in: int, c_out: int, f: int, bias: bool = True, groups: int = 1) -> int:
    """Parameters of a conv layer: f x f x (c_in / groups) x c_out weights (+ c_out biases)."""
    return int(f * f * (c_in // groups) * c_out + (c_out if bias else 0))


@dataclass(frozen=True)
class BottleneckCost:
    direct: int          # f x f conv straight from c_in to c_out
    reduce: int          # 1x1 conv c_in -> bottleneck
    conv: int            # f x f conv bottleneck -> c_out
    output_shape: tuple[int, int, int]
    bottleneck_shape: tuple[int, int, int]

    @property
    def with_bottleneck(self) -> int:
        return self.reduce + self.conv

    @property
    def saving(self) -> float:
        """How many times fewer multiplications the bottleneck needs."""
        return self.direct / self.with_bottleneck


def bottleneck_cost(h: int = 28, w: int = 28, c_in: int = 192, c_out: int = 32, f: int = 5,
                    bottleneck: int = 16) -> BottleneckCost:
    """The notes' 1x1 bottleneck example (same convolutions, stride 1).

    28x28x192 -> 5x5 conv to 32 channels: 28*28*32 * 5*5*192 = 120,422,400 multiplications.
    Through a 16-channel 1x1 bottleneck: 28*28*16 * 192 = 2,408,448 plus
    28*28*32 * 5*5*16 = 10,035,200, i.e. 12,443,648 (about 10x fewer).
    """
    return BottleneckCost(
        direct=conv_macs(h, w, c_in, c_out, f),
        reduce=conv_macs(h, w, c_in, bottleneck, 1),
        conv=conv_macs(h, w, bottleneck, c_out, f),
        output_shape=(h, w, c_out),
        bottleneck_shape=(h, w, bottleneck),
    )


@dataclass(frozen=True)
class InceptionBranch:
    name: str
    layers: tuple[str, ...]
    output_shape: tuple[int, int, int]   # H, W, C
    macs: int
    params: int


#: GoogLeNet's first Inception module ("3a"), the course's example: 28x28x192 in,
#: 1x1 -> 64, 1x1 96 -> 3x3 128, 1x1 16 -> 5x5 32, 3x3 max pool -> 1x1 32; 28x28x256 out.
INCEPTION_3A = dict(h=28, w=28, c_in=192, c1=64, c3_reduce=96, c3=128, c5_reduce=16, c5=32,
                    pool_proj=32)


def inception_module(h: int = 28, w: int = 28, c_in: int = 192, c1: int = 64,
                     c3_reduce: int = 96, c3: int = 128, c5_reduce: int = 16, c5: int = 32,
                     pool_proj: int = 32, use_bottlenecks: bool = True) -> list[InceptionBranch]:
    """Branches of an Inception module (same convolutions, stride 1, biases counted).

    With ``use_bottlenecks=False`` the naive module: 3x3 and 5x5 straight from the input and
    the pooled input concatenated without a 1x1 projection (its channels pass through).
    The output is the channel-wise concatenation: H x W x sum of branch channels.
    """
    b: list[InceptionBranch] = [
        InceptionBranch("1x1", (N_("1x1 conv"),), (h, w, c1), conv_macs(h, w, c_in, c1, 1),
                        conv_params(c_in, c1, 1)),
    ]
    if use_bottlenecks:
        b.append(InceptionBranch(
            "3x3", (_("1x1 conv -> {c}", c=c3_reduce), N_("3x3 conv")), (h, w, c3),
            conv_macs(h, w, c_in, c3_reduce, 1) + conv_macs(h, w, c3_reduce, c3, 3),
            conv_params(c_in, c3_reduce, 1) + conv_params(c3_reduce, c3, 3)))
        b.append(InceptionBranch(
            "5x5", (_("1x1 conv -> {c}", c=c5_reduce), N_("5x5 conv")), (h, w, c5),
            conv_macs(h, w, c_in, c5_reduce, 1) + conv_macs(h, w, c5_reduce, c5, 5),
            conv_params(c_in, c5_reduce, 1) + conv_params(c5_reduce, c5, 5)))
        b.append(InceptionBranch(
            N_("pool"), (N_("3x3 max pool s1 same"), _("1x1 conv -> {c}", c=pool_proj)),
            (h, w, pool_proj),
            conv_macs(h, w, c_in, pool_proj, 1), conv_params(c_in, pool_proj, 1)))
    else:
        b.append(InceptionBranch("3x3", (N_("3x3 conv"),), (h, w, c3),
                                 conv_macs(h, w, c_in, c3, 3), conv_params(c_in, c3, 3)))
        b.append(InceptionBranch("5x5", (N_("5x5 conv"),), (h, w, c5),
                                 conv_macs(h, w, c_in, c5, 5), conv_params(c_in, c5, 5)))
        b.append(InceptionBranch(N_("pool"), (N_("3x3 max pool s1 same"),), (h, w, c_in), 0, 0))
    return b


@dataclass(frozen=True)
class SeparableCost:
    output_shape: tuple[int, int, int]
    standard: int       # n_out^2 * n_c' * f^2 * n_c
    depthwise: int      # n_out^2 * f^2 * n_c
    pointwise: int      # n_out^2 * n_c * n_c'

    @property
    def separable(self) -> int:
        return self.depthwise + self.pointwise

    @property
    def ratio(self) -> float:
        """separable / standard, which equals 1/n_c' + 1/f^2."""
        return self.separable / self.standard


def depthwise_separable_cost(n: int = 6, n_c: int = 3, f: int = 3, n_c_out: int = 5,
                             stride: int = 1, padding: int = 0) -> SeparableCost:
    """Standard vs depthwise separable convolution of an n x n x n_c input with f x f
    filters to n_c' = ``n_c_out`` channels.

    The course's example: 6x6x3, 3x3 filters, 5 output channels -> 4x4x5. Standard:
    4*4*5 * 3*3*3 = 2,160. Depthwise: 4*4*3 * 3*3 = 432; pointwise: 4*4*5 * 3 = 240;
    together 672 = 2,160 x (1/5 + 1/9).
    """
    n_out = (n + 2 * padding - f) // stride + 1
    return SeparableCost(
        output_shape=(n_out, n_out, n_c_out),
        standard=conv_macs(n_out, n_out, n_c, n_c_out, f),
        depthwise=conv_macs(n_out, n_out, n_c, n_c, f, groups=n_c),
        pointwise=conv_macs(n_out, n_out, n_c, n_c_out, 1),
    )


def separable_blocks(summary) -> list[dict]:
    """The depthwise separable blocks of a summarized network (our ``MobileNetV1``: rows named
    ``<stage>.<i>.depthwise`` / ``.pointwise``), each with the formula's cost next to what the
    forward pass measured.

    One dict per block, in forward order: ``block`` (its name), ``depthwise`` and
    ``pointwise`` (the two ``LayerRow``), ``cost`` (:func:`depthwise_separable_cost` of a 3x3
    filter, padding 1, at the block's input size, channels and stride) and ``equal``
    (the formula's separable cost equals the measured multiply-accumulates).
    """
    by_block: dict[str, dict] = {}
    for r in summary.rows:
        parts = r.name.split(".")
        if len(parts) == 3 and r.type == "Conv2d" and parts[2] in ("depthwise", "pointwise"):
            by_block.setdefault(".".join(parts[:2]), {})[parts[2]] = r
    blocks = []
    for key, rows in by_block.items():
        dw, pw = rows["depthwise"], rows["pointwise"]
        c_in, h_in = dw.input_shape[0], dw.input_shape[1]
        stride = 2 if dw.output_shape[1] < h_in else 1
        cost = depthwise_separable_cost(h_in, c_in, 3, pw.output_shape[0], stride, 1)
        blocks.append({"block": key, "depthwise": dw, "pointwise": pw, "cost": cost,
                       "equal": cost.separable == dw.macs + pw.macs})
    return blocks


def inverted_residual(h: int = 56, w: int = 56, c_in: int = 24, c_out: int = 24,
                      expansion: int = 6, stride: int = 1) -> list[dict]:
    """MobileNetV2's bottleneck block: 1x1 expansion to t*c channels, 3x3 depthwise
    (stride s), 1x1 linear projection to c'. The skip connection exists when s = 1 and
    c = c'. Returns one dict per step: name, output shape (H, W, C), multiplications,
    parameters (conv weights, no BN)."""
    mid = c_in * expansion
    h2, w2 = _same_out(h, 3, stride), _same_out(w, 3, stride)
    steps = []
    if expansion != 1:
        steps.append({"step": N_("expand 1x1 + ReLU6"), "shape": (h, w, mid),
                      "macs": conv_macs(h, w, c_in, mid, 1), "params": conv_params(c_in, mid, 1, False)})
    steps.append({"step": _("depthwise 3x3 s{stride} + ReLU6", stride=stride), "shape": (h2, w2, mid),
                  "macs": conv_macs(h2, w2, mid, mid, 3, groups=mid),
                  "params": conv_params(mid, mid, 3, False, groups=mid)})
    steps.append({"step": N_("project 1x1 (linear)"), "shape": (h2, w2, c_out),
                  "macs": conv_macs(h2, w2, mid, c_out, 1), "params": conv_params(mid, c_out, 1, False)})
    if stride == 1 and c_in == c_out:
        steps.append({"step": N_("+ skip (input)"), "shape": (h2, w2, c_out), "macs": 0, "params": 0})
    return steps


# EfficientNet compound scaling (Tan & Le 2019): depth d = alpha^phi, width w = beta^phi,
# resolution r = gamma^phi with alpha * beta^2 * gamma^2 ~ 2, so FLOPs grow ~ 2^phi.
ALPHA, BETA, GAMMA = 1.2, 1.1, 1.15


def compound_scaling(phi: float, alpha: float = ALPHA, beta: float = BETA, gamma: float = GAMMA,
                     base_resolution: int = 224) -> dict:
    """Depth, width and resolution multipliers for a compound coefficient ``phi``.

    FLOPs of a conv net scale with d * w^2 * r^2, so the FLOPs factor is
    (alpha * beta^2 * gamma^2)^phi = 1.92^phi ~ 2^phi for the paper's constants.
    """
    d, w, r = alpha ** phi, beta ** phi, gamma ** phi
    return {
        "phi": phi,
        "depth": d,
        "width": w,
        "resolution": r,
        "resolution_px": int(round(base_resolution * r)),
        "flops": d * w * w * r * r,
        "constraint": alpha * beta ** 2 * gamma ** 2,
    }


#: The released B0..B7 (width multiplier, depth multiplier, resolution, dropout), as in
#: torchvision's builders and the paper's code. They were tuned per model, so they follow
#: compound scaling only roughly.
EFFICIENTNET_CONFIGS: dict[str, dict] = {
    "efficientnet_b0": {"width": 1.0, "depth": 1.0, "resolution": 224, "dropout": 0.2},
    "efficientnet_b1": {"width": 1.0, "depth": 1.1, "resolution": 240, "dropout": 0.2},
    "efficientnet_b2": {"width": 1.1, "depth": 1.2, "resolution": 260, "dropout": 0.3},
    "efficientnet_b3": {"width": 1.2, "depth": 1.4, "resolution": 300, "dropout": 0.3},
    "efficientnet_b4": {"width": 1.4, "depth": 1.8, "resolution": 380, "dropout": 0.4},
    "efficientnet_b5": {"width": 1.6, "depth": 2.2, "resolution": 456, "dropout": 0.4},
    "efficientnet_b6": {"width": 1.8, "depth": 2.6, "resolution": 528, "dropout": 0.5},
    "efficientnet_b7": {"width": 2.0, "depth": 3.1, "resolution": 600, "dropout": 0.5},
}


def implied_phi(config: dict, alpha: float = ALPHA, beta: float = BETA, gamma: float = GAMMA,
                base_resolution: int = 224) -> dict:
    """phi read back from a released config through each of the three multipliers."""
    return {
        "from_depth": math.log(config["depth"]) / math.log(alpha),
        "from_width": math.log(config["width"]) / math.log(beta),
        "from_resolution": math.log(config["resolution"] / base_resolution) / math.log(gamma),
    }
