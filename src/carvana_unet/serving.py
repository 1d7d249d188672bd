"""The trained model as an MLflow pyfunc model: photo bytes in, full-size mask out.

What `mlflow models serve` runs and `mlflow.pyfunc.load_model` returns: the Keras model together
with its pre- and post-processing (`Segmenter`: resizing, threshold, aspect handling, and the
full-resolution refiner when the run trained one), so a served
mask is the mask the predict pipeline writes.

Input: a DataFrame with a column `image` of base64-encoded JPEG/PNG/WebP files.
Output: one row per image: `rle` (Kaggle's run-length code), `height`, `width`, and `mask_png`
(base64 PNG, 0/255).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import keras
import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlflow.types import ColSpec, Schema
from PIL import Image

import carvana_unet
from carvana_unet import rle
from carvana_unet.model.saving import load_model, save_model
from carvana_unet.predictions import encode
from carvana_unet.refine import Refiner
from carvana_unet.segmenter import Segmenter

SIGNATURE = ModelSignature(
    inputs=Schema([ColSpec("string", "image")]),
    outputs=Schema(
        [ColSpec("string", "rle"), ColSpec("long", "height"), ColSpec("long", "width"), ColSpec("string", "mask_png")]
    ),
)


@dataclass(frozen=True)
class PackagedModel:
    """What the registry receives: the model, its post-processing settings, and tags for the version."""

    model: keras.Model
    threshold: float
    aspect: str
    flip_tta: bool
    tags: dict[str, str]
    refiner: Refiner | None = None

    def config(self) -> dict[str, Any]:
        config = {"threshold": self.threshold, "aspect": self.aspect, "flip_tta": self.flip_tta}
        return config | ({"refinement": self.refiner.config()} if self.refiner else {})


# What the served model imports; `--env-manager local` (the README's way) uses the project's own environment.
REQUIREMENTS = (
    "mlflow",
    "keras",
    "tensorflow-cpu",
    "numpy",
    "pandas",
    "pillow",
    "opencv-python-headless",
    "isal",
    "simplejpeg",
    "albumentations",
)


def pyfunc_arguments(packaged: PackagedModel, folder: Path) -> dict[str, Any]:
    """Everything `mlflow.pyfunc.log_model` / `save_model` needs, its files written into `folder`."""
    save_model(packaged.model, folder / "unet.keras")
    (folder / "config.json").write_text(json.dumps(packaged.config()))
    Image.fromarray(np.full((16, 24, 3), 128, np.uint8)).save(folder / "example.jpg")
    artifacts = {"keras_model": str(folder / "unet.keras"), "config": str(folder / "config.json")}
    if packaged.refiner is not None:
        save_model(packaged.refiner.model, folder / "refiner.keras")
        artifacts["refiner_model"] = str(folder / "refiner.keras")
    return {
        # A file, not an object: MLflow would otherwise pickle the object, which loading then unpickles.
        "python_model": str(Path(__file__).with_name("served_model.py")),
        "artifacts": artifacts,
        "code_paths": [str(Path(carvana_unet.__file__).parent)],  # the model carries the code it runs
        "pip_requirements": [f"{name}=={version(name)}" for name in REQUIREMENTS],
        "signature": SIGNATURE,
        "input_example": pd.DataFrame({"image": [encode_image(folder / "example.jpg")]}),
    }


def encode_image(path: Path) -> str:
    """A photo file as the base64 text the served model takes."""
    return base64.b64encode(path.read_bytes()).decode()


def mask_rows(masks: list[np.ndarray]) -> pd.DataFrame:
    """The served answer: per mask its RLE, size and a 0/255 PNG, encoded as predict writes its masks."""
    return pd.DataFrame(
        {
            "rle": [rle.encode(m) for m in masks],
            "height": [m.shape[0] for m in masks],
            "width": [m.shape[1] for m in masks],
            "mask_png": [base64.b64encode(encode(m * np.uint8(255), ".png")).decode() for m in masks],
        }
    )


class CarvanaSegmenterModel(mlflow.pyfunc.PythonModel):
    """Artifacts: `keras_model` (the .keras file), `config` (threshold, aspect, flip_tta, and the
    refinement settings when on, as JSON) and, with refinement, `refiner_model`."""

    def load_context(self, context: mlflow.pyfunc.PythonModelContext) -> None:
        config = json.loads(Path(context.artifacts["config"]).read_text())
        refinement = config.pop("refinement", None)
        refiner = Refiner(load_model(Path(context.artifacts["refiner_model"])), **refinement) if refinement else None
        self._segmenter = Segmenter(load_model(Path(context.artifacts["keras_model"])), **config, refiner=refiner)

    # A DataFrame hint is one MLflow takes as is (no schema inferred from it; the signature says what the
    # input holds); with no hint at all, MLflow warns on every import of this module.
    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:  # noqa: ANN001
        """A mask for each base64 photo in `model_input["image"]`; a bad one is a 400 naming it."""
        if "image" not in model_input:
            raise MlflowException("the input needs a column 'image' of base64 photo files", INVALID_PARAMETER_VALUE)
        photos = []
        for position, text in enumerate(model_input["image"]):
            try:
                photos.append(self._segmenter.read(base64.b64decode(text, validate=True), pixels=False))
            except (binascii.Error, ValueError, OSError) as error:
                raise MlflowException(
                    f"image {position} is not a base64-encoded JPEG/PNG/WebP file ({error})", INVALID_PARAMETER_VALUE
                ) from None
        return mask_rows(self._segmenter.masks(photos))
