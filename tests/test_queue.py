"""core.jobs: the bounded first-come-first-served gate, and runs shared between visitors."""
from __future__ import annotations

import dataclasses
import threading
import time

import numpy as np
import pytest

from core import jobs, precompute
from core.snapshots import Snapshot


def test_gate_admits_in_arrival_order_with_positions_and_an_eta():
    g = jobs.Gate(1)
    a, b, c = g.ticket("dream"), g.ticket("dream"), g.ticket("dream")
    assert (a.running, b.running, c.running) == (True, False, False)
    assert [t.position() for t in (a, b, c)] == [0, 1, 2]
    assert c.eta() is None                      # nothing of its kind has finished yet
    time.sleep(0.2)
    a.release()
    assert b.wait(1) and b.position() == 0 and c.position() == 1
    took = g.expected("dream")
    assert 0.15 < took < 1.0
    # c waits for b (about `took` left) and then runs for about `took` itself
    assert took * 1.5 < c.eta() <= 2 * took + 0.05
    assert took * 0.5 < c.starts_in() <= took + 0.05
    d = g.ticket("texture")                     # a kind never timed: its start is still known
    assert d.eta() is None and took * 1.5 < d.starts_in() <= 2 * took + 0.05
    d.release()
    c.release()                                 # leaves the line while waiting
    b.release()
    st = g.state()
    assert st["completed"] == 2 and st["left"] == 2 and st["running"] == 0 and st["waiting"] == 0


def test_gate_never_runs_more_than_its_slots_and_loses_no_job():
    g = jobs.Gate(2)
    now = [0]
    peak = [0]
    lock = threading.Lock()
    done = []

    def visitor(i):
        with g.ticket("x") as t:
            assert t.wait(30)
            with lock:
                now[0] += 1
                peak[0] = max(peak[0], now[0])
            time.sleep(0.03)
            with lock:
                now[0] -= 1
        done.append(i)

    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert peak[0] == 2 and sorted(done) == list(range(10))
    assert g.state()["completed"] == 10


def test_default_slots_follow_the_environment(monkeypatch):
    monkeypatch.setenv("CNNLAB_JOB_SLOTS", "3")
    assert jobs.default_slots() == 3
    monkeypatch.setenv("CNNLAB_JOB_SLOTS", "zero")
    assert jobs.default_slots() >= 1            # a bad value falls back to the machine's policy


def _slow(n, delay=0.02, calls=None):
    if calls is not None:
        calls.append(1)
    for i in range(1, n + 1):
        time.sleep(delay)
        yield Snapshot(step=i, total=n, loss=float(i), image=np.full((4, 4, 3), i, np.uint8))


def test_a_shared_run_is_computed_once_joined_while_it_runs_and_replayed_after():
    sh = jobs.Shared()
    calls = []
    role, lead, _ = sh.open("k", lambda: _slow(6, calls=calls))
    assert role == "lead"
    got = {}

    def join():
        r, it, _ = sh.open("k", lambda: _slow(6, calls=calls))
        got["join"] = (r, [s for s in it if s is not None])

    t = threading.Thread(target=join)
    first = next(lead)                          # the leader has started: the next caller joins
    t.start()
    time.sleep(0.05)
    mine = [first, *lead]
    t.join(10)
    role3, replay, _ = sh.open("k", lambda: _slow(6, calls=calls))
    again = list(replay)
    assert len(calls) == 1                      # computed once
    assert got["join"][0] == "join" and role3 == "replay"
    assert [s.step for s in got["join"][1]] == [s.step for s in mine] == [1, 2, 3, 4, 5, 6]
    assert all(a is b for a, b in zip(mine, again))       # the very same snapshots
    assert sh.state()["led"] == 1 and sh.state()["joined"] == 1 and sh.state()["replayed"] == 1


