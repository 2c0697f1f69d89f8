"""Builders for the classic CNN architectures of the course notes (untrained).

LeNet-5 (both the 1998 form and the course's "modern" form) and MobileNet v1 are written
here; every other network comes from torchvision with ``weights=None``.

Parameter counts (trainable parameters, ``sum(p.numel() for p in model.parameters())``):

=================  ===========  ======================================================
name               parameters   note
=================  ===========  ======================================================
lenet5             60,000       LeCun et al. 1998: C1 156, S2 12, C3 1,516 (partial
                                connection table), S4 32, C5 48,120, F6 10,164; the RBF
                                output's 84x10 codes are fixed (not trained) buffers
lenet5_modern      61,706       course form: ReLU, max pool, full C3 (2,416), FC 10 (850)
alexnet            61,100,840   torchvision (single-tower, 64/192/384/256/256 filters)
vgg16              138,357,544
resnet18           11,689,512
resnet34           21,797,672
resnet50           25,557,032
googlenet          6,624,904    aux classifiers off (they are training-only side branches)
mobilenet_v1       4,231,976    width 1.0, 224x224, batch norm after every conv
mobilenet_v2       3,504,872
efficientnet_b0    5,288,548    ... efficientnet_b7 66,347,960
=================  ===========  ======================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from core.i18n import N_

__all__ = [
    "ArchInfo",
    "ARCHITECTURES",
    "NAMES",
    "build",
    "input_size",
    "LeNet5",
    "LeNet5Modern",
    "MobileNetV1",
    "DepthwiseSeparable",
    "C3_TABLE",
]


# ---------------------------------------------------------------------------------------
# LeNet-5, 1998 form
# ---------------------------------------------------------------------------------------

#: LeNet-5's C3 connection table (LeCun et al. 1998, Table I): which S2 maps feed each of
#: the 16 C3 maps. 6 maps see 3 contiguous inputs, 6 see 4 contiguous, 3 see 4
#: non-contiguous, 1 sees all 6.
C3_TABLE: tuple[tuple[int, ...], ...] = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (0, 4, 5), (0, 1, 5),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (0, 3, 4, 5), (0, 1, 4, 5), (0, 1, 2, 5),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)


class ScaledTanh(nn.Module):
    """LeNet's squashing function f(a) = A tanh(S a) with A = 1.7159, S = 2/3."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 1.7159 * torch.tanh(x * (2.0 / 3.0))


class Subsampling(nn.Module):
    """LeNet's S2/S4: the sum of each 2x2 block times a trainable coefficient plus a
    trainable bias, per channel (2 parameters per map)."""

    def __init__(self, channels: int):
        super().__init__()
        self.coefficient = nn.Parameter(torch.full((channels,), 0.25))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = F.avg_pool2d(x, 2) * 4.0
        return s * self.coefficient.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)

    def count_macs(self, inputs, output) -> int:
        return int(output[0].numel())  # one multiply (coefficient) per output value


