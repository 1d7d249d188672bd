"""`mlflow models serve` on a free port of 127.0.0.1, for the serving test and benchmarks/predict.py."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(model_uri: str, env: dict[str, str] | None = None, timeout: float = 180) -> tuple[subprocess.Popen, str]:
    """The server and its base URL, once it answers /ping; stop it with `stop`."""
    port = free_port()
    env = {**os.environ, **(env or {}), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    command = [
        str(Path(sys.executable).with_name("mlflow")),
        "models",
        "serve",
        "-m",
        model_uri,
        "--env-manager",
        "local",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
    ]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/ping", timeout=2):
                return server, base
        except OSError:
            if server.poll() is not None:
                raise RuntimeError("mlflow models serve exited before it answered /ping") from None
            time.sleep(1)
    stop(server)
    raise RuntimeError(f"mlflow models serve did not answer /ping within {timeout:.0f} s")


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)  # the CLI and the uvicorn workers it started
    server.wait(timeout=30)


def post(url: str, body: bytes) -> tuple[int, dict]:
    """POST JSON; the status and the decoded answer, errors included."""
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def invocation(photo: Path) -> bytes:
    """The request body for one photo file."""
    from carvana_unet.serving import encode_image  # noqa: PLC0415 - only the callers that post need it

    return json.dumps({"dataframe_split": {"columns": ["image"], "data": [[encode_image(photo)]]}}).encode()
