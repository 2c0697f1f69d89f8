"""The hosted switch: one environment variable for a public deployment, and what it sets.

``CNNLAB_HOSTED=1`` turns a local lab into a hosted demo for a room:

=====================  ===========================  =========  ==============================
setting                variable                     hosted     local (default)
=====================  ===========================  =========  ==============================
upload size cap        ``CNNLAB_UPLOAD_MB``         10 MB      200 MB (Streamlit's default)
error details          (none)                       hidden     one line (+ traceback with
                                                                ``CNNLAB_DEBUG=1``)
session TTL            ``CNNLAB_SESSION_TTL_MIN``   30 min     off
memory per session     ``CNNLAB_SESSION_MB``        300 MB     off
model-file uploads     (none)                       refused    allowed
ICE/TURN check         ``CNNLAB_ICE_SERVERS``       shown      not shown
=====================  ===========================  =========  ==============================

Each variable also works on its own (a local lab can cap uploads too). ``dashboard.hosted``
applies them; nothing here imports Streamlit.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any, Iterable


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def hosted() -> bool:
    """Whether the lab runs as a hosted demo (``CNNLAB_HOSTED=1``)."""
    return _flag("CNNLAB_HOSTED")


def _number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        v = float(raw)
    except ValueError:
        return default
    return v if v >= 0 else default


@dataclass(frozen=True)
class Settings:
    hosted: bool
    upload_mb: int            # the largest file a visitor may upload
    session_ttl_s: float      # a session idle this long starts afresh (0: never)
    session_mb: float         # what one session may keep in memory (0: no bound)
    error_details: bool       # whether a failed view names the exception
    model_uploads: bool       # whether model files (pickles, ONNX, TorchScript) are accepted


def settings() -> Settings:
    """The settings now, from the environment (read on every call: tests and servers may set it)."""
    on = hosted()
    return Settings(
        hosted=on,
        upload_mb=max(1, int(_number("CNNLAB_UPLOAD_MB", 10 if on else 200))),
        session_ttl_s=60.0 * _number("CNNLAB_SESSION_TTL_MIN", 30 if on else 0),
        session_mb=_number("CNNLAB_SESSION_MB", 300 if on else 0),
        error_details=not on,
        model_uploads=not on,
    )


# --------------------------------------------------------------------------- memory per session

def nbytes(value: Any, _depth: int = 0) -> int:
    """About how much memory a kept value holds: arrays, tensors, bytes, models (their
    parameters), and containers of them; small scalars count as nothing."""
    if _depth > 4 or value is None or isinstance(value, (bool, int, float, str)):
        return 0
    n = getattr(value, "nbytes", None)
    if isinstance(n, int):
        return n
    if isinstance(value, (bytes, bytearray, memoryview)):
        return len(value)
    torch = sys.modules.get("torch")
    if torch is not None:
        if isinstance(value, torch.Tensor):
            return value.element_size() * value.nelement()
        if isinstance(value, torch.nn.Module):
            return sum(p.element_size() * p.nelement() for p in value.parameters())
    if isinstance(value, dict):
        return sum(nbytes(v, _depth + 1) for v in value.values())
    if isinstance(value, (list, tuple, set, frozenset)):
        return sum(nbytes(v, _depth + 1) for v in value)
    fields = getattr(value, "__dict__", None)
    if isinstance(fields, dict):
        return sum(nbytes(v, _depth + 1) for v in fields.values())
    return 0


def over_budget(items: Iterable[tuple[str, Any]], cap_bytes: float) -> tuple[int, list[tuple[str, int]]]:
    """(total bytes, the keys to drop — largest first — to come under ``cap_bytes``). Values
    under 1 MB are never dropped (settings, widget values)."""
    sizes = [(k, nbytes(v)) for k, v in items]
    total = sum(s for _, s in sizes)
    drop: list[tuple[str, int]] = []
    if cap_bytes <= 0 or total <= cap_bytes:
        return total, drop
    left = total
    for k, s in sorted(sizes, key=lambda ks: -ks[1]):
        if left <= cap_bytes or s < (1 << 20):
            break
        drop.append((k, s))
        left -= s
    return total, drop


# --------------------------------------------------------------------------- WebRTC ICE servers

def ice_problems(servers: Any) -> list[str]:
    """What is wrong with an ICE server list for a hosted live page (empty: nothing).

    The browser and the server exchange video peer to peer; on a hosted demo, visitors behind
    NAT or a firewall (most school and conference Wi-Fi) only connect through a TURN relay, so a
    list without one works on localhost only."""
    if not isinstance(servers, list):
        return ["CNNLAB_ICE_SERVERS must be a JSON list of {\"urls\": …} objects."]
    if not servers:
        return ["No ICE servers are configured: the webcam works on localhost, but visitors on "
                "other networks need a TURN server (set CNNLAB_ICE_SERVERS, see docs/DEPLOY.md)."]
    problems, turn = [], False
    for i, s in enumerate(servers):
        urls = s.get("urls") if isinstance(s, dict) else None
        urls = [urls] if isinstance(urls, str) else urls
        if not urls or not all(isinstance(u, str) for u in urls):
            problems.append(f"ICE server {i + 1} has no \"urls\".")
            continue
        bad = [u for u in urls if not u.split(":", 1)[0] in ("stun", "stuns", "turn", "turns")]
        if bad:
            problems.append(f"ICE server {i + 1}: {bad[0]!r} is not a stun:/turn: URL.")
        if any(u.startswith(("turn:", "turns:")) for u in urls):
            turn = True
            if not (s.get("username") and s.get("credential")):
                problems.append(f"ICE server {i + 1} is a TURN server without username and credential.")
    if not turn:
        problems.append("Only STUN servers are configured: visitors behind NAT or a firewall will "
                        "not get a picture without a TURN server.")
    return problems
