"""Embeddings: vectors that keep similarity while being far smaller than the picture.

Modules (import what you need; nothing heavy happens on import):

- :mod:`losses`  — ``triplet_loss`` (the notes' formula), ``contrastive_loss``, cross-entropy.
- :mod:`mining`  — all / hard / semi-hard triplets inside a batch (FaceNet's definitions).
- :mod:`train`   — train an embedding net on scikit-learn's digits with each route, as an
  iterator of :class:`core.snapshots.Snapshot`.
- :mod:`metrics` — verification ROC/AUC and accuracy at a threshold, identification top-1
  over a gallery (and how it falls as the gallery grows), recall@k.
- :mod:`project` — PCA, t-SNE and UMAP to 2-D/3-D, with a UMAP warm-up.
- :mod:`faces`   — dlib/OpenCV face detection, 68/5-point landmarks, aligned crops and
  128-D descriptors; ``recognize_frame`` for live recognition.
"""
