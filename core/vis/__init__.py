"""Looking inside networks: layer visualization, saliency, attribution and optimisation-based
pictures.

:mod:`core.vis.ascent` holds the one gradient-ascent machinery (objectives, transforms, the
loop, tiling, the layer catalogue read from the zoo entries) that DeepDream (:mod:`core.dream`)
builds on, and Lucid's pieces (Fourier parameterisation, robustness transforms, the
:func:`render` loop) that the class / channel visualizations and feature inversion use.
"""
from .ascent import (CATALOGUE, OUTPUT, AscentState, LayerInfo, Net, Objective, activations,
                     as_net, ascend, channel, class_logit, dream_objective, gradient, guided,
                     layer_catalogue, layer_l2, neuron, resolve_layer, roll, jitter, random_crop, pad,
                     random_scale, smooth_gradient, normalised_step, to_image, to_tensor,
                     l2_penalty, tv_penalty, FourierImage, PixelImage, Parameterisation, render,
                     robust, random_rotate, decorrelate_colour)

__all__ = ["CATALOGUE", "OUTPUT", "AscentState", "LayerInfo", "Net", "Objective", "activations",
           "as_net", "ascend", "channel", "class_logit", "dream_objective", "gradient", "guided",
           "layer_catalogue", "layer_l2", "neuron", "resolve_layer", "roll", "jitter", "random_crop",
           "pad", "random_scale", "smooth_gradient", "normalised_step", "to_image", "to_tensor",
           "l2_penalty", "tv_penalty", "FourierImage", "PixelImage", "Parameterisation", "render",
           "robust", "random_rotate", "decorrelate_colour"]
