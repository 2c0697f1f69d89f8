"""How jobs, snapshots and errors cross the network between the app and the Serve deployments.

Nothing is pickled in either direction: a message is a JSON tree in which numpy arrays are
replaced by references to ``.npy`` blobs that follow it (read back with ``allow_pickle=False``),
so neither side can be made to run code by what the other sends. Tuples, numpy scalars,
:class:`~core.snapshots.Snapshot` objects, errors and the end of a stream are tagged in the
tree, so what comes out equals what went in (``decode(encode(x)) == x``, tuples stay tuples).

A stream is a sequence of frames, each an 8-byte big-endian length and one message; it ends with
an ``end`` frame carrying the number of snapshots sent, so a stream cut short (a replica that
died mid-job) is told apart from one that finished.
"""
from __future__ import annotations

import io
import json
import math
import struct
from typing import Any, BinaryIO, Iterator

import numpy as np

from ..snapshots import Snapshot

MEDIA_TYPE = "application/x-cnnlab-frames"
_LEN = struct.Struct(">Q")
MAX_FRAME = 1 << 30          # 1 GiB: a bigger length means the stream is not ours


def plain(value: Any, where: str = "kwargs") -> None:
    """Raise ``ValueError`` unless ``value`` is made of plain data only: None, bool, int, float,
    str, numpy arrays and scalars, and lists / tuples / dicts (str keys) of those. Jobs take such
    kwargs so that they run the same in-process and on a Serve replica (models by zoo name)."""
    if value is None or isinstance(value, (bool, int, float, str, np.ndarray, np.generic)):
        if isinstance(value, np.ndarray) and value.dtype.kind not in "biufc":
            raise ValueError(f"{where}: arrays must hold numbers, not {value.dtype} (object arrays "
                             "cannot cross to a Serve replica).")
        return
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            plain(v, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError(f"{where}: dictionary keys must be strings, not {type(k).__name__}.")
            plain(v, f"{where}[{k!r}]")
        return
    hint = " Pass a model by its zoo name (model=\"imagenet\")." if hasattr(value, "parameters") \
        or hasattr(value, "model") else ""
    raise ValueError(f"{where} holds a {type(value).__name__}: jobs take plain values only "
                     f"(numbers, strings, numpy arrays, lists and dicts of them).{hint}")


def _tree(value: Any, blobs: list[np.ndarray]) -> Any:
    if isinstance(value, Snapshot):
        return {"__snapshot__": {"step": value.step, "total": value.total,
                                 "loss": _tree(value.loss, blobs), "image": _tree(value.image, blobs),
                                 "info": _tree(value.info, blobs)}}
    if isinstance(value, np.ndarray):
        blobs.append(value)
        return {"__ndarray__": len(blobs) - 1}
    if isinstance(value, np.generic):
        return {"__npscalar__": value.dtype.str, "v": _tree(value.item(), blobs)}
    if isinstance(value, float) and not math.isfinite(value):
        return {"__float__": repr(value)}
    if isinstance(value, tuple):
        return {"__tuple__": [_tree(v, blobs) for v in value]}
    if isinstance(value, list):
        return [_tree(v, blobs) for v in value]
    if isinstance(value, dict):
        if any(not isinstance(k, str) for k in value):
            raise ValueError("Only dictionaries with string keys can cross to a Serve replica.")
        if any(k.startswith("__") and k.endswith("__") for k in value):
            return {"__dict__": {k: _tree(v, blobs) for k, v in value.items()}}
        return {k: _tree(v, blobs) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ValueError(f"A {type(value).__name__} cannot cross to a Serve replica (plain values only).")


def _untree(node: Any, blobs: list[np.ndarray]) -> Any:
    if isinstance(node, list):
        return [_untree(v, blobs) for v in node]
    if not isinstance(node, dict):
        return node
    if "__snapshot__" in node:
        s = node["__snapshot__"]
        return Snapshot(step=s["step"], total=s["total"], loss=_untree(s["loss"], blobs),
                        image=_untree(s["image"], blobs), info=_untree(s["info"], blobs))
    if "__ndarray__" in node:
        return blobs[node["__ndarray__"]]
    if "__npscalar__" in node:
        return np.dtype(node["__npscalar__"]).type(_untree(node["v"], blobs))
    if "__float__" in node:
        return float(node["__float__"])
    if "__tuple__" in node:
        return tuple(_untree(v, blobs) for v in node["__tuple__"])
    if "__dict__" in node:
        return {k: _untree(v, blobs) for k, v in node["__dict__"].items()}
    return {k: _untree(v, blobs) for k, v in node.items()}


def encode(value: Any) -> bytes:
    """One message: 8-byte length of the JSON tree, the tree, then each array as a length and
    its ``.npy`` bytes."""
    blobs: list[np.ndarray] = []
    head = json.dumps(_tree(value, blobs), separators=(",", ":")).encode()
    out = io.BytesIO()
    out.write(_LEN.pack(len(head)))
    out.write(head)
    for a in blobs:
        buf = io.BytesIO()
        np.save(buf, np.ascontiguousarray(a), allow_pickle=False)
        out.write(_LEN.pack(buf.tell()))
        out.write(buf.getvalue())
    return out.getvalue()


def decode(data: bytes) -> Any:
    """The value :func:`encode` was given (arrays as fresh, writable copies)."""
    view = memoryview(data)
    try:
        (n,) = _LEN.unpack_from(view, 0)
        tree = json.loads(bytes(view[8:8 + n]))
        pos, blobs = 8 + n, []
        while pos < len(view):
            (m,) = _LEN.unpack_from(view, pos)
            blobs.append(np.load(io.BytesIO(bytes(view[pos + 8:pos + 8 + m])), allow_pickle=False))
            pos += 8 + m
        return _untree(tree, blobs)
    except (struct.error, ValueError, KeyError, IndexError, TypeError) as e:
        raise ValueError(f"A message from the other side could not be read ({e}).") from None


# --------------------------------------------------------------------------- frames


def error_frame(exc: BaseException) -> dict:
    return {"__error__": {"type": type(exc).__name__, "message": str(exc)}}


def end_frame(count: int) -> dict:
    return {"__end__": int(count)}


def frame(value: Any) -> bytes:
    body = encode(value)
    return _LEN.pack(len(body)) + body


def read_frames(raw: BinaryIO) -> Iterator[Any]:
    """Decoded frames from a byte stream until it ends. A stream that stops inside a frame
    raises ``EOFError``; one that stops between frames just ends (the caller checks for the
    ``end`` frame)."""
    while True:
        head = _read(raw, 8, allow_eof=True)
        if head is None:
            return
        (n,) = _LEN.unpack(head)
        if n > MAX_FRAME:
            raise ValueError(f"A frame of {n} bytes: this is not a CNN Lab jobs endpoint.")
        yield decode(_read(raw, n))


def _read(raw: BinaryIO, n: int, allow_eof: bool = False) -> bytes | None:
    parts, got = [], 0
    while got < n:
        chunk = raw.read(n - got)
        if not chunk:
            if got == 0 and allow_eof:
                return None
            raise EOFError(f"the stream stopped {n - got} bytes into a frame")
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)
