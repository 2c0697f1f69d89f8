"""Embeddings and faces: losses, mining, a trained digits embedding, dlib on LFW and ORL."""
from __future__ import annotations

import time

import numpy as np
import pytest

from core import images
from core.embeddings import faces as F
from core.embeddings import losses, metrics, mining, project


# ----------------------------------------------------------------------------- losses


def test_triplet_loss_matches_the_worked_example():
    rows = {r["negative"]: r for r in losses.worked_example()}
    assert rows["easy"]["d(A,P)"] == pytest.approx(0.08)
    assert rows["easy"]["d(A,N)"] == pytest.approx(0.80)
    assert rows["easy"]["loss"] == pytest.approx(0.0)
    assert rows["semi-hard"]["d(A,N)"] == pytest.approx(0.25)
    assert rows["semi-hard"]["loss"] == pytest.approx(0.03)
    assert rows["hard"]["d(A,N)"] == pytest.approx(0.02)
    assert rows["hard"]["loss"] == pytest.approx(0.26)


def test_triplet_loss_is_the_batch_mean_of_squared_distance_hinges():
    a = np.array([[0.0, 0.0], [1.0, 1.0]])
    p = np.array([[1.0, 0.0], [1.0, 2.0]])      # d(A,P)² = 1, 1
    n = np.array([[0.0, 3.0], [1.0, 1.5]])      # d(A,N)² = 9, 0.25
    # max(0, 1 - 9 + 0.5) = 0; max(0, 1 - 0.25 + 0.5) = 1.25; mean = 0.625
    assert losses.triplet_loss(a, p, n, 0.5) == pytest.approx(0.625)


def test_contrastive_loss_hand_computed():
    x1 = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    x2 = np.array([[0.3, 0.4], [0.3, 0.4], [1.2, 1.6]])   # d = 0.5, 0.5, 2.0
    same = [1, 0, 0]
    # same: 0.25; different within margin 1: (1-0.5)² = 0.25; different beyond margin: 0
    assert losses.contrastive_loss(x1, x2, same, margin=1.0) == pytest.approx(0.5 / 3)


def test_torch_and_numpy_losses_agree():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a, p, n = (rng.normal(size=(16, 8)) for _ in range(3))
    ta, tp, tn = (torch.tensor(v) for v in (a, p, n))
    assert float(losses.triplet_loss(ta, tp, tn, 0.3)) == pytest.approx(losses.triplet_loss(a, p, n, 0.3))
    same = rng.integers(0, 2, 16)
    assert float(losses.contrastive_loss(ta, tp, torch.tensor(same), 2.0)) == \
        pytest.approx(losses.contrastive_loss(a, p, same, 2.0))


# ----------------------------------------------------------------------------- mining


@pytest.mark.parametrize("seed", range(12))
def test_semi_hard_miner_returns_only_semi_hard_triplets(seed):
    rng = np.random.default_rng(seed)
    emb = rng.normal(size=(48, 6)) * rng.uniform(0.1, 0.6)
    labels = rng.integers(0, 5, 48)
    margin = float(rng.uniform(0.05, 0.5))
    d = mining.pairwise_squared(emb)
    for per_pair in ("nearest", "all"):
        t = mining.mine(emb, labels, "semi-hard", margin, per_pair=per_pair)
        assert len(t) > 0
        a, p, n = t.T
        assert (labels[a] == labels[p]).all() and (a != p).all() and (labels[a] != labels[n]).all()
        assert (d[a, p] < d[a, n]).all() and (d[a, n] < d[a, p] + margin).all()
    # "all" finds exactly the semi-hard triplets among all valid ones
    every = mining.all_triplets(labels)
    kinds = mining.classify_triplets(emb, every, margin)
    assert len(mining.mine(emb, labels, "semi-hard", margin, per_pair="all")) == \
        int((kinds == "semi-hard").sum())


def test_hard_miner_takes_nearest_negative_and_farthest_positive():
    emb = np.array([[0.0], [1.0], [3.0], [0.5], [4.0]])
    labels = np.array([0, 0, 0, 1, 1])
    t = mining.mine(emb, labels, "hard", 0.2)
    assert tuple(t[0]) == (0, 2, 3)   # anchor 0: farthest positive 2, nearest negative 3


# ----------------------------------------------------------------------------- metrics


