"""Project hooks: tag every MLflow run with the code and data it came from."""

from __future__ import annotations

from pathlib import Path

import mlflow
from kedro.framework.hooks import hook_impl

from carvana_unet.provenance import data_version, git_commit


class RunTagsHook:
    """Adds git_commit and data_version tags to the run kedro-mlflow opened."""

    def __init__(self) -> None:
        self._project: Path | None = None
        self._raw_dir = ""

    @hook_impl
    def after_context_created(self, context) -> None:
        self._project = Path(context.project_path)
        self._raw_dir = context.params.get("raw_dir") or context.config_loader["globals"].get("raw_dir", "")

    @hook_impl
    def before_pipeline_run(self) -> None:
        # kedro-mlflow's own before_pipeline_run (a plugin, so called first) has started the run.
        if self._project is None or mlflow.active_run() is None:
            return
        mlflow.set_tags({
            "git_commit": git_commit(self._project),
            "data_version": data_version(self._project, self._raw_dir),
            "raw_dir": self._raw_dir,
        })