def test_a_leader_that_stops_abandons_the_run_and_its_joiners_are_told():
    sh = jobs.Shared()
    _, lead, _ = sh.open("k", lambda: _slow(50))
    next(lead)
    _, joined, _ = sh.open("k", lambda: _slow(50))
    lead.close()                                # the visitor pressed Stop
    with pytest.raises(jobs.Abandoned):
        list(joined)
    assert sh.role("k") == "lead"               # the next caller computes it afresh
    # a leader whose job fails to start leaves nothing behind either
    with pytest.raises(ValueError):
        sh.open("bad", _raise)
    assert sh.role("bad") == "lead"


def _raise():
    raise ValueError("bad settings")


def test_finished_runs_are_kept_within_the_byte_cap_oldest_out_first():
    sh = jobs.Shared(max_bytes=3 * 6 * 48 + 3 * 6 * 256)      # room for three 6-snapshot runs
    for k in "abcd":
        list(sh.open(k, lambda: _slow(6, delay=0))[1])
    assert [sh.role(k) for k in "abcd"] == ["lead", "replay", "replay", "replay"]
    assert sh.state()["bytes"] <= sh.max_bytes


def test_precompute_start_shares_a_view_and_gives_every_caller_the_leaders_record(monkeypatch):
    calls = []

    def run(model, picture, settings, rec, **opts):
        rec.extra["maps"] = []
        for s in _slow(4, delay=0.0, calls=calls):
            rec.extra["maps"].append(s.step)
            yield s

    job = dataclasses.replace(precompute.JOBS["inversion"], kind="t-share", run=run)
    monkeypatch.setitem(precompute.JOBS, "t-share", job)
    monkeypatch.setattr(jobs, "_SHARED", jobs.Shared())
    pic = np.zeros((8, 8, 3), np.uint8)
    s1, r1 = precompute.start("t-share", "m", pic, {"steps": 4}, share=True)
    assert s1.role == "lead"
    list(s1)
    s2, r2 = precompute.start("t-share", "m", pic, {"steps": 4}, share=True)
    list(s2)
    s3, r3 = precompute.start("t-share", "m", pic, {"steps": 5}, share=True)    # other settings
    list(s3)
    s4, _ = precompute.start("t-share", "m", pic + 1, {"steps": 4}, share=True)  # another picture
    assert (s2.role, s3.role, s4.role) == ("replay", "lead", "lead")
    assert len(calls) == 2
    assert r2.done and r2.extra == r1.extra == {"maps": [1, 2, 3, 4]} and r2.rows == r1.rows
    assert r2.seconds == r1.seconds and r3.done
    s0, _ = precompute.start("t-share", "m", pic, {"steps": 4})                 # not shared
    assert s0.role == "own"


def test_with_cnnlab_jobs_the_slow_views_go_to_serve_with_kwargs_its_jobs_accept(monkeypatch):
    """Routing only (the Serve round trip itself is tests/test_serve.py): each view's default
    settings become kwargs that core.serve.jobs.check accepts for its job, the model by name."""
    from core import zoo
    from core.serve import client
    from core.serve import jobs as serve_jobs

    sent = []

    def fake_stream(name, kwargs, endpoint=None, **_):
        serve_jobs.check(name, kwargs)            # raises on a keyword the job does not take
        sent.append((name, kwargs))
        return iter([Snapshot(step=1, total=1, loss=1.0, image=np.zeros((4, 4, 3), np.uint8),
                              info={"octave_step": 1, "octave": 0})])

    monkeypatch.setenv("CNNLAB_JOBS", "http://127.0.0.1:9")
    monkeypatch.setattr(client, "stream", fake_stream)
    lm = zoo.load("efficientnet_lite0")
    for kind in ("deepdream", "texture", "transfer"):
        job = precompute.JOBS[kind]
        pic = job.picture(lm)
        snaps, rec = precompute.start(kind, lm, pic, job.defaults(lm, pic))
        assert [s.step for s in snaps] == [1]
    assert [n for n, _ in sent] == ["dream", "texture", "stylize"]
    assert all(kw["model"] == lm.name for _, kw in sent)
    own = dataclasses.replace(lm, name="own-0123abcd")      # a visitor's model stays here
    assert precompute._served("dream", own, image=None) is None
    monkeypatch.delenv("CNNLAB_JOBS")
    assert precompute._served("dream", lm, image=None) is None
