"""Multi-worker training under tf.distribute.MultiWorkerMirroredStrategy: 2 worker processes on 127.0.0.1.

Each worker trains on its half of every global batch; the result must be the single-process run's
with the same global batch, up to the order in which floats are summed.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import mlflow
import numpy as np
import pytest
from kedro.framework.cli.utils import _split_params  # what `kedro run --params` calls
from kedro_project import dotted, make_project, run, tiny_params
from multi_worker_job import tf_config, train

from carvana_unet.__main__ import nested_params

HERE = Path(__file__).parent
TOLERANCE = 2e-3  # weights of magnitude ~1 after 3 epochs: all-reduced sums differ in the last bits


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def start_workers(commands: list[list[str]], cwd: Path | None = None) -> list[subprocess.CompletedProcess]:
    """Run one command per worker at once, each with its TF_CONFIG task; wait for all of them."""
    ports = free_ports(len(commands))
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    processes = [
        subprocess.Popen(
            command,
            cwd=cwd,
            env={**environment, "TF_CONFIG": tf_config(ports, index), "TF_CPP_MIN_LOG_LEVEL": "2"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for index, command in enumerate(commands)
    ]
    return [
        subprocess.CompletedProcess(p.args, p.wait(timeout=300), p.stdout.read(), None)
        for p in processes  # a worker that lost its peer gives up within a minute
    ]


def job(checkpoints: Path, weights: Path, epochs: int, kill_at: int | None = None) -> list[str]:
    extra = [str(kill_at)] if kill_at is not None else []
    return [sys.executable, str(HERE / "multi_worker_job.py"), str(checkpoints), str(weights), str(epochs), *extra]


@pytest.fixture(scope="module")
def one_process(tmp_path_factory) -> tuple[np.ndarray, list[float]]:
    """The same training in this process, no strategy: 3 epochs."""
    return train(tmp_path_factory.mktemp("single"), 3)


def test_two_workers_train_like_one_process_and_only_the_chief_writes(one_process, tmp_path):
    chief_dir, other_dir = tmp_path / "chief", tmp_path / "other"
    done = start_workers([job(chief_dir, tmp_path / "w0.npy", 3), job(other_dir, tmp_path / "w1.npy", 3)])
    assert [d.returncode for d in done] == [0, 0], done[0].stdout[-3000:] + done[1].stdout[-3000:]
    chief, other = np.load(tmp_path / "w0.npy"), np.load(tmp_path / "w1.npy")
    np.testing.assert_array_equal(chief, other)  # the replicas stay in step
    weights, dice = one_process
    assert np.abs(chief - weights).max() < TOLERANCE
    np.testing.assert_allclose(json.loads((tmp_path / "w0.json").read_text()), dice, atol=1e-3)
    assert (chief_dir / "best.weights.h5").exists()
    assert not other_dir.exists() or not any(other_dir.rglob("*"))  # no backup, checkpoint or history


def test_a_killed_worker_is_reported_and_the_restarted_job_resumes(one_process, tmp_path):
    shared = tmp_path / "checkpoints"  # the backup lives where every worker can read it
    done = start_workers([job(shared, tmp_path / "w0.npy", 3), job(shared, tmp_path / "w1.npy", 3, kill_at=2)])
    assert done[1].returncode == -9 and done[0].returncode != 0
    assert "lost /job:worker/replica:0/task:1" in done[0].stdout and "Start every worker again" in done[0].stdout
    assert json.loads((shared / "backup" / "training_metadata.json").read_text())["epoch"] == 2

    done = start_workers([job(shared, tmp_path / "w0.npy", 3), job(shared, tmp_path / "w1.npy", 3)])
    assert [d.returncode for d in done] == [0, 0], done[0].stdout[-3000:]
    assert all("resumes from the backup at epoch 3" in d.stdout for d in done)
    assert np.abs(np.load(tmp_path / "w0.npy") - one_process[0]).max() < TOLERANCE


def test_kedro_chief_writes_the_model_and_mlflow_run_and_a_worker_writes_nothing(tiny_raw_template, tmp_path):
    params = tiny_params(tiny_raw_template, training={"epochs": 2, "batch_size": 4, "distribute": "multi_worker"})
    chief = make_project(tmp_path / "chief")
    for name in ("ingestion", "augmentation"):
        run(chief, name, params)
    other = tmp_path / "other"
    shutil.copytree(chief, other)  # another machine: the same data and config, its own disk
    before = files_and_dates(other)
    overrides = ",".join(dotted(params))
    kedro, worker = Path(sys.executable).with_name("kedro"), Path(sys.executable).with_name("carvana-unet")
    done = start_workers(
        [
            [str(kedro), "run", "--pipelines", "training", "--params", overrides],
            [str(worker), "worker", "--project", str(other), "--params", overrides],
        ],
        cwd=chief,
    )
    assert [d.returncode for d in done] == [0, 0], done[0].stdout[-3000:] + done[1].stdout[-3000:]
    assert (chief / "data/06_models/unet.keras").exists()
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{chief / 'mlflow.db'}")
    runs = client.search_runs([client.get_experiment_by_name("carvana_unet").experiment_id])
    (trained,) = [r for r in runs if r.info.run_name == "training"]
    assert trained.data.params["training.distribute"] == "multi_worker" and "val_dice_final" in trained.data.metrics
    assert files_and_dates(other) == before  # no model, checkpoint, MLflow run or report on the other worker


def files_and_dates(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file's size and modification time (the Kedro log aside)."""
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file() and p.name != "info.log"
    }


@pytest.mark.parametrize("text", ["training.learning_rate=1e-3,ingestion.aspect=pad", "a.b.c=true, d=null,e=0.5"])
def test_a_worker_reads_params_as_the_chiefs_kedro_run_does(text):
    assert nested_params(text) == _split_params(None, None, text)
