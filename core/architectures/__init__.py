"""Classic CNN architectures (course notes 004): builders, layer summaries, cost
calculators, the residual experiment, data augmentation and LeNet-5 on digits.

No Streamlit here: everything works from a notebook or a CLI.

    >>> from core.architectures import build, summarize
    >>> s = summarize(build("resnet50"), (3, 224, 224))
    >>> s.total_params
    25557032
"""

from .augment import (AUGMENTATIONS, augment, color_shift, gallery, local_warp, mirror,
                      pca_color, pca_color_basis, random_crop, rotate, shear)
from .builders import (ARCHITECTURES, C3_TABLE, NAMES, ArchInfo, DepthwiseSeparable, LeNet5,
                       LeNet5Modern, MobileNetV1, build, input_size)
from .compare import comparison_table, weights_meta
from .costs import (ALPHA, BETA, EFFICIENTNET_CONFIGS, GAMMA, INCEPTION_3A, BottleneckCost,
                    InceptionBranch, SeparableCost, bottleneck_cost, compound_scaling,
                    conv_macs, conv_params, depthwise_separable_cost, implied_phi,
                    inception_module, inverted_residual, separable_blocks)
from .diagrams import RESIDUAL_BLOCK_DOT, inception_dot, inverted_residual_dot, residual_block_dot
from .lenet import (DigitsData, LeNetSnapshot, confusion_matrix, digit_image, digits_dataset,
                    misclassified, predict, to_lenet_input, train_lenet_digits)
from .residual import (DeepNet, ResidualSnapshot, demo_activation, digits_8x8, gradient_norms,
                       identity_demo, residual_experiment)
from .summary import LayerRow, Summary, layer_macs, shape_trace, summarize, to_dot

__all__ = [
    "ALPHA", "ARCHITECTURES", "AUGMENTATIONS", "ArchInfo", "BETA", "BottleneckCost",
    "C3_TABLE", "DeepNet", "DepthwiseSeparable", "DigitsData", "EFFICIENTNET_CONFIGS",
    "GAMMA", "INCEPTION_3A", "InceptionBranch", "LayerRow", "LeNet5", "LeNet5Modern",
    "LeNetSnapshot", "MobileNetV1", "NAMES", "ResidualSnapshot", "SeparableCost", "Summary",
    "augment", "bottleneck_cost", "build", "color_shift", "comparison_table",
    "compound_scaling", "confusion_matrix", "conv_macs", "conv_params",
    "depthwise_separable_cost", "digits_8x8", "digits_dataset", "gallery", "gradient_norms",
    "identity_demo", "implied_phi", "inception_module", "input_size", "inverted_residual",
    "layer_macs", "local_warp", "mirror", "misclassified", "pca_color", "pca_color_basis",
    "predict", "random_crop", "residual_experiment", "rotate", "shape_trace", "shear",
    "summarize", "to_dot", "to_lenet_input", "train_lenet_digits", "weights_meta",
    "RESIDUAL_BLOCK_DOT", "residual_block_dot", "demo_activation", "digit_image", "inception_dot",
    "inverted_residual_dot", "separable_blocks",
]
