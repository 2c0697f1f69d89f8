"""Looking inside networks: layer visualization, saliency, attribution and optimisation-based
pictures.

:mod:`core.vis.ascent` holds the one gradient-ascent machinery (objectives, transforms, the
loop, tiling, the layer catalogue read from the zoo entries) that DeepDream (:mod:`core.dream`)
and the class / channel visualizations build on.
"""
from .ascent import (CATALOGUE, OUTPUT, AscentState, LayerInfo, Net, Objective, activations,
                     as_net, ascend, channel, class_logit, dream_objective, gradient, guided,
                     layer_catalogue, layer_l2, neuron, resolve_layer, roll, jitter, random_crop, pad,
                     random_scale, smooth_gradient, normalised_step, to_image, to_tensor,
                     l2_penalty, tv_penalty)

__all__ = ["CATALOGUE", "OUTPUT", "AscentState", "LayerInfo", "Net", "Objective", "activations",
           "as_net", "ascend", "channel", "class_logit", "dream_objective", "gradient", "guided",
           "layer_catalogue", "layer_l2", "neuron", "resolve_layer", "roll", "jitter", "random_crop",
           "pad", "random_scale", "smooth_gradient", "normalised_step", "to_image", "to_tensor",
           "l2_penalty", "tv_penalty"]
