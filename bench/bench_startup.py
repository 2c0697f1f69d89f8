"""Cold start: seconds from `streamlit run` to the home page's title in Chromium, against a
one-line Streamlit app started the same way in the same run (the reference).

Also reports the first render of a page that loads the ImageNet model, and the model load alone.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.browser import browser_page, streamlit_server, wait_rendered  # noqa: E402


def first_render(url_suffix: str = "", script: Path | None = None) -> float:
    t0 = time.perf_counter()
    env = {"CNNLAB_OFFLINE": "1"}
    if script is None:
        ctx = streamlit_server(env=env)
    else:
        ctx = _server_for(script, env)
    with ctx as url, browser_page() as page:
        page.goto(url + url_suffix)
        wait_rendered(page)
        return time.perf_counter() - t0


def _server_for(script: Path, env):
    import contextlib
    import socket
    import subprocess

    from tests.e2e.browser import free_port

    @contextlib.contextmanager
    def run():
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script),
                                 "--server.port", str(port), "--server.headless", "true",
                                 "--browser.gatherUsageStats", "false"],
                                env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                                stderr=subprocess.STDOUT)
        try:
            while True:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
                    break
                time.sleep(0.2)
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(10)
    return run()


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        hello = Path(d) / "hello.py"
        hello.write_text("import streamlit as st\nst.title('hello')\n")
        ref = first_render(script=hello)
    home = first_render()
    t = time.perf_counter()
    from core import zoo
    zoo.load("imagenet")
    model = time.perf_counter() - t
    print(f"reference: one-line Streamlit app, cold start to first render   {ref:6.2f} s")
    print(f"CNN Lab home page, cold start to first render                    {home:6.2f} s"
          f"  ratio {home / ref:.2f}")
    print(f"offline ImageNet model load (torch import included)              {model:6.2f} s"
          f"  ratio {model / ref:.2f}")


if __name__ == "__main__":
    main()
