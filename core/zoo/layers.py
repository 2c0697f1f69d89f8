"""The layer groups of the zoo's ImageNet classifiers: the dream-able layers with a hint of what
each depth shows, named as the notes name them (``block5_conv3`` for VGG-16) or as the module
reads (``blocks[4]`` for EfficientNet-Lite0), and the two each page starts from. The CAM layer
of each network (its last convolutional stage) is given with its entry.

The hints are what visitors read: each is marked ``N_`` (Babel extracts it) and stays English
here; the page shows it in the visitor's language (``dashboard.i18n.tr``)."""
from __future__ import annotations

from typing import Iterable

from core.i18n import N_

from .meta import LayerGroups, LayerInfo


def table(rows: Iterable[tuple[str, str, int, str]], *, high: str, low: str) -> LayerGroups:
    """Layer groups from a table, one layer a row, shallow to deep: shown name, module path,
    stride (input px per position), hint (marked ``N_``)."""
    infos = tuple(LayerInfo(name, module, int(stride), hint) for name, module, stride, hint in rows)
    return LayerGroups(infos, high=high, low=low)


LITE0 = table([
    ("stem",         "bn1",          2,  N_("colour noise and fine grain")),
    ("blocks[0]",    "blocks.0",     2,  N_("edges and colour fringes")),
    ("blocks[1]",    "blocks.1",     4,  N_("braids, stripes and fine zig-zags")),
    ("blocks[2]",    "blocks.2",     8,  N_("swirls, scales and honeycomb textures")),
    ("blocks[3]",    "blocks.3",     16, N_("rings, eyes and repeating ornaments")),
    ("blocks[4]",    "blocks.4",     16, N_("eyes, dog faces and animal parts — the classic look")),
    ("blocks[5]",    "blocks.5",     32, N_("fur, feathers and animal bodies")),
    ("blocks[6]",    "blocks.6",     32, N_("object parts blended into a texture")),
    ("conv_head",    "bn2",          32, N_("whole-object impressions, mostly texture soup")),
], high="blocks[4]", low="blocks[1]")

VGG16 = table([
    ("block1_conv1", "features.1",   1,  N_("colour and single-pixel edges")),
    ("block1_conv2", "features.3",   1,  N_("fine edges and colour noise")),
    ("block2_conv1", "features.6",   2,  N_("short strokes and grain")),
    ("block2_conv2", "features.8",   2,  N_("strokes and small dots")),
    ("block3_conv1", "features.11",  4,  N_("braids and fine stripes")),
    ("block3_conv2", "features.13",  4,  N_("zig-zags and little loops")),
    ("block3_conv3", "features.15",  4,  N_("mesh, scales and swirls")),
    ("block4_conv1", "features.18",  8,  N_("swirls and rings")),
    ("block4_conv2", "features.20",  8,  N_("eyes and spirals")),
    ("block4_conv3", "features.22",  8,  N_("eyes, arches and animal textures")),
    ("block5_conv1", "features.25",  16, N_("animal parts: eyes, snouts, legs")),
    ("block5_conv2", "features.27",  16, N_("dog and bird faces")),
    ("block5_conv3", "features.29",  16, N_("dog faces, birds and buildings — high level")),
], high="block5_conv2", low="block3_conv1")
