"""The layer groups of the zoo's ImageNet classifiers: the dream-able layers with a hint of what
each depth shows, named as the notes name them (``block5_conv3`` for VGG-16) or as the module
reads (``blocks[4]`` for EfficientNet-Lite0), and the two each page starts from. The CAM layer
of each network (its last convolutional stage) is given with its entry."""
from __future__ import annotations

import re

from .meta import LayerGroups, LayerInfo


def table(rows: str, *, high: str, low: str) -> LayerGroups:
    """Layer groups from a text table, one layer a line, shallow to deep; columns two or more
    spaces apart: shown name, module path, stride (input px per position), hint."""
    infos = []
    for line in rows.strip().splitlines():
        name, module, stride, hint = re.split(r"\s{2,}", line.strip(), maxsplit=3)
        infos.append(LayerInfo(name, module, int(stride), hint))
    return LayerGroups(tuple(infos), high=high, low=low)


LITE0 = table("""
    stem          bn1          2   colour noise and fine grain
    blocks[0]     blocks.0     2   edges and colour fringes
    blocks[1]     blocks.1     4   braids, stripes and fine zig-zags
    blocks[2]     blocks.2     8   swirls, scales and honeycomb textures
    blocks[3]     blocks.3     16  rings, eyes and repeating ornaments
    blocks[4]     blocks.4     16  eyes, dog faces and animal parts — the classic look
    blocks[5]     blocks.5     32  fur, feathers and animal bodies
    blocks[6]     blocks.6     32  object parts blended into a texture
    conv_head     bn2          32  whole-object impressions, mostly texture soup
""", high="blocks[4]", low="blocks[1]")

VGG16 = table("""
    block1_conv1  features.1   1   colour and single-pixel edges
    block1_conv2  features.3   1   fine edges and colour noise
    block2_conv1  features.6   2   short strokes and grain
    block2_conv2  features.8   2   strokes and small dots
    block3_conv1  features.11  4   braids and fine stripes
    block3_conv2  features.13  4   zig-zags and little loops
    block3_conv3  features.15  4   mesh, scales and swirls
    block4_conv1  features.18  8   swirls and rings
    block4_conv2  features.20  8   eyes and spirals
    block4_conv3  features.22  8   eyes, arches and animal textures
    block5_conv1  features.25  16  animal parts: eyes, snouts, legs
    block5_conv2  features.27  16  dog and bird faces
    block5_conv3  features.29  16  dog faces, birds and buildings — high level
""", high="block5_conv2", low="block3_conv1")