def test_recall_and_roc_on_a_toy_set():
    emb = np.array([[0.0], [0.1], [5.0], [5.2], [0.15]])
    labels = np.array([0, 0, 1, 1, 1])
    r = metrics.recall_at_k(emb, labels, (1, 2))
    # nearest: 0→1 ✓, 1→4 ✗, 2→3 ✓, 3→2 ✓, 4→1 ✗; two nearest of 4 are 1 and 0, both label 0
    assert r[1] == pytest.approx(3 / 5) and r[2] == pytest.approx(4 / 5)
    d, same = metrics.pair_distances(emb, labels)
    assert 0.0 < metrics.roc(d, same).auc < 1.0
    assert metrics.false_match_curve(0.01, [1, 100])[1] == pytest.approx(1 - 0.99 ** 99)


# ----------------------------------------------------------------------------- digits


def test_digits_triplet_embedding_recall_at_1():
    from core.embeddings import train

    last = None
    for last in train.train("triplet", "semi-hard", steps=200, every=100):
        pass
    data = train.load_digits_split()
    emb = train.embed_numpy(last.info["model"], data.x_test)
    r1 = metrics.recall_at_k(emb, data.y_test, (1,))[1]
    print(f"digits triplet (semi-hard) recall@1 on {len(emb)} held-out digits: {r1:.3f}")
    assert r1 >= 0.95
    assert last.image is not None and last.info["xy"].shape == (300, 2)
    assert 0.0 <= last.info["active"] <= 1.0


def test_projection_shapes_and_fallback():
    x = np.random.default_rng(0).normal(size=(60, 16))
    y, used, _ = project.project(x, "pca", 3)
    assert y.shape == (60, 3) and used == "pca"
    with pytest.raises(ValueError):
        project.project(x, "isomap", 2)
    aligned = project.align_to(-y[:, :2] * 3.0, y[:, :2], scale=True)   # a flipped, scaled copy comes back
    assert np.allclose(aligned, y[:, :2], atol=1e-8)


# ----------------------------------------------------------------------------- faces


def test_jitted_functions_without_a_cache_get_one_in_the_labs_folder(tmp_path, monkeypatch):
    """umap-learn leaves smooth_knn_dist, fast_knn_indices, … uncached (a 20-s compile in every
    process); cache_jitted turns numba's disk cache on for such functions, in a folder of the
    lab's, and leaves the ones that have a cache alone. Shown on a module made here (importing
    umap-learn in a fresh environment costs ~20 s of compiling)."""
    import sys
    import types

    import numba

    fake = types.ModuleType("cnnlab_fake_jit")
    fake.plain = numba.njit(lambda x: x + 1)
    fake.cached = numba.njit(cache=True)(lambda x: x * 2)
    kept = fake.cached._cache
    monkeypatch.setitem(sys.modules, "cnnlab_fake_jit", fake)
    monkeypatch.setattr(numba.config, "CACHE_DIR", numba.config.CACHE_DIR)
    assert project.cache_jitted(tmp_path, ("cnnlab_fake_",)) == 1
    assert type(fake.plain._cache).__name__ == "FunctionCache"
    assert fake.cached._cache is kept
    assert project.cache_jitted(tmp_path, ("cnnlab_fake_",)) == 0   # all have one now
    assert fake.plain(2) == 3 and list(tmp_path.rglob("*.nbi"))      # compiled and saved there


def test_embed_faces_finds_the_astronauts_face():
    img = images.load_sample("astronaut")
    faces = F.embed_faces(img)
    assert len(faces) == 1, [f.box for f in faces]
    x0, y0, x1, y1 = faces[0].box
    # Eileen Collins' face is in the upper middle of the 512×512 portrait
    assert 150 < (x0 + x1) / 2 < 290 and 60 < (y0 + y1) / 2 < 180
    assert faces[0].descriptor.shape == (128,) and faces[0].landmarks.shape == (68, 2)
    assert faces[0].chip.shape == (150, 150, 3)
    flipped = F.embed_faces(img[:, ::-1].copy())[0]
    assert F.face_distance(faces[0].descriptor, flipped.descriptor) < 0.4


_CACHE: dict[str, tuple[np.ndarray, np.ndarray, int]] = {}


