"""``make docker-smoke``: build the image, run it with no network, and visit every page in it.

    python scripts/docker_smoke.py [--cold] [--no-tabs] [--ref HEAD] [--base IMAGE] [--keep]

1. The base image: ``cnnlab-base`` from Debian's packages (``scripts/docker_base.sh``) when it is
   missing; ``--base python:3.11-slim`` where a registry can be reached.
2. The build (podman, or docker with ``CNNLAB_CONTAINER=docker``), given this machine's own
   package-index settings without naming any of them in the repository: ``pip config list`` is
   merged into one pip.conf that is mounted at /etc/pip.conf for the build only, with every
   local folder or file it names (wheel folders, file:// indexes, constraints, the CA bundle)
   mounted read-only at the same path, and the build's RUN steps on the host's network. torch
   comes from there ($TORCH_PINS, the Makefile's pins), not from PyPI's CPU index. ``--cold``
   builds once without cache and once more with it, and prints both times.
3. The container runs with ``--network none``. Such a container cannot publish a port, so the
   script listens on 127.0.0.1:<free port> itself and a forwarder started inside the container's
   network namespace (``nsenter --net``, no other namespace) carries each connection to the app's
   port there: every byte stays on loopback addresses.
4. It waits for ``/_stcore/health``, opens every page of ``dashboard.nav`` (and every tab on it,
   unless ``--no-tabs``) in headless Chromium, fails on any exception element or "This view
   failed" message, saves one screenshot per page (and tab) under /tmp/docker/, prints the image
   size, build time(s), cold start to health and to the first render, and removes the container.
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

IMAGE, NAME, APP_PORT = "cnnlab:smoke", "cnnlab-smoke", 8501
LOCAL_BASE = "cnnlab-base"
OUT = Path("/tmp/docker")
FAILED = ("() => [...document.querySelectorAll('[data-testid=\"stAlert\"]')].map(e => e.innerText)"
          ".filter(t => t.includes('This view failed'))")
MULTI = ("find-links", "extra-index-url", "trusted-host")   # pip settings that add up


def say(msg: str) -> None:
    print(f"[docker-smoke] {msg}", flush=True)


def engine() -> str:
    found = os.environ.get("CNNLAB_CONTAINER") or shutil.which("podman") or shutil.which("docker")
    if not found:
        raise SystemExit("docker-smoke: install podman (apt-get install podman buildah debootstrap)")
    return found


def podman(eng: str) -> bool:
    return Path(eng).name.startswith("podman")


def sh(*cmd: str, check: bool = True, capture: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=check, text=True,
                          stdout=subprocess.PIPE if capture else None,
                          stderr=subprocess.STDOUT if capture else None)


def image_exists(eng: str, image: str) -> bool:
    return sh(eng, "image", "inspect", image, check=False).returncode == 0


# --- what the OCI runtime needs on this machine ------------------------------------------------

def runtime_flags(eng: str, image: str) -> list[str]:
    """The first set of flags with which a container starts here.

    Engines ask for open-file and process limits above what a sandboxed host may grant (podman:
    1048576 files), and crun refuses hybrid cgroup hierarchies; runc, with the host's own limits,
    does not. Probed once with ``true``.
    """
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    nproc = 32768 if nproc == resource.RLIM_INFINITY else min(nproc, 32768)
    limits = ["--ulimit", f"nofile={nofile}:{nofile}", "--ulimit", f"nproc={nproc}:{nproc}"]
    candidates: list[list[str]] = [[], limits]
    if podman(eng) and shutil.which("runc"):
        candidates += [["--runtime", "runc"], ["--runtime", "runc", *limits]]
    errors = []
    for flags in candidates:
        r = sh(eng, "run", "--rm", "--network", "none", *flags, image, "true", check=False)
        if r.returncode == 0:
            return flags
        errors.append(f"{' '.join(flags) or '(no flags)'}: {r.stdout.strip().splitlines()[-1:]}")
    raise SystemExit("docker-smoke: no container starts here:\n  " + "\n  ".join(errors))


# --- this machine's package-index settings, for the build only ---------------------------------

def pip_settings() -> dict[str, str]:
    """``pip config list`` (global, user, site and PIP_* variables) merged into one section."""
    out = sh(sys.executable, "-m", "pip", "config", "list").stdout
    merged: dict[str, str] = {}
    for line in out.splitlines():
        scope_key, _, value = line.partition("=")
        if not value or "." not in scope_key:
            continue
        key = scope_key.split(".", 1)[1]
        value = ast.literal_eval(value)
        if key in MULTI and key in merged:
            words = merged[key].split()
            value = " ".join(words + [w for w in value.split() if w not in words])
        merged[key] = value
    return merged


def local_paths(settings: dict[str, str]) -> list[str]:
    """Local files and folders the settings name; a file:// index's parent folder (its pages link
    to ../../files)."""
    paths: list[str] = []
    for value in settings.values():
        for word in value.split():
            path = urlparse(word).path if word.startswith("file://") else word
            if not path.startswith("/") or not os.path.exists(path):
                continue
            path = path.rstrip("/")
            if word.startswith("file://") and path.endswith("/simple"):
                path = os.path.dirname(path)
            paths.append(path)
    paths = sorted(set(paths))
    return [p for p in paths if not any(p.startswith(q + "/") for q in paths)]


def build_args(eng: str, tmp: Path, base: str, torch_index: str | None, flags: list[str],
               prefetch: bool) -> list[str]:
    args = ["--build-arg", f"BASE={base}", "--build-arg", f"PREFETCH={int(prefetch)}",
            "--build-arg", f"TORCH_PINS={os.environ.get('TORCH_PINS', 'torch torchvision')}"]
    if torch_index is not None:
        args += ["--build-arg", f"TORCH_INDEX={torch_index}"]
    if not podman(eng):       # docker build: no volumes; the user's own network and indexes
        return args + ["--network", "host"]
    settings = pip_settings()
    conf = tmp / "pip.conf"
    conf.write_text("[global]\n" + "".join(f"{k} = {v}\n" for k, v in settings.items()))
    args += ["--format", "docker", "--network", "host", *flags, "-v", f"{conf}:/etc/pip.conf:ro"]
    for path in local_paths(settings):
        args += ["-v", f"{path}:{path}:ro"]
    return args


def blob_dir() -> dict[str, str]:
    """Where the engine writes a layer's tarball while it commits it (TMPDIR, default /var/tmp).

    Committing a layer holds it three times on disk for a moment (the build container's files,
    that tarball, the new layer): ~12 GB for the 4 GB of CUDA libraries torch's wheels bring.
    Memory-backed /dev/shm takes the tarball when it and the memory have room for it.
    """
    shm = Path("/dev/shm")
    avail = 0
    with contextlib.suppress(OSError):
        avail = next(int(line.split()[1]) * 1024 for line in open("/proc/meminfo")
                     if line.startswith("MemAvailable:"))
    roomy = shm.is_dir() and shutil.disk_usage(shm).free > 8e9 and avail > 12e9
    return {"TMPDIR": tempfile.mkdtemp(prefix="cnnlab-blobs-", dir=shm if roomy else None)}


def build(eng: str, context: Path, args: list[str], no_cache: bool, log: Path) -> float:
    cmd = [eng, "build", *args, *(["--no-cache"] if no_cache else []), "-t", IMAGE, str(context)]
    say(("cold build (--no-cache): " if no_cache else "build: ") + " ".join(cmd))
    env = blob_dir()
    t0 = time.monotonic()
    try:
        with open(log, "a") as f:
            r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env={**os.environ, **env})
    finally:
        shutil.rmtree(env["TMPDIR"], ignore_errors=True)
    seconds = time.monotonic() - t0
    if r.returncode:
        print(log.read_text()[-4000:])
        raise SystemExit(f"docker-smoke: the build failed (exit {r.returncode}); log: {log}")
    return seconds


@contextlib.contextmanager
def build_context(ref: str | None):
    """The working tree, or a clean export of a commit (``--ref``)."""
    if not ref:
        yield ROOT
        return
    with tempfile.TemporaryDirectory(prefix="cnnlab-context-") as d:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", ref],
                                 check=True, stdout=subprocess.PIPE).stdout
        subprocess.run(["tar", "-x", "-C", d], input=archive, check=True)
        yield Path(d)


# --- a port on 127.0.0.1 for a container without a network -------------------------------------

def forward(fd: int, port: int) -> None:
    """Inside the container's network namespace: accept on the inherited listening socket (made
    in the host's namespace, where it stays) and connect each client to 127.0.0.1:port here."""
    listener = socket.socket(fileno=fd)

    def pump(a: socket.socket, b: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := a.recv(1 << 16):
                b.sendall(data)
        with contextlib.suppress(OSError):
            b.shutdown(socket.SHUT_WR)

    while True:
        client, _ = listener.accept()
        try:
            upstream = socket.create_connection(("127.0.0.1", port), timeout=5)
            upstream.settimeout(None)
        except OSError:
            client.close()
            continue
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=pump, args=(a, b), daemon=True).start()


