"""Heavy jobs and batched inference on Ray Serve (issue 17 §6), on a local Ray started here.

Ray is a declared dev dependency (the ``serve`` extra inside ``dev``): if it is missing, this
module fails to import — it does not skip.
"""
from __future__ import annotations

import socket
import threading
import time

import numpy as np
import pytest
import ray  # a missing Ray is a failure, not a skip
import torch

from core.devices import torch_threads
from core.serve import client, wire
from core.snapshots import Snapshot

pytestmark = pytest.mark.filterwarnings("ignore:Using extra keyword arguments on `Field`")  # Ray's pydantic


def _picture(seed: int, h: int = 96, w: int = 96) -> np.ndarray:
    return (np.random.default_rng(seed).random((h, w, 3)) * 255).astype(np.uint8)


@pytest.fixture(scope="module")
def endpoint():
    from ray import serve

    from core.serve import deployments

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        yield deployments.deploy(port=port)
    finally:
        serve.shutdown()
        ray.shutdown()


# --------------------------------------------------------------------------- without Ray running


def test_wire_round_trip_keeps_types_and_never_pickles():
    snap = Snapshot(3, 9, 0.25, _picture(0, 5, 7), {"per_layer": {"a": np.float32(1.5)}, "pair": (1, 2.0),
                                                   "__odd__": [float("inf"), None, True]})
    back = wire.decode(wire.encode(snap))
    assert (back.step, back.total, back.loss) == (3, 9, 0.25)
    assert np.array_equal(back.image, snap.image) and back.image.dtype == np.uint8
    assert back.info["pair"] == (1, 2.0) and isinstance(back.info["pair"], tuple)
    assert back.info["per_layer"]["a"] == np.float32(1.5) and back.info["__odd__"][0] == float("inf")
    with pytest.raises(ValueError, match="plain values"):
        wire.encode({"x": object()})
    with pytest.raises(ValueError, match="hold numbers"):
        wire.plain({"a": np.array([object()])})


def test_bad_kwargs_are_refused_before_anything_runs():
    img = _picture(1)
    with pytest.raises(ValueError, match="takes no 'octavez'.*octaves"):
        client.stream("dream", {"image": img, "octavez": 2}, endpoint="")
    with pytest.raises(ValueError, match="zoo name"):
        client.stream("dream", {"image": img, "model": torch.nn.Identity()}, endpoint="")
    with pytest.raises(ValueError, match="no job 'dreem'"):
        client.stream("dreem", {}, endpoint="")
    with pytest.raises(ValueError, match="needs 'layer'"):
        client.stream("invert", {"image": img}, endpoint="")


def test_endpoint_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv(client.ENV, raising=False)
    assert client.endpoint() is None
    steps = [s.step for s in client.stream("count", {"n": 3})]     # in-process
    assert steps == [1, 2, 3]
    monkeypatch.setenv(client.ENV, "http://127.0.0.1:1/ ")
    assert client.endpoint() == "http://127.0.0.1:1"
    with pytest.raises(client.JobLost, match="cannot reach http://127.0.0.1:1"):
        list(client.stream("count", {"n": 1}, retries=0))
    assert [s.step for s in client.stream("count", {"n": 2}, endpoint="")] == [1, 2]   # "" forces in-process


# --------------------------------------------------------------------------- through Serve


def test_same_job_same_result_in_process_and_through_serve(endpoint):
    kw = dict(image=_picture(2), steps=3, octaves=2, seed=4)
    remote = list(client.stream("dream", kw, endpoint, timeout=120))
    with torch_threads(1):        # a replica with num_cpus=1 runs torch on one thread
        local = list(client.stream("dream", kw, endpoint=""))
    assert [s.step for s in remote] == [s.step for s in local] == list(range(1, 7))
    assert [s.loss for s in remote] == pytest.approx([s.loss for s in local], rel=1e-5)
    assert remote[-1].image.shape == (96, 96, 3)
    assert np.array_equal(remote[-1].image, local[-1].image)
    assert not np.array_equal(remote[-1].image, kw["image"])      # it did dream


