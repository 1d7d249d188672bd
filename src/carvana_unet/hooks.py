"""Project hooks: tag every MLflow run with the code and data it came from, and log typed parameters."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import mlflow
from kedro.framework.context import KedroContext
from kedro.framework.hooks import hook_impl
from mlflow.data.dataset_source_registry import resolve_dataset_source
from mlflow.data.meta_dataset import MetaDataset
from pydantic import BaseModel

from carvana_unet.provenance import data_version, git_commit


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
