"""A visitor that speaks Streamlit's own protocol, for the room benchmark and its smoke test.

What the browser does, without the browser: a websocket to ``/_stcore/stream`` (subprotocol
``streamlit``), ``BackMsg.rerun_script`` carrying the page and the widget states (a button press is
its widget id with ``trigger_value``), and ``ForwardMsg`` deltas in, placed in a tree by their
``delta_path`` and pruned of stale elements when ``script_finished`` ends a run, as the frontend
does. Images come as ``/media/...`` URLs and are fetched over HTTP as soon as they arrive (a
browser loads them too), so their bytes can be hashed. ``auto_rerun`` (a fragment's
``run_every``) is honoured by sending the fragment's rerun on its interval, as the browser's timer
does; ``page_info_changed`` updates the query string sent back, as the address bar does.

Used as::

    async with Visitor("http://127.0.0.1:8501") as v:
        first = await v.open("convolution")          # View: seconds, images, texts, ...
        await v.open("deepdream")
        done = await v.press("Dream", timeout=300)   # waits until the page is settled again
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import re
import time
from dataclasses import dataclass, field

import httpx
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

FULL_OK = ForwardMsg.FINISHED_SUCCESSFULLY
FRAGMENT_OK = ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
BUSY_BUTTONS = ("Stop", "Cancel")                 # labels shown while a job is running or waiting
# dashboard.jobs.follow's texts: a place in line, or following another visitor's identical run
QUEUE_TEXT = re.compile(r"waiting for a free slot|job\(s\) ahead|shared run|position\s*\d+|in (the )?queue|queued", re.I)


@dataclass
class Node:
    kind: str                 # the Element's oneof name ("imgs", "button", ...) or "block"
    element: object           # the Element / Block protobuf
    run: str                  # script_run_id of the run that wrote it
    fragment: str             # delta.fragment_id ("" outside fragments)


@dataclass
class View:
    """What a visitor sees when a run has settled."""
    seconds: float
    status: str                                   # "ok", "timeout", "closed", "error"
    images: list[str] = field(default_factory=list)   # sha256 of each main-area image, in page order
    image_bytes: int = 0
    texts: list[str] = field(default_factory=list)    # headings, markdown, captions, alerts
    buttons: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)   # st.error bodies
    queue_seen: bool = False                      # a queue position was shown on the way

    @property
    def ok(self) -> bool:
        return self.status == "ok" and not self.exceptions and not self.errors


class Visitor:
    """One browser tab's worth of protocol. ``media=False`` skips fetching images that are not
    asked for (hashes are then only taken of what :meth:`view` fetches)."""

    def __init__(self, base_url: str, name: str = "visitor", media: bool = True) -> None:
        self.base = base_url.rstrip("/")
        self.name = name
        self.media = media
        self.ws = None
        self.http: httpx.AsyncClient | None = None
        self.tree: dict[tuple[int, ...], Node] = {}
        self.run_id = ""
        self.run_fragments: tuple[str, ...] = ()
        self.page_hash = ""
        self.pages: dict[str, str] = {}           # url path -> page_script_hash
        self.query = ""
        self.finished: list[tuple[float, str, int]] = []   # (time, run id, status)
        self.runs_started: list[tuple[float, str]] = []
        self.texts_seen: list[str] = []
        self._changed = asyncio.Event()
        self._reader: asyncio.Task | None = None
        self._timers: dict[str, asyncio.Task] = {}
        self._media: dict[str, asyncio.Task] = {}
        self.closed = False
        self.bytes_in = 0

    # ------------------------------------------------------------------ connection
    async def __aenter__(self) -> "Visitor":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def connect(self) -> None:
        url = self.base.replace("http", "ws", 1) + "/_stcore/stream"
        # No client pings: a browser sends none, and a busy server must not be cut off for a
        # late pong; no size cap on frames.
        self.ws = await websockets.connect(url, subprotocols=["streamlit"], max_size=None,
                                           ping_interval=None, open_timeout=60)
        self.http = httpx.AsyncClient(base_url=self.base, timeout=60)
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        for t in [*self._timers.values(), *self._media.values()]:
            t.cancel()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        if self.http is not None:
            await self.http.aclose()
        self.closed = True

    # ------------------------------------------------------------------ sending
    async def _rerun(self, *, page: str | None = None, widgets: list | None = None,
                     fragment_id: str = "", auto: bool = False) -> None:
        msg = BackMsg()
        rs = msg.rerun_script
        rs.query_string = self.query
        if page is not None:
            h = self.pages.get(page, "")
            if h:
                rs.page_script_hash = h
            else:
                rs.page_name = page
        else:
            rs.page_script_hash = self.page_hash
        for w in widgets or []:
            rs.widget_states.widgets.append(w)
        if fragment_id:
            rs.fragment_id = fragment_id
            rs.is_auto_rerun = auto
        ci = rs.context_info
        ci.timezone, ci.timezone_offset, ci.locale = "UTC", 0, "en-US"
        ci.url = f"{self.base}/{page or ''}"
        ci.is_embedded, ci.color_scheme = False, "light"
        await self.ws.send(msg.SerializeToString())

    async def _auto_rerun(self, fragment_id: str, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            with contextlib.suppress(Exception):
                await self._rerun(fragment_id=fragment_id, auto=True)

    # ------------------------------------------------------------------ receiving
    async def _read(self) -> None:
        try:
            async for data in self.ws:
                self.bytes_in += len(data)
                m = ForwardMsg()
                m.ParseFromString(data)
                self._apply(m)
        except (websockets.ConnectionClosed, asyncio.CancelledError):
            pass
        finally:
            self.closed = True
            self._changed.set()

    def _apply(self, m: ForwardMsg) -> None:
        kind = m.WhichOneof("type")
        now = time.perf_counter()
        if kind == "new_session":
            self.run_id = m.metadata.run.script_run_id
            self.run_fragments = tuple(m.metadata.run.fragment_ids)
            self.page_hash = m.new_session.page_script_hash or self.page_hash
            self.runs_started.append((now, self.run_id))
            for p in m.new_session.app_pages:
                self.pages[p.url_pathname] = p.page_script_hash
        elif kind == "navigation":
            for p in m.navigation.app_pages:
                self.pages[p.url_pathname] = p.page_script_hash
            self.page_hash = m.navigation.page_script_hash or self.page_hash
        elif kind == "page_info_changed":
            self.query = m.page_info_changed.query_string
        elif kind == "auto_rerun":
            fid, every = m.auto_rerun.fragment_id, m.auto_rerun.interval
            if fid not in self._timers:
                self._timers[fid] = asyncio.create_task(self._auto_rerun(fid, every))
        elif kind == "stop_auto_rerun":
            for fid in m.stop_auto_rerun.fragment_ids:
                t = self._timers.pop(fid, None)
                if t is not None:
                    t.cancel()
        elif kind == "delta":
            self._delta(m)
        elif kind == "script_finished":
            run = m.metadata.run.script_run_id or self.run_id
            if m.script_finished == FULL_OK:
                self._prune(lambda n: n.run != run)
            elif m.script_finished == FRAGMENT_OK and self.run_fragments:
                frags = set(self.run_fragments)
                self._prune(lambda n: n.run != run and n.fragment in frags)
            self.finished.append((now, run, m.script_finished))
            self._changed.set()

    def _delta(self, m: ForwardMsg) -> None:
        path = tuple(m.metadata.delta_path)
        d = m.delta
        which = d.WhichOneof("type")
        if which == "new_element":
            el = d.new_element
            kind = el.WhichOneof("type") or "empty"
            # An element replaces whatever was there, children included (st.empty().image(...)).
            for p in [p for p in self.tree if p[:len(path)] == path and p != path]:
                del self.tree[p]
            self.tree[path] = Node(kind, el, self.run_id, d.fragment_id)
            if kind == "imgs" and self.media:
                for img in el.imgs.imgs:
                    self._fetch(img.url)
            text = _text(kind, el)
            if text:
                self.texts_seen.append(text)
        elif which == "add_block":
            self.tree[path] = Node("block", d.add_block, self.run_id, d.fragment_id)

    def _prune(self, stale) -> None:
        for p in [p for p, n in self.tree.items() if stale(n)]:
            del self.tree[p]

    # ------------------------------------------------------------------ media
    def _fetch(self, url: str) -> asyncio.Task:
        if url not in self._media:
            self._media[url] = asyncio.create_task(self._get(url))
        return self._media[url]

    async def _get(self, url: str) -> tuple[str, int]:
        if url.startswith("data:"):
            data = base64.b64decode(url.split(",", 1)[1])
        else:
            path = url if url.startswith("http") else "/" + url.lstrip("/")
            for attempt in range(3):
                try:
                    r = await self.http.get(path)
                    break
                except (httpx.ReadError, httpx.RemoteProtocolError, httpx.ConnectError):
                    # the server closed a kept-alive connection as the request went out (seen
                    # once with 10 visitors): a browser retries on a new connection, so do we
                    if attempt == 2:
                        raise
                    await asyncio.sleep(0.2)
            if r.status_code != 200:
                return f"HTTP {r.status_code}", 0
            data = r.content
        return hashlib.sha256(data).hexdigest(), len(data)

    # ------------------------------------------------------------------ reading the page
    def nodes(self, main_only: bool = True) -> list[Node]:
        return [self.tree[p] for p in sorted(self.tree) if not main_only or p[0] == 0]

    def busy(self) -> bool:
        """A job is running or waiting: a progress bar, or a Stop/Cancel button, on the page."""
        for n in self.nodes(main_only=False):
            if n.kind == "progress":
                return True
            if n.kind == "button" and n.element.button.label in BUSY_BUTTONS:
                return True
        return False

    def button_id(self, label: str) -> str:
        for n in self.nodes(main_only=False):
            if n.kind == "button" and n.element.button.label == label:
                return n.element.button.id
        labels = [n.element.button.label for n in self.nodes(False) if n.kind == "button"]
        raise LookupError(f"{self.name}: no button {label!r} on the page (buttons: {labels})")

    async def view(self, seconds: float, status: str, since_text: int = 0) -> View:
        v = View(seconds=seconds, status=status)
        urls = []
        for n in self.nodes():
            if n.kind == "imgs":
                urls += [i.url for i in n.element.imgs.imgs]
            elif n.kind == "button":
                v.buttons.append(n.element.button.label)
            elif n.kind == "exception":
                v.exceptions.append(n.element.exception.message)
            elif n.kind == "alert" and n.element.alert.format == 1:   # Alert.ERROR
                v.errors.append(n.element.alert.body)
            t = _text(n.kind, n.element)
            if t:
                v.texts.append(t)
        for url in urls:
            digest, size = await self._fetch(url)
            v.images.append(digest)
            v.image_bytes += size
        v.queue_seen = any(QUEUE_TEXT.search(t) for t in self.texts_seen[since_text:])
        return v

    async def _settle(self, t0: float, after: int, timeout: float, accept, since_text: int) -> View:
        """Wait for a ``script_finished`` of a run started after ``after`` runs, accepted by
        ``accept(status)`` with the page not busy; then the view (images fetched)."""
        deadline = t0 + timeout
        while True:
            started = {rid for _, rid in self.runs_started[after:]}
            for _, rid, status in self.finished:
                if rid in started and accept(status) and not self.busy():
                    return await self.view(time.perf_counter() - t0, "ok", since_text)
            if self.closed:
                return await self.view(time.perf_counter() - t0, "closed", since_text)
            left = deadline - time.perf_counter()
            if left <= 0:
                return await self.view(time.perf_counter() - t0, "timeout", since_text)
            self._changed.clear()
            # Look again after every change (and at least twice a second).
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 0.5))

    async def wait_text(self, pattern: str, timeout: float) -> bool:
        """Wait until some element on the page (sidebar included) says ``pattern`` (a regex);
        fragments keep rerunning meanwhile. False on timeout."""
        rx, deadline = re.compile(pattern), time.perf_counter() + timeout
        while time.perf_counter() < deadline and not self.closed:
            if any(rx.search(_text(n.kind, n.element)) for n in self.nodes(main_only=False)):
                return True
            self._changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), 0.5)
        return False

    # ------------------------------------------------------------------ what a person does
    async def open(self, page: str, timeout: float = 120) -> View:
        """Open a page (connecting first if needed) and wait for its first full render, images
        loaded: the time a person waits from typing the address (or clicking the link)."""
        t0 = time.perf_counter()
        if self.ws is None:
            await self.connect()
        after, since_text = len(self.runs_started), len(self.texts_seen)
        self.finished.clear()
        await self._rerun(page=page)
        return await self._settle(t0, after, timeout, lambda s: s == FULL_OK, since_text)

    async def press(self, label: str, timeout: float = 600) -> View:
        """Press a button and wait until the page has settled (no progress bar, no Stop or
        Cancel button) after a run that started after the press: the job's result."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        w = WidgetState(id=self.button_id(label), trigger_value=True)
        t0 = time.perf_counter()
        after, since_text = len(self.runs_started), len(self.texts_seen)
        self.finished.clear()
        await self._rerun(widgets=[w])
        return await self._settle(t0, after, timeout, lambda s: s in (FULL_OK, FRAGMENT_OK),
                                  since_text)


def _text(kind: str, el) -> str:
    if kind == "heading":
        return el.heading.body
    if kind == "markdown":
        return el.markdown.body
    if kind == "alert":
        return el.alert.body
    if kind == "progress":
        return el.progress.text
    if kind == "text":
        return el.text.body
    if kind == "imgs":
        return " ".join(i.caption for i in el.imgs.imgs if i.caption)
    return ""
