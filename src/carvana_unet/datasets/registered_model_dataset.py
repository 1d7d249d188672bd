"""The MLflow door for the trained model: logged as a pyfunc model and registered (see carvana_unet.serving)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import mlflow
from kedro.io import AbstractDataset
from kedro.io.core import DatasetError
from mlflow import MlflowClient

from carvana_unet.serving import PackagedModel, pyfunc_arguments


class RegisteredModelDataset(AbstractDataset[PackagedModel, mlflow.pyfunc.PyFuncModel]):
    """Saves: logs the model with its pre- and post-processing to the active MLflow run as a pyfunc
    model and registers it as a new version of `name`, tagged. Loads: the latest registered version."""

    def __init__(self, name: str, artifact_path: str = "model", metadata: dict[str, Any] | None = None):
        self._name = name
        self._artifact_path = artifact_path
        self.metadata = metadata

    def load(self) -> mlflow.pyfunc.PyFuncModel:
        return mlflow.pyfunc.load_model(f"models:/{self._name}/latest")

    def save(self, data: PackagedModel) -> None:
        run = mlflow.active_run()
        if run is None:
            raise DatasetError(f"no active MLflow run to log '{self._name}' to: is kedro-mlflow switched off?")
        with tempfile.TemporaryDirectory() as scratch:
            info = mlflow.pyfunc.log_model(
                name=self._artifact_path, registered_model_name=self._name, **pyfunc_arguments(data, Path(scratch))
            )
        client = MlflowClient()
        run_tags = client.get_run(run.info.run_id).data.tags
        provenance = {key: run_tags[key] for key in ("git_commit", "data_version") if key in run_tags}
        for key, value in {**data.tags, **provenance}.items():
            client.set_model_version_tag(self._name, info.registered_model_version, key, str(value))

    def _describe(self) -> dict[str, Any]:
        return {"name": self._name, "artifact_path": self._artifact_path}