class PartialConv(nn.Module):
    """C3 with LeNet's sparse connection table, as four grouped convolutions.

    Output map k only sees the S2 maps in ``C3_TABLE[k]``: 6 x (3*25+1) + 6 x (4*25+1)
    + 3 x (4*25+1) + 1 x (6*25+1) = 1,516 trainable parameters (a full 6->16 5x5 conv has
    2,416). Breaking symmetry this way was the paper's reason for the table.
    """

    def __init__(self, table=C3_TABLE, kernel_size: int = 5):
        super().__init__()
        self.kernel_size = kernel_size
        self.table = tuple(tuple(t) for t in table)
        # consecutive output maps with the same fan-in form one grouped conv
        self._runs: list[tuple[int, int, int]] = []  # (start, stop, fan_in)
        start = 0
        for k in range(1, len(self.table) + 1):
            if k == len(self.table) or len(self.table[k]) != len(self.table[start]):
                self._runs.append((start, k, len(self.table[start])))
                start = k
        for i, (a, b, fan_in) in enumerate(self._runs):
            w = torch.empty(b - a, fan_in, kernel_size, kernel_size)
            bound = 2.4 / (fan_in * kernel_size * kernel_size)  # LeCun 1998 init
            nn.init.uniform_(w, -bound, bound)
            self.register_parameter(f"weight{i}", nn.Parameter(w))
            idx = torch.tensor([c for k in range(a, b) for c in self.table[k]], dtype=torch.long)
            self.register_buffer(f"index{i}", idx, persistent=False)
        self.bias = nn.Parameter(torch.zeros(len(self.table)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = []
        for i, (a, b, _fan_in) in enumerate(self._runs):
            w = getattr(self, f"weight{i}")
            idx = getattr(self, f"index{i}")
            outs.append(F.conv2d(x.index_select(1, idx), w, groups=b - a))
        return torch.cat(outs, 1) + self.bias.view(1, -1, 1, 1)

    def count_macs(self, inputs, output) -> int:
        n, _c, h, w = output.shape
        taps = sum(len(t) for t in self.table) * self.kernel_size ** 2
        return int(n * h * w * taps)


class RBFOutput(nn.Module):
    """LeNet-5's output layer: y_i = sum_j (x_j - w_ij)^2 with fixed codes w_i in {-1, +1}^84.

    The paper drew the codes as 7x12 bitmaps of the characters; here they are fixed pseudo-
    random +-1 codes (seed 0). They are a buffer, not parameters: the paper kept them fixed.
    ``forward`` returns ``-y`` so that the output can be used as logits (closest code wins).
    """

    def __init__(self, in_features: int = 84, classes: int = 10, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        codes = torch.randint(0, 2, (classes, in_features), generator=g, device="cpu")
        codes = codes.float() * 2 - 1
        # computed on the CPU, then moved to where the model is being built (the meta
        # device for shape-only skeletons, where arithmetic would pull in torch._dynamo)
        self.register_buffer("codes", codes.to(torch.empty(0).device))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d = (x.unsqueeze(1) - self.codes.unsqueeze(0)).pow(2).sum(-1)
        return -d

    def count_macs(self, inputs, output) -> int:
        return int(output.numel() * self.codes.shape[1])


class LeNet5(nn.Module):
    """LeNet-5 as in LeCun, Bottou, Bengio & Haffner (1998): 32x32x1 input, scaled tanh,
    trainable subsampling, partial C3, C5 as a 5x5 conv to 120 maps, F6 84, RBF output.
    60,000 trainable parameters."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5),          # C1: 32x32x1 -> 28x28x6      156 params
            ScaledTanh(),
            Subsampling(6),              # S2: -> 14x14x6               12
            ScaledTanh(),
            PartialConv(),               # C3: -> 10x10x16            1,516
            ScaledTanh(),
            Subsampling(16),             # S4: -> 5x5x16                32
            ScaledTanh(),
            nn.Conv2d(16, 120, 5),       # C5: -> 1x1x120            48,120
            ScaledTanh(),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(120, 84),          # F6                         10,164
            ScaledTanh(),
            RBFOutput(84, num_classes),  # fixed codes, 0 trainable
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class LeNet5Modern(nn.Module):
    """LeNet-5 as the course draws it today: ReLU, max pooling, fully connected layers and a
    softmax output (apply softmax / cross-entropy outside). 61,706 parameters."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5),      # 28x28x6      156
            nn.ReLU(),
            nn.MaxPool2d(2, 2),      # 14x14x6
            nn.Conv2d(6, 16, 5),     # 10x10x16   2,416
            nn.ReLU(),
            nn.MaxPool2d(2, 2),      # 5x5x16 = 400
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(400, 120),     #           48,120
            nn.ReLU(),
            nn.Linear(120, 84),      #           10,164
            nn.ReLU(),
            nn.Linear(84, num_classes),  #          850
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


# ---------------------------------------------------------------------------------------
# MobileNet v1
# ---------------------------------------------------------------------------------------


class DepthwiseSeparable(nn.Module):
    """Depthwise 3x3 conv (one filter per channel) + BN + ReLU, then pointwise 1x1 conv
    (mixes channels) + BN + ReLU: MobileNet v1's building block."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.depthwise = nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False)
        self.bn1 = nn.BatchNorm2d(cin)
        self.relu1 = nn.ReLU(inplace=True)
        self.pointwise = nn.Conv2d(cin, cout, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu2 = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu1(self.bn1(self.depthwise(x)))
        return self.relu2(self.bn2(self.pointwise(x)))


#: (output channels, stride) of MobileNet v1's 13 depthwise separable blocks (Howard et al.
#: 2017, Table 1).
MOBILENET_V1_BLOCKS: tuple[tuple[int, int], ...] = (
    (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
    (512, 1), (512, 1), (512, 1), (512, 1), (512, 1),
    (1024, 2), (1024, 1),
)


class MobileNetV1(nn.Module):
    """MobileNet v1 (Howard et al. 2017): a 3x3 stride-2 conv then 13 depthwise separable
    blocks, global average pooling and a fully connected classifier. Width multiplier
    ``alpha`` scales every channel count. alpha=1, 1000 classes: 4,231,976 parameters."""

    def __init__(self, num_classes: int = 1000, alpha: float = 1.0, in_channels: int = 3):
        super().__init__()

        def ch(c: int) -> int:
            return max(8, int(round(c * alpha)))

        layers: list[nn.Module] = [
            nn.Sequential(
                nn.Conv2d(in_channels, ch(32), 3, 2, 1, bias=False),
                nn.BatchNorm2d(ch(32)),
                nn.ReLU(inplace=True),
            )
        ]
        cin = ch(32)
        for cout, stride in MOBILENET_V1_BLOCKS:
            layers.append(DepthwiseSeparable(cin, ch(cout), stride))
            cin = ch(cout)
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(cin, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


# ---------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchInfo:
    """One buildable network: display title, year, default input size (C, H, W), the
    torchvision weights enum name holding its ImageNet metadata (None when torchvision has
    no weights for it) and a one-line idea from the notes."""

    name: str
    title: str
    year: int
    input_size: tuple[int, int, int]
    weights_enum: str | None
    idea: str
    family: str


def _tv(fn_name: str, **kwargs) -> Callable[[], nn.Module]:
    def make() -> nn.Module:
        import torchvision.models as tvm

        return getattr(tvm, fn_name)(weights=None, **kwargs)

    return make


_EFF_RES = {0: 224, 1: 240, 2: 260, 3: 300, 4: 380, 5: 456, 6: 528, 7: 600}

ARCHITECTURES: dict[str, ArchInfo] = {
    "lenet5": ArchInfo("lenet5", "LeNet-5 (1998)", 1998, (1, 32, 32), None,
                       N_("CONV + AVG POOL twice, then FC; tanh and an RBF output"), "LeNet"),
    "lenet5_modern": ArchInfo("lenet5_modern", N_("LeNet-5 (modern)"), 1998, (1, 32, 32), None,
                              N_("the same layout with ReLU, max pooling and softmax"), "LeNet"),
    "alexnet": ArchInfo("alexnet", "AlexNet", 2012, (3, 224, 224), "AlexNet_Weights",
                        N_("a deeper LeNet: CONV + MAX POOL, ReLU, FC, softmax over 1000"), "AlexNet"),
    "vgg16": ArchInfo("vgg16", "VGG-16", 2014, (3, 224, 224), "VGG16_Weights",
                      N_("only 3x3 s=1 same convs and 2x2 s=2 max pools"), "VGG"),
    "resnet18": ArchInfo("resnet18", "ResNet-18", 2015, (3, 224, 224), "ResNet18_Weights",
                         N_("residual blocks: a[l+2] = g(z[l+2] + a[l])"), "ResNet"),
    "resnet34": ArchInfo("resnet34", "ResNet-34", 2015, (3, 224, 224), "ResNet34_Weights",
                         N_("residual blocks: a[l+2] = g(z[l+2] + a[l])"), "ResNet"),
    "resnet50": ArchInfo("resnet50", "ResNet-50", 2015, (3, 224, 224), "ResNet50_Weights",
                         N_("bottleneck residual blocks (1x1, 3x3, 1x1)"), "ResNet"),
    "googlenet": ArchInfo("googlenet", "GoogLeNet (Inception v1)", 2014, (3, 224, 224),
                          "GoogLeNet_Weights",
                          N_("inception modules: 1x1, 3x3, 5x5 convs and pooling side by side"),
                          "Inception"),
    "mobilenet_v1": ArchInfo("mobilenet_v1", "MobileNet v1", 2017, (3, 224, 224), None,
                             N_("depthwise separable convolutions"), "MobileNet"),
    "mobilenet_v2": ArchInfo("mobilenet_v2", "MobileNetV2", 2018, (3, 224, 224),
                             "MobileNet_V2_Weights",
                             N_("inverted residuals: expand, depthwise, project + skip"),
                             "MobileNet"),
}
for _k, _r in _EFF_RES.items():
    ARCHITECTURES[f"efficientnet_b{_k}"] = ArchInfo(
        f"efficientnet_b{_k}", f"EfficientNet-B{_k}", 2019, (3, _r, _r),
        f"EfficientNet_B{_k}_Weights",
        N_("compound scaling of depth, width and resolution"), "EfficientNet")

_BUILDERS: dict[str, Callable[[], nn.Module]] = {
    "lenet5": LeNet5,
    "lenet5_modern": LeNet5Modern,
    "alexnet": _tv("alexnet"),
    "vgg16": _tv("vgg16"),
    "resnet18": _tv("resnet18"),
    "resnet34": _tv("resnet34"),
    "resnet50": _tv("resnet50"),
    # aux classifiers are training-time side branches; init_weights=False skips the slow
    # truncated-normal init (the net is untrained either way)
    "googlenet": _tv("googlenet", aux_logits=False, init_weights=False),
    "mobilenet_v1": MobileNetV1,
    "mobilenet_v2": _tv("mobilenet_v2"),
    **{f"efficientnet_b{k}": _tv(f"efficientnet_b{k}") for k in range(8)},
}

NAMES: tuple[str, ...] = tuple(ARCHITECTURES)


def input_size(name: str) -> tuple[int, int, int]:
    """The (C, H, W) input the network was designed for."""
    return ARCHITECTURES[_key(name)].input_size


def _key(name: str) -> str:
    key = name.strip().lower().replace("-", "_")
    aliases = {"lenet": "lenet5", "lenet_5": "lenet5", "vgg": "vgg16", "inception": "googlenet",
               "inception_v1": "googlenet", "mobilenet": "mobilenet_v1",
               "mobilenetv1": "mobilenet_v1", "mobilenetv2": "mobilenet_v2"}
    key = aliases.get(key, key)
    if key not in _BUILDERS:
        raise ValueError(f"unknown architecture {name!r}; choose one of: {', '.join(NAMES)}")
    return key


def build(name: str, device: str | torch.device | None = None) -> nn.Module:
    """Build the untrained network ``name`` (see ``NAMES``), in eval mode.

    ``device="meta"`` builds a skeleton without allocating or initialising weights: shapes,
    parameter counts and ``summarize`` work on it instantly even for VGG-16 or
    EfficientNet-B7, but it cannot compute numbers.
    """
    make = _BUILDERS[_key(name)]
    if device is not None and torch.device(device).type == "meta":
        with torch.device("meta"):
            model = make()
    else:
        model = make()
        if device is not None:
            model = model.to(device)
    return model.eval()
