"""DVC on tiny data in a scratch git repository, as a team uses it.

`dvc repro` runs every stage as one MLflow run; a teammate's clone gets every output with `dvc pull`
and has nothing to rerun; a second repro does nothing; a forced retraining reproduces the model byte
for byte; a training parameter reruns only training and what follows it; two commits compare with
`dvc metrics/params/plots diff`; experiments compare with `dvc exp show`; the quality environment is a
parameter DVC tracks, and conf/local files DVC cannot see are refused.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from mlflow.tracking import MlflowClient

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


def commit(repo: Path, message: str) -> None:
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message)


# What a teammate needs without retraining: the models, the threshold, the figures and the reports.
RESULTS = (
    "data/06_models/unet.keras",
    "data/06_models/refiner.keras",
    "data/07_model_output/threshold.json",
    "data/07_model_output/submission.csv",
    "data/05_model_input/augmentation.json",
    "data/08_reporting/metrics.json",
    "data/08_reporting/dice_histogram.png",
    "data/08_reporting/training_history.csv",
)


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
    sh(repo, "dvc", "remote", "add", "-f", "-d", "local", str(repo.parent / "remote"))
    commit(repo, "scratch")
    return repo


@pytest.fixture(scope="module")
def first_repro(repo) -> str:
    """The first `dvc repro`, committed as DVC's own examples commit one: dvc.lock and the small reports."""
    output = sh(repo, "dvc", "repro")
    commit(repo, "first results")
    return output


def test_first_repro_runs_every_stage_into_one_mlflow_run(repo, first_repro):
    assert stages_run(first_repro) == {"generate", "ingestion", "augmentation", "training", "evaluation", "submission"}
    lock = yaml.safe_load((repo / "dvc.lock").read_text())
    assert set(lock["stages"]) == stages_run(first_repro)
    assert "conf/local/parameters.yml" in lock["stages"]["training"]["params"]

    client = MlflowClient(f"sqlite:///{repo / 'mlflow.db'}")
    runs = client.search_runs([client.get_experiment_by_name("carvana_unet").experiment_id])
    assert len(runs) == 1, [run.info.run_name for run in runs]  # generate is not tracked; the other five share it
    run = runs[0]
    assert run.info.run_name == "dvc repro"
    assert {"eval_dice_mean", "loss", "val_dice", "refiner.loss"} <= set(run.data.metrics)  # evaluation and training
    assert run.data.params["training.epochs"] == "1" and run.data.params["ingestion.input_width"] == "96"
    artifacts = {artifact.path for artifact in client.list_artifacts(run.info.run_id)}
    assert {"unet.keras", "dice_histogram.png"} <= artifacts, artifacts
    (version,) = client.search_model_versions("name = 'carvana-unet'")
    assert version.run_id == run.info.run_id


def test_a_teammates_pull_restores_every_output_and_leaves_nothing_to_run(repo, first_repro, tmp_path):
    sh(repo, "dvc", "push")
    clone = tmp_path / "teammate"
    sh(tmp_path, "git", "clone", "-q", str(repo), str(clone))
    sh(clone, "dvc", "pull")
    assert "up to date" in sh(clone, "dvc", "status")
    assert stages_run(sh(clone, "dvc", "repro")) == set()
    for path in RESULTS:
        assert (clone / path).read_bytes() == (repo / path).read_bytes(), path


def test_repro_runs_nothing_then_only_downstream_and_commits_compare(repo, first_repro):
    lock = yaml.safe_load((repo / "dvc.lock").read_text())
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
    commit(repo, "learning rate 0.001")

    # Both revisions keep their metrics (git has them), so each side of the diff has a value.
    metrics = json.loads(sh(repo, "dvc", "metrics", "diff", "HEAD~1", "--all", "--json"))
    dice = metrics["data/08_reporting/metrics.json"]["dice_mean"]
    assert isinstance(dice["old"], float) and isinstance(dice["new"], float), dice
    params = json.loads(sh(repo, "dvc", "params", "diff", "HEAD~1", "--json"))
    assert params["conf/base/parameters_training.yml"]["training.learning_rate"]["new"] == 0.001
    plots = json.loads(sh(repo, "dvc", "plots", "diff", "HEAD~1", "HEAD", "--json"))["data"]
    assert set(plots["Loss per epoch"][0]["revisions"]) == {"HEAD~1", "HEAD"}
    sh(repo, "dvc", "plots", "diff", "HEAD~1", "HEAD", "-o", str(repo.parent / "plots"))
    assert (repo.parent / "plots" / "index.html").exists()


def test_experiments_list_their_parameters_and_dice_side_by_side(repo, first_repro):
    for seed in (1, 2):
        sh(
            repo,
            "dvc",
            "exp",
            "run",
            "-n",
            f"seed-{seed}",
            "-S",
            f"conf/base/parameters_training.yml:training.seed={seed}",
        )
    shown = json.loads(sh(repo, "dvc", "exp", "show", "--json"))
    found = {}
    for baseline in shown:
        for experiment in baseline.get("experiments") or []:
            data = experiment["revs"][0]["data"]
            seed = data["params"]["conf/base/parameters_training.yml"]["data"]["training"]["seed"]
            found[experiment["name"]] = (seed, data["metrics"]["data/08_reporting/metrics.json"]["data"]["dice_mean"])
    assert {name: seed for name, (seed, _) in found.items()} == {"seed-1": 1, "seed-2": 2}
    assert all(0 <= dice <= 1 for _, dice in found.values())
    sh(repo, "dvc", "exp", "branch", "seed-2", "chosen")
    assert "seed: 2" in sh(repo, "git", "show", "chosen:conf/base/parameters_training.yml")
    sh(repo, "dvc", "exp", "apply", "seed-1")
    assert json.loads((repo / "data/08_reporting/metrics.json").read_text())["dice_mean"] == found["seed-1"][1]
    sh(repo, "git", "checkout", "-q", "--", ".")
    sh(repo, "dvc", "checkout", "-q")


def test_the_kedro_environment_is_a_parameter_dvc_tracks(repo, first_repro):
    (repo / "params.yaml").write_text("kedro_env: quality\n")
    shutil.copytree(PROJECT / "conf" / "quality", repo / "conf" / "quality", dirs_exist_ok=True)
    try:
        status = json.loads(sh(repo, "dvc", "status", "--json"))
        assert set(status) >= {"generate", "ingestion", "training", "evaluation", "submission"}
        dry = sh(repo, "dvc", "repro", "--dry")
        assert "kedro run --env quality --pipelines training" in dry
    finally:
        (repo / "params.yaml").write_text((PROJECT / "params.yaml").read_text())
    assert json.loads(sh(repo, "dvc", "status", "--json")) == {}


def test_stages_refuse_local_overrides_dvc_cannot_see(repo, first_repro):
    override = repo / "conf" / "local" / "parameters_training.yml"
    override.write_text("training: {epochs: 2}\n")
    try:
        result = subprocess.run(
            ["dvc", "repro", "-f", "-s", "submission"],
            cwd=repo,
            capture_output=True,
            text=True,
            env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"},
        )
    finally:
        override.unlink()
    assert result.returncode != 0
    assert "conf/local/parameters_training.yml" in result.stdout + result.stderr
    assert "conf/local/parameters.yml" in result.stdout + result.stderr
