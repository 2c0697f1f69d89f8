"""What several segmentation tabs share: the bundled U-Net."""
from __future__ import annotations

from dashboard.widgets import model_or_error


def bundled_or_error():
    """The bundled U-Net from the shared model cache (zoo entry "unet-shapes"), or None after
    showing why it could not be had."""
    return model_or_error("unet-shapes")
