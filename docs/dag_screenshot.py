"""Draw docs/pipeline-dag.png: kedro-viz's static build in headless Chromium, legible.

Usage, from the project root: python docs/dag_screenshot.py   (needs `chromium`: `make browser`)
A fresh browser profile would open kedro-viz's feature tour over the graph and fit the whole DAG
into a small window; the page is served with kedro-viz's own settings preset instead (tour off,
sidebar and minimap hidden, light theme) and captured in a window tall enough for readable names.
"""

from __future__ import annotations

import contextlib
import functools
import json
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=15000",
]
WINDOW = "--window-size=1800,2000"
# What kedro-viz reads from localStorage at start (keys as in its bundle): no tour, graph only.
SETTINGS = {
    "showFeatureHints": "false",
    "KedroViz": json.dumps(
        {"showFeatureHints": False, "theme": "light", "visible": {"sidebar": False, "miniMap": False}}
    ),
}
SCREENSHOT_PAGE = "screenshot.html"


def build_site(project: Path) -> Path:
    """`kedro viz build` in `project`, plus a copy of its page that applies SETTINGS first."""
    kedro = Path(sys.executable).with_name("kedro")
    subprocess.run([str(kedro), "viz", "build"], cwd=project, check=True, capture_output=True)
    site = project / "build"
    page = (site / "index.html").read_text()
    preset = "".join(f"localStorage.setItem({json.dumps(k)}, {json.dumps(v)});" for k, v in SETTINGS.items())
    (site / SCREENSHOT_PAGE).write_text(page.replace("<head>", f"<head><script>{preset}</script>", 1))
    return site


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # one line per file fetched is noise here
        pass


@contextlib.contextmanager
def served(site: Path) -> Iterator[str]:
    """The folder over HTTP on a free port of 127.0.0.1; yields its base URL."""
    handler = functools.partial(QuietHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


def chromium(url: str, profile: Path, *flags: str) -> subprocess.CompletedProcess:
    browser = shutil.which("chromium")
    if not browser:
        raise FileNotFoundError("headless Chromium is missing: `make browser` installs it")
    command = [browser, *CHROMIUM_FLAGS, WINDOW, f"--user-data-dir={profile}", *flags, url]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def screenshot(url: str, out: Path, profile: Path) -> None:
    chromium(url + SCREENSHOT_PAGE, profile, f"--screenshot={out}")


def main() -> None:
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch) / "project"
        project.mkdir()
        shutil.copy(root / "pyproject.toml", project)
        shutil.copytree(root / "conf" / "base", project / "conf" / "base")
        (project / "conf" / "local").mkdir()
        (project / "src").mkdir()
        with served(build_site(project)) as url:
            screenshot(url, root / "docs" / "pipeline-dag.png", Path(scratch) / "profile")
    print(f"wrote {root / 'docs' / 'pipeline-dag.png'}")


if __name__ == "__main__":
    main()
