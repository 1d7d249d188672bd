"""How a `kedro run` knows it is a DVC stage: the DVC process it belongs to, and conf/local files DVC cannot see."""

from __future__ import annotations

import os
import subprocess
import sys

from carvana_unet import dvc_stage

PRINT_INVOCATION = "import os; from carvana_unet import dvc_stage; print(dvc_stage.invocation(dict(os.environ)))"


def stage_process(environ: dict[str, str]) -> str:
    """What a stage process, started by this process as DVC starts one, finds as its invocation."""
    return subprocess.run(
        [sys.executable, "-c", PRINT_INVOCATION], env=environ, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_stages_of_one_dvc_process_share_an_invocation_and_others_do_not():
    environ = {**os.environ, "DVC_STAGE": "training"}
    first, second = stage_process(environ), stage_process({**environ, "DVC_STAGE": "evaluation"})
    assert first == second and first.startswith(f"{os.getpid()}-")
    # A shell in between (as DVC's `sh -c` is) carries DVC_STAGE too: the invocation is still this process.
    through_shell = subprocess.run(
        ["sh", "-c", f'"{sys.executable}" -c "{PRINT_INVOCATION}"'], env=environ, capture_output=True, text=True
    ).stdout.strip()
    assert through_shell == first
    assert stage_process({k: v for k, v in os.environ.items() if k != "DVC_STAGE"}) == "None"


def test_undeclared_local_config_names_every_override_file_but_the_declared_one(tmp_path):
    for name in ("parameters.yml", "parameters_training.yml", "globals.yml", "catalog.yml", "mlflow.yml"):
        (tmp_path / name).write_text("{}\n")
    (tmp_path / "credentials.yml").write_text("{}\n")
    (tmp_path / "parameters.example.yml").write_text("{}\n")
    found = [path.name for path in dvc_stage.undeclared_local_config(tmp_path)]
    assert found == ["catalog.yml", "globals.yml", "parameters_training.yml"]