def start_forwarder(pid: int) -> tuple[subprocess.Popen, int]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    fd = listener.fileno()
    proc = subprocess.Popen(["nsenter", f"--target={pid}", "--net", "--", sys.executable, __file__,
                             "--forward-fd", str(fd), "--to", str(APP_PORT)], pass_fds=[fd])
    listener.close()
    return proc, port


def wait_health(url: str, container_alive, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=3) as r:
                if r.status == 200 and r.read().strip() == b"ok":
                    return
        if not container_alive():
            raise SystemExit("docker-smoke: the container exited before it was healthy")
        time.sleep(0.25)
    raise SystemExit(f"docker-smoke: no /_stcore/health within {timeout:.0f} s")


# --- every page in Chromium --------------------------------------------------------------------

def slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")


def visit(url: str, tabs: bool, t_run: float) -> tuple[list[str], list[dict]]:
    from dashboard import nav
    from tests.e2e.browser import browser_page, exceptions_on, wait_rendered

    problems: list[str] = []
    views: list[dict] = []

    def check(page, where: str, shot: str, t0: float) -> None:
        found = [f"{where}: exception {e[:200]!r}" for e in exceptions_on(page)]
        found += [f"{where}: {t[:200]!r}" for t in page.evaluate(FAILED)]
        if page.get_by_text("Page not found", exact=True).count():
            found.append(f"{where}: Streamlit says 'Page not found' for {page.url}")
        page.screenshot(path=str(OUT / shot))
        views.append({"view": where, "seconds": round(time.monotonic() - t0, 2), "ok": not found,
                      "screenshot": str(OUT / shot)})
        say(f"  {where:<55} {time.monotonic() - t0:6.1f} s  {'ok' if not found else 'FAILED'}")
        problems.extend(found)

    with browser_page(1400, 3200) as page:
        pages = [("", "Home")] + [(t.url, t.title) for t in nav.TOPICS]   # home is the app's "/"
        for n, (path, title) in enumerate(pages):
            t0 = time.monotonic()
            page.goto(f"{url}/{path}")
            wait_rendered(page, 180_000)
            if n == 0:
                views.append({"first_render_s": round(time.monotonic() - t_run, 1)})
            check(page, title, f"{n:02d}-{path or 'home'}.png", t0)
            if not tabs or not path:
                continue
            bar = page.locator('[data-testid="stTabs"]').first.get_by_role("tab")
            titles = [t.strip() for t in bar.all_inner_texts()]
            if not titles:
                problems.append(f"{title}: no tabs on the page")
            for i, tab in enumerate(titles[1:], start=1):
                t0 = time.monotonic()
                bar.nth(i).click()
                wait_rendered(page, 180_000)
                check(page, f"{title} › {tab}", f"{n:02d}-{path}-{i + 1}-{slug(tab)}.png", t0)
    return problems, views