def test_snapshots_stream_as_they_are_made(endpoint):
    t0 = time.perf_counter()
    arrivals = [(time.perf_counter() - t0, s) for s in client.stream("count", {"n": 4, "delay": 0.4}, endpoint)]
    assert [s.step for _, s in arrivals] == [1, 2, 3, 4]
    first, last = arrivals[0][0], arrivals[-1][0]
    assert last >= 1.5 and first < last - 1.0, arrivals       # the first came ~1.2 s before the end
    assert len({s.info["pid"] for _, s in arrivals}) == 1


def test_a_caller_that_leaves_stops_the_job(endpoint):
    it = client.stream("count", {"n": 30, "delay": 0.3}, endpoint)    # 9 s if left running
    assert [next(it).step, next(it).step] == [1, 2]
    it.close()                                                        # the visitor left
    t0 = time.perf_counter()
    assert [s.step for s in client.stream("count", {"n": 2}, endpoint, timeout=30)] == [1, 2]
    assert time.perf_counter() - t0 < 4      # the one job slot was free: the first job stopped


def test_remote_error_arrives_with_its_message(endpoint):
    got = []
    with pytest.raises(ValueError, match=r"count failed at step 3, as asked") as e:
        for s in client.stream("count", {"n": 5, "fail_at": 3}, endpoint):
            got.append(s.step)
    assert isinstance(e.value, client.RemoteValueError) and got == [1, 2]
    with pytest.raises(ValueError, match="steps must be at least 1"):    # checked in the replica
        list(client.stream("dream", {"image": _picture(3), "steps": 0}, endpoint))


def test_batched_inference_equals_one_by_one(endpoint, lm):
    pictures = [_picture(10 + i, 80 + 8 * i, 120 - 4 * i) for i in range(6)]
    answers: list = [None] * len(pictures)
    start = threading.Barrier(len(pictures))

    def visitor(i: int) -> None:
        start.wait()
        answers[i] = client.classify_remote([pictures[i]], endpoint, topk=3, timeout=60)

    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(len(pictures))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert max(a["batch_sizes"][0] for a in answers) > 1, [a["batch_sizes"] for a in answers]
    for pic, a in zip(pictures, answers):
        alone = lm.classify(pic, topk=3)                             # the zoo's own one-picture call
        assert [i for i, _, _ in a["top"][0]] == [i for i, _, _ in alone]
        assert [p for _, _, p in a["top"][0]] == pytest.approx([p for _, _, p in alone], abs=1e-5)
    assert client.classify(pictures[:2], endpoint, topk=3)[1][0][0] == lm.classify(pictures[1], topk=1)[0][0]
    with pytest.raises(ValueError, match="Picture 1 is not an RGB"):
        client.classify([np.zeros((4, 4), np.uint8)], endpoint)


def test_a_replica_killed_mid_job_is_replaced_and_the_job_retried(endpoint, tmp_path):
    marker = tmp_path / "died"
    t0 = time.perf_counter()
    snaps = list(client.stream("count", {"n": 5, "delay": 0.2, "die_at": 3, "die_once": str(marker)},
                               endpoint, timeout=60))
    assert marker.exists()                                           # the first replica did die
    assert [s.step for s in snaps] == [1, 2, 3, 4, 5]                # nothing lost, nothing twice
    dead = int(marker.read_text())
    pids = [s.info["pid"] for s in snaps]
    assert pids[:2] == [dead, dead] and dead not in pids[2:]      # 3-5 came from the new replica
    assert time.perf_counter() - t0 < 45


def test_a_replica_that_keeps_dying_is_reported_not_hung(endpoint):
    t0 = time.perf_counter()
    with pytest.raises(client.JobLost, match="count job was lost .* 2 time"):
        list(client.stream("count", {"n": 5, "delay": 0.1, "die_at": 2}, endpoint, timeout=60))
    assert time.perf_counter() - t0 < 45
    assert [s.step for s in client.stream("count", {"n": 2}, endpoint, timeout=60)] == [1, 2]   # Serve recovered
