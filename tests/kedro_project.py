"""Running the real project with `kedro run` inside a scratch copy of its config."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]


def make_project(dest: Path) -> Path:
    """pyproject.toml and conf/base of this project, with an empty conf/local and data/."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT / "pyproject.toml", dest)
    shutil.copytree(PROJECT / "conf" / "base", dest / "conf" / "base")
    (dest / "conf" / "local").mkdir()
    (dest / "src").mkdir()  # Kedro requires it; the package itself is installed (editable)
    return dest


def tiny_params(raw_dir: Path, **overrides: Any) -> dict[str, Any]:
    params = {
        "raw_dir": str(raw_dir),
        "ingestion": {"input_height": 64, "input_width": 96, "validation_fraction": 0.34},
        "model": {"overrides": {"depth": 2, "base_filters": 4}},
        "training": {"epochs": 1, "batch_size": 8},
        "evaluation": {"worst_images": 2},
    }
    for key, value in overrides.items():
        params[key] = {**params.get(key, {}), **value} if isinstance(value, dict) else value
    return params


def dotted(params: dict[str, Any], prefix: str = "") -> list[str]:
    items = []
    for key, value in params.items():
        if isinstance(value, dict):
            items += dotted(value, f"{prefix}{key}.")
        else:
            items.append(f"{prefix}{key}={value}")
    return items


def run(project: Path, pipeline: str, params: dict[str, Any]) -> str:
    """`kedro run` in its own process, as a user types it (kedro-mlflow keeps one run per process).

    Returns the output; raises with the output when the run fails.
    """
    kedro = Path(sys.executable).with_name("kedro")
    command = [str(kedro), "run", "--pipelines", pipeline, "--params", ",".join(dotted(params))]
    result = subprocess.run(command, cwd=project, capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
    output = result.stdout + result.stderr
    if result.returncode:
        raise KedroRunFailed(f"kedro run --pipelines {pipeline} failed:\n{output[-4000:]}")
    return output


class KedroRunFailed(RuntimeError):
    """A `kedro run` that exited non-zero; the message ends with its output."""


def raw_folder(entry: str, path: Path, suffix: str):  # noqa: ANN201 - a RawImageFolder
    """A raw folder whose files load as conf/base/catalog.yml's `entry` loads them (its per-file dataset)."""
    import yaml  # noqa: PLC0415 - only the tests that read raw files need these

    from carvana_unet.datasets import RawImageFolder  # noqa: PLC0415

    dataset = yaml.safe_load((PROJECT / "conf" / "base" / "catalog.yml").read_text())[entry]["dataset"]
    return RawImageFolder(path=str(path), dataset=dataset, filename_suffix=suffix)
