"""kedro-viz: the static build renders the pipeline's nodes in headless Chromium."""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from kedro_project import make_project

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
    "--window-size=1600,1000",
]


def test_viz_build_renders_every_pipeline_node(tmp_path):
    chromium = shutil.which("chromium")
    assert chromium, "headless Chromium is missing: `make test` installs the Debian packages chromium, chromium-driver"
    project = make_project(tmp_path / "project")
    kedro = str(Path(sys.executable).with_name("kedro"))
    subprocess.run([kedro, "viz", "build"], cwd=project, check=True, capture_output=True)
    assert (project / "build" / "api" / "main").exists()

    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(project / "build"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        dom = subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", url],
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
        subprocess.run(
            [
                chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={tmp_path / 'profile2'}",
                f"--screenshot={tmp_path / 'dag.png'}",
                url,
            ],
            capture_output=True,
            timeout=120,
        )
    finally:
        server.shutdown()
    for node in (
        "index_images",
        "resize_for_model",
        "build_augmentation",
        "train_unet",
        "score_validation",
        "make_submission",
    ):
        assert node in dom, f"{node} is not on the rendered page"
    assert (tmp_path / "dag.png").stat().st_size > 20_000  # a rendered page, not a blank one
