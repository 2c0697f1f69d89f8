"""Embeddings benchmark: dlib descriptors per second; UMAP and t-SNE on 5,000×128 through
``core.embeddings.project`` vs calling umap-learn / scikit-learn directly (overhead ratio,
target ≤ 1.05). Also prints LFW and full-ORL verification/identification numbers.

    python -m bench.bench_embeddings [--n 5000] [--skip-tsne]
"""
from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import sys

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import best  # noqa: E402


def _shared() -> Path:
    here = Path(__file__).resolve().parents[1]
    for c in (here.parent / "shared" / "data", here.parent.parent / "shared" / "data"):
        if (c / "SOURCES.md").exists():
            return c
    raise SystemExit("../shared/data not found")


def bench_descriptors(n: int = 40) -> None:
    from core import images
    from core.embeddings import faces as F

    t0 = time.perf_counter()
    m = F.load_face_models()
    print(f"face models loaded in {time.perf_counter() - t0:.2f} s")
    paths = sorted((_shared() / "faces" / "lfw_small").rglob("*.jpg"))[:n]
    imgs = [images.load_image(p) for p in paths]
    boxes = [F.detect(im, "hog", 0, models=m) for im in imgs]
    t0 = time.perf_counter()
    for im in imgs:
        F.detect(im, "hog", 0, models=m)
    det = (time.perf_counter() - t0) / len(imgs)
    t0 = time.perf_counter()
    k = 0
    for im, b in zip(imgs, boxes):
        if b:
            F.embed_face_in_box(im, b[0][0], models=m)
            k += 1
    emb = (time.perf_counter() - t0) / max(k, 1)
    print(f"HOG detection (250×250): {det * 1000:.1f} ms/image; landmarks+align+descriptor: "
          f"{emb * 1000:.1f} ms/face = {1 / emb:.1f} descriptors/s")


def bench_faces_quality() -> None:
    from core import images
    from core.embeddings import faces as F, metrics

    for name, up in (("lfw_small", 0), ("orl", 1)):
        desc, labels = [], []
        for p in sorted(q for q in (_shared() / "faces" / name).rglob("*") if q.suffix in (".jpg", ".pgm")):
            img = images.load_image(p)
            f = F.central_face(F.embed_faces(img, upsample=up, min_score=-0.5), img.shape) or \
                F.central_face(F.embed_faces(img, upsample=up + 1, min_score=-0.5), img.shape)
            if f is None:
                h, w = img.shape[:2]
                f = F.embed_face_in_box(img, (0, 0, w, h) if max(h, w) < 150 else (w // 4, h // 4, 3 * w // 4, 3 * h // 4))
            desc.append(f.descriptor)
            labels.append(p.parent.name)
        d, same = metrics.pair_distances(np.array(desc), np.array(labels))
        r = metrics.rates_at(d, same, 0.6)
        print(f"{name}: {len(desc)} faces, accuracy@0.6 {r['accuracy']:.4f}, TAR {r['TAR']:.4f}, "
              f"FAR {r['FAR']:.4f}, AUC {metrics.roc(d, same).auc:.4f}, one-shot top-1 "
              f"{metrics.one_shot_top1(np.array(desc), np.array(labels), trials=10):.4f}")


def _best(fn, repeat: int) -> float:
    return best(fn, repeat, warmup=False)


def bench_projection(n: int, skip_tsne: bool, repeat: int) -> None:
    from core.embeddings import project

    x = np.random.default_rng(0).normal(size=(n, 128)).astype(np.float32)
    t0 = time.perf_counter()
    project.warm_up_umap(block=True)
    warm = time.perf_counter() - t0
    print(f"UMAP warm-up (numba compile, or load from the lab's cache {project.numba_cache_dir()}): "
          f"{warm:.1f} s (the app does this at server start and `cnnlab prefetch` at install; "
          "target: no compile wait in the app)")
    import umap

    def direct_umap():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            umap.UMAP(n_components=2, n_neighbors=15, random_state=0, init="spectral").fit_transform(x)

    ours = _best(lambda: project.project(x, "umap", 2), repeat)
    ref = _best(direct_umap, repeat)
    print(f"UMAP {n}×128: core {ours:.2f} s, umap-learn {ref:.2f} s, ratio {ours / ref:.3f} "
          f"(target ≤ 1.1: {'OK' if ours / ref <= 1.1 else 'above target'})")
    if not skip_tsne:
        from sklearn.manifold import TSNE

        ours = _best(lambda: project.project(x, "tsne", 2), 1)
        ref = _best(lambda: TSNE(n_components=2, perplexity=30.0, init="pca", random_state=0,
                                 learning_rate="auto").fit_transform(x), 1)
        print(f"t-SNE {n}×128: core {ours:.2f} s, scikit-learn {ref:.2f} s, ratio {ours / ref:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--skip-tsne", action="store_true")
    ap.add_argument("--skip-quality", action="store_true")
    a = ap.parse_args()
    bench_descriptors()
    if not a.skip_quality:
        bench_faces_quality()
    bench_projection(a.n, a.skip_tsne, a.repeat)


if __name__ == "__main__":
    main()
