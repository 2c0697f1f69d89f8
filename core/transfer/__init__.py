"""Transfer learning: reuse what an ImageNet network learnt for classes of your own.

* :mod:`.head` — features of a frozen backbone once per picture (:class:`FeatureCache`), a
  linear head trained on them (:func:`train_head`, an iterator of snapshots), the frame function
  :func:`classify_frame`, and pictures the lab ships for a class (:func:`bundled`).
* :mod:`.regimes` — the notes' three regimes (freeze all but the classifier; freeze early,
  fine-tune later; from scratch) measured on scikit-image's ``lfw_subset`` against the number of
  training pictures per class.
"""
from .head import (BUNDLED, COLOURS, HEX, MAX_CLASSES, MIN_CLASSES, FeatureCache, Head, HeadSnapshot,
                   bundled, check_classes, classify_frame, draw_probabilities, fit_head, model_features,
                   picture_key, train_head)

__all__ = ["BUNDLED", "COLOURS", "HEX", "MAX_CLASSES", "MIN_CLASSES", "FeatureCache", "Head", "HeadSnapshot",
           "bundled", "check_classes", "classify_frame", "draw_probabilities", "fit_head", "model_features",
           "picture_key", "train_head"]