def container_rss_mb(pid: int) -> float:
    """RSS of the container's processes (the app and what it started), from /proc."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
    return total / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cold", action="store_true", help="build without cache first, then with it")
    ap.add_argument("--no-tabs", dest="tabs", action="store_false", help="open each page's first tab only")
    ap.add_argument("--ref", help="build a clean export of this commit instead of the working tree")
    ap.add_argument("--base", default=LOCAL_BASE, help=f"base image (default {LOCAL_BASE}, made here if missing)")
    ap.add_argument("--torch-index", default="",
                    help="TORCH_INDEX for the build (default empty: this machine's pip settings; "
                         "'default': the Dockerfile's PyTorch CPU index)")
    ap.add_argument("--prefetch", action="store_true", help="let the build download pretrained weights")
    ap.add_argument("--keep", action="store_true", help="leave the container running at the end")
    ap.add_argument("--forward-fd", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--to", type=int, default=APP_PORT, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.forward_fd is not None:
        forward(a.forward_fd, a.to)
        return 0

    eng = engine()
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()
    log = OUT / "build.log"
    log.write_text("")
    summary: dict = {"engine": sh(eng, "--version").stdout.strip()}
    if a.base == LOCAL_BASE and not image_exists(eng, LOCAL_BASE):
        say(f"{LOCAL_BASE} is missing: scripts/docker_base.sh")
        t0 = time.monotonic()
        subprocess.run(["bash", str(ROOT / "scripts" / "docker_base.sh"), LOCAL_BASE], check=True,
                       env={**os.environ, "CNNLAB_CONTAINER": eng})
        summary["base_image_s"] = round(time.monotonic() - t0, 1)
    flags = runtime_flags(eng, a.base)
    say(f"runtime flags: {' '.join(flags) or '(none)'}")
    torch_index = None if a.torch_index == "default" else a.torch_index
    with tempfile.TemporaryDirectory(prefix="cnnlab-smoke-") as tmp, build_context(a.ref) as context:
        args = build_args(eng, Path(tmp), a.base, torch_index, flags, a.prefetch)
        if a.cold:
            sh(eng, "rmi", "-f", IMAGE, check=False)       # and the layers cached for it
            sh(eng, "image", "prune", "-f", check=False)
            summary["build_cold_s"] = round(build(eng, context, args, True, log), 1)
        summary["build_cached_s" if a.cold else "build_s"] = round(build(eng, context, args, False, log), 1)
    size = int(sh(eng, "image", "inspect", IMAGE, "--format", "{{.Size}}").stdout.strip())
    summary["image_size_gb"] = round(size / 1e9, 2)
    summary["base_size_gb"] = round(int(sh(eng, "image", "inspect", a.base, "--format", "{{.Size}}")
                                        .stdout.strip()) / 1e9, 2)

    sh(eng, "rm", "-f", NAME, check=False)
    forwarder = None
    problems: list[str] = []
    try:
        t_run = time.monotonic()
        sh(eng, "run", "-d", "--name", NAME, "--network", "none", *flags, "-e", "CNNLAB_OFFLINE=1", IMAGE)
        pid = int(sh(eng, "inspect", "-f", "{{.State.Pid}}", NAME).stdout.strip())
        forwarder, port = start_forwarder(pid)
        url = f"http://127.0.0.1:{port}"
        network = sh(eng, "inspect", "-f", "{{.HostConfig.NetworkMode}}", NAME).stdout.strip()
        say(f"container {NAME} (network {network}) on {url} via a loopback forwarder")

        def alive() -> bool:
            return sh(eng, "inspect", "-f", "{{.State.Running}}", NAME, check=False).stdout.strip() == "true"

        wait_health(url, alive)
        summary["cold_start_to_health_s"] = round(time.monotonic() - t_run, 1)
        say(f"healthy after {summary['cold_start_to_health_s']} s; visiting every page")
        problems, views = visit(url, a.tabs, t_run)
        summary["cold_start_to_first_render_s"] = views[0]["first_render_s"]
        summary["views"] = views[1:]
        summary["rss_after_all_views_mb"] = round(container_rss_mb(pid), 0)
        logs = sh(eng, "logs", NAME, check=False).stdout
        (OUT / "container.log").write_text(logs)
        summary["tracebacks_in_log"] = logs.count("Traceback (most recent call last)")
    finally:
        if forwarder is not None:
            forwarder.terminate()
            forwarder.wait(5)
        if not a.keep:
            sh(eng, "rm", "-f", "-t", "5", NAME, check=False)
    summary["problems"] = problems
    (OUT / "smoke.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False))

    views = summary["views"]
    print("\n== docker-smoke")
    print(f"engine                 {summary['engine']}")
    print(f"image                  {IMAGE}: {summary['image_size_gb']} GB (base {a.base}: {summary['base_size_gb']} GB)")
    if "base_image_s" in summary:
        print(f"base image made in     {summary['base_image_s']} s")
    if a.cold:
        print(f"build, cold            {summary['build_cold_s']} s (--no-cache)")
        print(f"build, with cache      {summary['build_cached_s']} s")
    else:
        print(f"build                  {summary['build_s']} s (with the cache as found)")
    print(f"cold start → health    {summary['cold_start_to_health_s']} s")
    print(f"cold start → render  {summary['cold_start_to_first_render_s']} s (home page in Chromium)")
    print(f"views                  {sum(v['ok'] for v in views)}/{len(views)} without errors, "
          f"slowest {max(views, key=lambda v: v['seconds'])['view']} "
          f"({max(v['seconds'] for v in views):.1f} s); screenshots in {OUT}")
    print(f"container RSS          {summary['rss_after_all_views_mb']:.0f} MB after all views")
    print(f"tracebacks in its log  {summary['tracebacks_in_log']} ({OUT / 'container.log'})")
    for p in problems:
        print(f"PROBLEM  {p}")
    print("docker-smoke: " + ("FAILED" if problems else "passed"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