def _descriptors(folder, upsample: int, per_person: int | None = None):
    key = f"{folder}:{per_person}"
    if key not in _CACHE:
        paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".jpg", ".pgm", ".png"))
        if per_person:
            by = {}
            for p in paths:
                by.setdefault(p.parent.name, []).append(p)
            paths = [p for v in by.values() for p in sorted(v, key=lambda q: int(q.stem) if q.stem.isdigit() else q.stem)[:per_person]]
        desc, labels, missed = [], [], 0
        m = F.load_face_models()
        t0 = time.perf_counter()
        for p in paths:
            img = images.load_image(p)
            face = F.central_face(F.embed_faces(img, upsample=upsample, min_score=-0.5, models=m),
                                  img.shape)
            if face is None:   # small faces: look again at twice the size
                face = F.central_face(F.embed_faces(img, upsample=upsample + 1, min_score=-0.5,
                                                    models=m), img.shape)
            if face is None:   # a cropped dataset: the face fills the middle of the frame
                missed += 1
                h, w = img.shape[:2]
                box = (0, 0, w, h) if max(h, w) < 150 else (w // 4, h // 4, 3 * w // 4, 3 * h // 4)
                face = F.embed_face_in_box(img, box, models=m)
            desc.append(face.descriptor)
            labels.append(p.parent.name)
        print(f"{folder.name}: {len(paths)} images, {missed} without a detection, "
              f"{time.perf_counter() - t0:.1f} s")
        _CACHE[key] = (np.array(desc), np.array(labels), missed)
    return _CACHE[key]


def _report(name, desc, labels):
    d, same = metrics.pair_distances(desc, labels)
    rates = metrics.rates_at(d, same, 0.6)
    top1 = metrics.one_shot_top1(desc, labels, shots=1, trials=10)
    auc = metrics.roc(d, same).auc
    print(f"{name}: verification accuracy at 0.6 {rates['accuracy']:.4f} (TAR {rates['TAR']:.4f}, "
          f"FAR {rates['FAR']:.4f}, {rates['same pairs']} same / {rates['different pairs']} "
          f"different pairs), AUC {auc:.4f}, one-shot identification top-1 {top1:.4f}")
    return rates, top1, auc


def test_lfw_verification_and_one_shot_identification(shared_data):
    # 20 people × 8 images keeps the test short (about half of its 300); the benchmark reports all
    desc, labels, missed = _descriptors(shared_data / "faces" / "lfw_small", upsample=0, per_person=8)
    assert len(desc) == 160 and len(set(labels)) == 20
    assert missed <= 5
    rates, top1, auc = _report("LFW small", desc, labels)
    assert rates["accuracy"] >= 0.95
    assert rates["balanced accuracy"] >= 0.95
    assert top1 >= 0.95
    assert auc >= 0.98
    ks, acc = metrics.top1_vs_k(desc, labels, ks=[2, 20], trials=10)
    assert acc[0] >= acc[1] - 0.02   # a bigger gallery is never much easier


def test_orl_verification_and_one_shot_identification(shared_data):
    # 40 people × 3 images keeps the test short; the benchmark reports all 400
    desc, labels, _ = _descriptors(shared_data / "faces" / "orl", upsample=1, per_person=3)
    assert len(desc) == 120 and len(set(labels)) == 40
    rates, top1, auc = _report("ORL (40×3)", desc, labels)
    assert rates["accuracy"] >= 0.95
    assert top1 >= 0.95


def test_recognize_frame_names_an_enrolled_face():
    img = images.load_sample("astronaut")
    face = F.embed_faces(img)[0]
    gallery = F.Gallery()
    gallery.enroll("Eileen Collins", face)
    out, data = F.recognize_frame(img[:, ::-1].copy(), gallery, threshold=0.6, upsample=1)
    assert out.shape == img.shape and not np.array_equal(out, img[:, ::-1])
    assert [d["name"] for d in data] == ["Eileen Collins"]
    zidane = images.load_sample("zidane")
    _, data = F.recognize_frame(zidane, gallery, threshold=0.6, upsample=1)
    assert data and all(d["name"] is None for d in data)


def test_haar_detector_finds_the_astronaut_too():
    boxes = F.detect(images.load_sample("astronaut"), "haar")
    assert boxes
    (x0, y0, x1, y1), _ = boxes[0]
    assert 150 < (x0 + x1) / 2 < 290 and 60 < (y0 + y1) / 2 < 180


# ----------------------------------------------------------------------------- page helpers


def _face(x0, descriptor=None):
    d = np.zeros(128) if descriptor is None else np.asarray(descriptor, dtype=np.float64)
    return F.Face(box=(x0, 10, x0 + 40, 50), score=1.0, detector="given",
                  landmarks=np.tile([x0 + 20.0, 30.0], (68, 1)),
                  landmarks5=np.tile([x0 + 20.0, 30.0], (5, 1)),
                  chip=np.zeros((150, 150, 3), np.uint8), descriptor=d)


def test_nth_from_left_and_labelled_arrays():
    fs = [_face(200), _face(20), _face(110)]
    assert F.nth_from_left(fs, 0).box[0] == 20 and F.nth_from_left(fs, 2).box[0] == 200
    assert F.nth_from_left(fs, 3) is None
    desc, labels, chips = F.labelled_arrays(fs, ["a", "b", "a"])
    assert desc.shape == (3, 128) and labels.tolist() == ["a", "b", "a"] and len(chips) == 3
    empty, names, _ = F.labelled_arrays([], [])
    assert empty.shape == (0, 128) and len(names) == 0
    with pytest.raises(ValueError):
        F.labelled_arrays(fs, ["a"])


def test_person_from_filename():
    assert F.person_from_filename("Ada_Lovelace_2.jpg") == "Ada_Lovelace"
    assert F.person_from_filename("bob-10.png") == "bob"
    assert F.person_from_filename("carol.webp") == "carol"
    assert F.person_from_filename("1234.jpg") == "1234"   # nothing left: the stem as it is


def test_gallery_as_set():
    g = F.Gallery()
    assert g.as_set()[0].shape == (0, 128)
    g.enroll("Ann", _face(0, np.ones(128)))
    g.enroll("Ben", _face(50))
    desc, names, chips = g.as_set()
    assert desc.shape == (2, 128) and desc[0, 0] == 1.0 and names.tolist() == ["Ann", "Ben"]
    assert len(chips) == 2


def test_same_person_share():
    rows = [{"picture": "reference", "pixel distance": 0.0, "descriptor distance": 0.0},
            {"picture": "mirrored", "pixel distance": 30.0, "descriptor distance": 0.1},
            {"picture": "darker", "pixel distance": 45.0, "descriptor distance": 0.2},
            {"picture": "another person", "pixel distance": 50.0, "descriptor distance": 0.8}]
    assert F.same_person_share(rows) == pytest.approx((0.9, 0.25))
    assert F.same_person_share(rows[:3]) is None
    assert F.same_person_share([rows[0], rows[3]]) is None


def test_landmarks_closeup_crops_around_the_face():
    img = np.zeros((100, 300, 3), np.uint8)
    out = F.landmarks_closeup(img, _face(100))       # box 100..140 × 10..50, margin 10
    assert out.shape == (60, 60, 3) and out.any()    # cut out, landmarks drawn
    edge = F.landmarks_closeup(img, _face(0))        # the margin stops at the picture's edge
    assert edge.shape == (60, 50, 3)


def test_digit_thumbnails():
    from core.embeddings import train

    thumbs = train.thumbnails(np.arange(2 * 8 * 8, dtype=np.uint8).reshape(2, 8, 8), scale=3)
    assert len(thumbs) == 2 and thumbs[0].shape == (24, 24)
    assert thumbs[1][3, 0] == thumbs[1][5, 2] == 64 + 8


def test_compare_routes_snapshots_counts_every_route():
    from core.embeddings import train

    snaps = list(train.compare_routes_snapshots(steps=4))
    steps = [s.step for s in snaps]
    assert steps == sorted(steps) and snaps[-1].step == snaps[-1].total == 12
    assert all(s.step < s.total for s in snaps[:-1]) and snaps[-1].info["snapshot"] is None
    rows = snaps[-1].info["rows"]
    assert [r["route"].split()[0] for r in rows] == ["raw", "cross-entropy", "contrastive", "triplet"]
    assert {s.info["route"] for s in snaps[:-1]} == set(train.ROUTES)


def test_sample_labelled_set_has_every_sample_person():
    desc, labels, chips = F.sample_labelled_set()
    assert desc.shape[1] == 128 and len(desc) == len(labels) == len(chips)
    assert set(labels.tolist()) == {name for _, _, name in F.SAMPLE_PEOPLE}
    d, same = metrics.pair_distances(desc, labels)
    assert d[same].mean() < d[~same].mean()


# ----------------------------------------------------------------------------- issue 16


def test_align_to_turns_a_frame_without_rescaling_it():
    rng = np.random.default_rng(3)
    y = rng.normal(size=(50, 2))
    c, s = np.cos(0.7), np.sin(0.7)
    ref = (y @ np.array([[c, -s], [s, c]])) * 0.01          # a turned, tiny previous frame
    out = project.align_to(y, ref)
    turned = (y - y.mean(0)) @ np.array([[c, -s], [s, c]])
    assert np.allclose(out - out.mean(0), turned, atol=1e-9)              # turned onto it
    assert np.allclose(np.linalg.norm(out - out.mean(0), axis=1),
                       np.linalg.norm(y - y.mean(0), axis=1))              # its own scale kept


def test_training_scatter_shows_true_pca_coordinates_of_unit_vectors():
    """The PCA scatter was carried at the untrained net's spread (±0.002) by chained
    Procrustes scaling; now every frame is the PCA of the unit embeddings, only turned."""
    from core.embeddings import train

    snaps = list(train.train("triplet", "semi-hard", steps=40, every=20))
    for snap in snaps:
        xy, ev = snap.info["xy"], snap.info["embedding"]
        true = project.pca(ev, 2)
        assert np.allclose(np.linalg.norm(xy, axis=1), np.linalg.norm(true, axis=1), atol=1e-6)
        assert np.abs(xy).max() <= 2.0                        # unit vectors, centred
        v = snap.info["variance"]
        assert v.shape == (2,) and 0 < v[1] <= v[0] <= 1
    assert np.abs(snaps[-1].info["xy"]).max() > 0.2


def test_explained_variance_of_a_known_spread():
    x = np.zeros((4, 3))
    x[:, 0] = [-2, -1, 1, 2]            # variance 10/4 along x
    x[:, 1] = [1, -1, -1, 1]           # variance 4/4 along y, none along z
    assert project.explained_variance(x, 3) == pytest.approx([10 / 14, 4 / 14, 0.0])


def test_active_triplets_only_for_the_triplet_route():
    from core.embeddings import train

    for route in train.ROUTES:
        last = list(train.train(route, steps=2, every=1))[-1]
        if route == "triplet":
            assert 0.0 <= last.info["active"] <= 1.0
        else:
            assert last.info["active"] is None, route
    rows = list(train.compare_routes_snapshots(steps=2))[-1].info["rows"]
    assert [r["active triplets"] is None for r in rows] == [True, True, True, False]


def test_label_origin_keeps_the_whole_label_inside_the_picture():
    shape = (200, 300, 3)
    tw, th, base = 120, 20, 6
    for box in [(280, 100, 299, 130), (0, 0, 40, 40), (250, 170, 299, 199), (10, 80, 60, 130)]:
        x, y = F.label_origin(box, (tw, th), base, shape)
        assert 0 <= x and x + tw + 6 <= shape[1], box
        assert 0 <= y - th - base - 2 and y + base - 2 <= shape[0] - 1, box
    assert F.label_origin((10, 80, 60, 130), (tw, th), base, shape) == (10, 76)   # room: above


def test_a_name_at_the_right_edge_is_drawn_whole():
    img = np.zeros((240, 320, 3), np.uint8)
    out = F.draw_box(img, (290, 120, 319, 150), "Carlo Ancelotti 0.27", F.GREEN)
    tag = np.all(out == F.GREEN, axis=-1)
    cols = np.nonzero(tag.any(0))[0]
    assert cols.min() < 290 - 60 and cols.max() <= 319      # the tag moved left, not cut off


def test_face_models_provenance_names_models_not_paths():
    m = F.load_face_models()
    text = m.provenance
    assert "dlib_face_recognition_resnet_model_v1" in text and "face-recognition-models" in text
    assert str(m.files["encoder"].parent) not in text
    assert "site-packages" not in text and "/root" not in text and "/work" not in text


def test_kept_faces_and_dropped_ones_drawn_grey():
    fs = [_face(10), _face(100), _face(200)]
    fs[1].score = 0.1
    assert F.kept_faces(fs) == [True, True, True]
    assert F.kept_faces(fs, min_score=0.2) == [True, False, True]
    assert F.kept_faces(fs, min_score=0.2, dropped=[2]) == [True, False, False]
    img = np.full((80, 300, 3), 255, np.uint8)
    out = F.draw_faces(img, fs, show_landmarks=False, kept=[True, False, True])
    assert np.all(out == F.AMBER, axis=-1)[:, 5:60].any()     # kept: amber
    grey = np.all(out == F.GREY, axis=-1)
    assert grey[:, 95:150].any() and not grey[:, 195:250].any()


def test_a_changed_copy_is_other_pixels_of_the_same_people():
    img = images.load_sample("zidane", max_side=1280)
    g = F.Gallery()
    g.enroll("Carlo Ancelotti", F.nth_from_left(F.embed_faces(img), 0))
    query = F.changed_copy(img)
    assert query.shape == img.shape
    assert (np.abs(query.astype(int) - img.astype(int)).sum(-1) > 0).mean() > 0.95
    _, data = F.recognize_frame(query, g, threshold=0.6, upsample=1)
    assert [d["name"] for d in data] == ["Carlo Ancelotti"]
    assert 0.05 < data[0]["distance"] < 0.6                  # not the enrolled picture itself
