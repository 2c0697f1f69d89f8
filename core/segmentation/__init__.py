"""Semantic segmentation: a U-Net built, trained and explained.

- :mod:`.unet` — ``UNet(in_channels, num_classes, base, depth)`` (output H×W = input H×W) and
  ``shapes(input_size)``, the tensor shape at every block;
- :mod:`.data` — generated scenes (circles, squares, triangles on textured backgrounds) with
  per-pixel masks, overlays;
- :mod:`.metrics` — pixel accuracy, per-class IoU, mean IoU, Dice;
- :mod:`.train` — the training loop as an iterator of :class:`core.snapshots.Snapshot`, and
  ``transfer_encoder`` (start from a trained U-Net's encoder);
- :mod:`.infer` — the bundled U-Net, ``segment_frame`` (the live-mode frame function, for every
  kind of model), ``choose_work_side``, the skip studies;
- :mod:`.photo` — torchvision's VOC segmenters (LR-ASPP, DeepLabV3) and YOLO11n-seg as class maps;
- :mod:`.show` — pictures of activations and of fixed up-sampling filters, for the page.
"""
from .data import CLASSES, PALETTE
from .unet import UNet, shapes

__all__ = ["CLASSES", "PALETTE", "UNet", "shapes"]
