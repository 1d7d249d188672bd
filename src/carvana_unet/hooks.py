"""Project hooks: tag every MLflow run with the code and data it came from, log typed parameters, and make
the stages of one `dvc repro` share one MLflow run (refusing conf/local files that DVC cannot see)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import mlflow
from kedro.framework.context import KedroContext
from kedro.framework.hooks import hook_impl
from mlflow.data.dataset_source_registry import resolve_dataset_source
from mlflow.data.meta_dataset import MetaDataset
from mlflow.tracking import MlflowClient
from pydantic import BaseModel

from carvana_unet import dvc_stage
from carvana_unet.provenance import data_version, git_commit

INVOCATION_TAG = "dvc_invocation"


class RunTagsHook:
    """Tags the run kedro-mlflow opened with git_commit and data_version, and logs the raw data as its input."""

    def __init__(self) -> None:
        self._project: Path | None = None
        self._raw_dir = ""

    @hook_impl
    def after_context_created(self, context: KedroContext) -> None:
        self._project = Path(context.project_path)
        self._raw_dir = context.params.get("raw_dir") or context.config_loader["globals"].get("raw_dir", "")

    @hook_impl
    def before_pipeline_run(self) -> None:
        # kedro-mlflow's own before_pipeline_run (a plugin, so called first) has started the run.
        if self._project is None or mlflow.active_run() is None:
            return
        version = data_version(self._project, self._raw_dir)
        mlflow.set_tags({"git_commit": git_commit(self._project), "data_version": version, "raw_dir": self._raw_dir})
        with warnings.catch_warnings():  # MLflow registers the local-folder source twice and says so
            warnings.simplefilter("ignore", UserWarning)
            source = resolve_dataset_source(str((self._project / self._raw_dir).resolve()))
        # The MLflow UI lists the raw folder and its DVC md5 under the run's datasets (36 characters at most there).
        mlflow.log_input(MetaDataset(source, name=Path(self._raw_dir).name, digest=version[:36]), context="raw")

    @hook_impl
    def before_node_run(self, inputs: dict[str, Any]) -> None:
        # kedro-mlflow flattens dict parameters only; a typed group would land as one long string.
        if mlflow.active_run() is None:
            return
        for name, value in inputs.items():
            if name.startswith("params:") and isinstance(value, BaseModel):
                mlflow.log_params(_flatten(value.model_dump(), name.removeprefix("params:")))


def _flatten(values: dict[str, Any], prefix: str) -> dict[str, str]:
    """{"loss": {"bce_weight": 1}} -> {"<prefix>.loss.bce_weight": "1"}, each value cut to MLflow's 6,000 characters."""
    flat = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}.{key}"))
        else:
            flat[f"{prefix}.{key}"] = str(value)[:6000]
    return flat


class DvcStageHook:
    """Under `dvc repro` / `dvc exp run`: refuse conf/local overrides dvc.lock cannot record, and log every stage
    of one DVC invocation into one MLflow run, so its model, parameters, Dice and figures are found in one place.
    """

    def __init__(self) -> None:
        self._invocation: str | None = None
        self._mlflow = None  # kedro-mlflow's configuration, which its own hook reads when it starts the run

    @hook_impl
    def after_context_created(self, context: KedroContext) -> None:
        self._invocation = dvc_stage.invocation(dict(os.environ))
        if self._invocation is None:
            return
        conf_local = Path(context.project_path) / "conf" / "local"
        undeclared = dvc_stage.undeclared_local_config(conf_local) if context.env in (None, "local") else []
        if undeclared:
            names = ", ".join(str(path.relative_to(context.project_path)) for path in undeclared)
            raise RuntimeError(
                f"{names}: dvc.yaml's stages do not declare these files, so dvc.lock would not record what they "
                "change. Put parameter overrides in conf/local/parameters.yml (declared, so DVC tracks them), "
                "set raw_dir in conf/base/globals.yml (dvc.yaml reads it there), or run `kedro run` outside DVC."
            )
        self._mlflow = getattr(context, "mlflow", None)  # set by kedro-mlflow's after_context_created, called first

    @hook_impl(tryfirst=True)
    def before_pipeline_run(self, run_params: dict[str, Any]) -> None:
        # Called before kedro-mlflow's before_pipeline_run, which then resumes the run named here.
        config = self._mlflow
        if self._invocation is None or config is None:
            return
        pipelines = run_params.get("pipeline_names") or ["__default__"]
        if set(pipelines) <= set(config.tracking.disable_tracking.pipelines):
            return
        experiment_id = config.tracking.experiment._experiment.experiment_id  # noqa: SLF001 - set by its setup()
        config.tracking.run.name = config.tracking.run.name or _run_name(os.environ)
        client = config.server._mlflow_client  # noqa: SLF001 - kedro-mlflow's client for the configured store
        config.tracking.run.id = config.tracking.run.id or shared_run(
            client, experiment_id, self._invocation, config.tracking.run.name
        )


def shared_run(client: MlflowClient, experiment_id: str, invocation: str, name: str) -> str:
    """The id of the run tagged with this DVC invocation, created by its first stage."""
    found = client.search_runs([experiment_id], filter_string=f"tags.{INVOCATION_TAG} = '{invocation}'", max_results=1)
    if found:
        return found[0].info.run_id
    return client.create_run(experiment_id, run_name=name, tags={INVOCATION_TAG: invocation}).info.run_id


def _run_name(environ: dict[str, str]) -> str:
    experiment = environ.get("DVC_EXP_NAME")
    return f"dvc exp {experiment}" if experiment else "dvc repro"
