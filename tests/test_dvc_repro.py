"""`dvc repro` in a scratch clone on tiny data: every stage runs, the lock is written, a second
repro does nothing, a forced retraining reproduces the model byte for byte, and a training
parameter re-runs only training and what follows it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[1]
TINY = {
    "parameters_generate.yml": {"synthetic": {"train_cars": 3, "test_cars": 1, "width": 96, "height": 64}},
    "parameters_ingestion.yml": {"ingestion": {"input_height": 64, "input_width": 96, "validation_fraction": 0.34}},
    "parameters_training.yml": {"model": {"overrides": {"depth": 2, "base_filters": 4}}, "training": {"epochs": 1}},
    "parameters_evaluation.yml": {"evaluation": {"worst_images": 2}},
    "parameters_refinement.yml": {"refinement": {"epochs": 2, "crops_per_image": 4}},
}


def _merge(base: dict, update: dict) -> dict:
    return {**base, **{k: _merge(base.get(k, {}), v) if isinstance(v, dict) else v for k, v in update.items()}}


def set_params(repo: Path, changes: dict[str, dict]) -> None:
    for name, update in changes.items():
        path = repo / "conf" / "base" / name
        path.write_text(yaml.safe_dump(_merge(yaml.safe_load(path.read_text()), update)))


def sh(repo: Path, *command: str) -> str:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "COLUMNS": "200"}
    result = subprocess.run(command, cwd=repo, capture_output=True, text=True, env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{output[-4000:]}"
    return output


def stages_run(output: str) -> set[str]:
    return set(re.findall(r"Running stage '(\w+)'", output))


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    repo = tmp_path_factory.mktemp("clone") / "carvana-unet"
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=PROJECT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in files:
        if (PROJECT / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT / name, repo / name)
    (repo / "dvc.lock").unlink(missing_ok=True)
    set_params(repo, TINY)
    sh(repo, "git", "init", "-q")
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "scratch")
    return repo


def test_repro_runs_everything_then_nothing_then_only_downstream(repo):
    first = sh(repo, "dvc", "repro")
    assert stages_run(first) == {"generate", "ingestion", "augmentation", "training", "evaluation", "submission"}
    lock = yaml.safe_load((repo / "dvc.lock").read_text())
    assert set(lock["stages"]) == stages_run(first)
    assert (repo / "data/07_model_output/submission.csv").exists()

    assert stages_run(sh(repo, "dvc", "repro")) == set()

    # Same code, data and parameters: a forced retraining gives the same bytes (the U-Net, the refinement
    # crops and the refiner), so nothing downstream reruns.
    history = (repo / "data/08_reporting/training_history.csv").read_bytes()
    assert stages_run(sh(repo, "dvc", "repro", "-f", "-s", "training")) == {"training"}
    assert yaml.safe_load((repo / "dvc.lock").read_text())["stages"]["training"] == lock["stages"]["training"]
    assert (repo / "data/08_reporting/training_history.csv").read_bytes() == history
    assert stages_run(sh(repo, "dvc", "repro")) == set()

    set_params(repo, {"parameters_training.yml": {"training": {"learning_rate": 0.001}}})
    assert stages_run(sh(repo, "dvc", "repro")) == {"training", "evaluation", "submission"}

    metrics = sh(repo, "dvc", "metrics", "show")
    assert "dice_mean" in metrics
    plots = sh(repo, "dvc", "plots", "show", "-o", str(repo / "plots"))
    assert (repo / "plots" / "index.html").exists(), plots
