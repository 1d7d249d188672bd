"""Typed parameters: every group in conf/ validates, and a typical mistake in each gets a message
that names the parameter, before any node runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from kedro.config import OmegaConfigLoader
from kedro_project import KedroRunFailed, make_project, run
from pydantic import BaseModel, ValidationError

from carvana_unet import settings
from carvana_unet.cache import ImageCache
from carvana_unet.pipelines.augmentation.params import AugmentationParams
from carvana_unet.pipelines.evaluation.params import EvaluationParams
from carvana_unet.pipelines.generate.params import SyntheticParams
from carvana_unet.pipelines.ingestion.params import IngestionParams
from carvana_unet.pipelines.submission.params import SubmissionParams
from carvana_unet.pipelines.training.nodes import train_unet
from carvana_unet.pipelines.training.params import ModelParams, RefinementParams, TrainingParams

CONF = Path(__file__).resolve().parents[1] / "conf"
MODELS: dict[str, type[BaseModel]] = {
    "ingestion": IngestionParams,
    "augmentation": AugmentationParams,
    "model": ModelParams,
    "training": TrainingParams,
    "refinement": RefinementParams,
    "evaluation": EvaluationParams,
    "submission": SubmissionParams,
    "synthetic": SyntheticParams,
}


@pytest.mark.parametrize("env", ["local", "quality"])
def test_every_group_in_conf_validates(env):
    params = OmegaConfigLoader(str(CONF), env=env, **settings.CONFIG_LOADER_ARGS)["parameters"]
    for group, model in MODELS.items():
        model.model_validate(params[group])


@pytest.mark.parametrize(
    "group, change, message",
    [
        ("ingestion", {"aspect": "wide"}, r"aspect\n.*Input should be 'stretch' or 'pad'"),
        ("ingestion", {"validation_fraction": 1.5}, r"validation_fraction\n.*less than 1"),
        ("augmentation", {"steps": [{"name": "Blurr", "p": 0.5}]}, "'Blurr' is not an albumentations transform"),
        ("model", {"preset": "huge"}, r"preset\n.*Input should be 'cpu-small', 'cpu-quality' or 'reference-1024'"),
        ("training", {"epochs": -1}, r"epochs\n.*greater than or equal to 1"),
        ("training", {"epoch": 5}, r"epoch\n.*Extra inputs are not permitted"),
        ("refinement", {"band": 0.5}, r"band\n.*less than 0.5"),
        ("evaluation", {"threshold": 0.45}, r"threshold 0.45 is not among thresholds"),
        ("submission", {"on_unreadable": "skip"}, r"on_unreadable\n.*Input should be 'error' or 'empty'"),
        ("synthetic", {"train_cars": 0}, r"train_cars\n.*greater than or equal to 1"),
    ],
)
def test_a_typical_mistake_names_the_parameter(group, change, message):
    params = OmegaConfigLoader(str(CONF), env="local", **settings.CONFIG_LOADER_ARGS)["parameters"]
    with pytest.raises(ValidationError, match=message):
        MODELS[group].model_validate({**params[group], **change})


def test_an_input_size_the_depth_cannot_halve_is_named():
    index = pd.DataFrame({"split": ["train", "validation"]})
    cache = ImageCache(index, np.zeros((2, 100, 96, 3), np.uint8), np.zeros((2, 100, 96), np.uint8))
    training = TrainingParams(epochs=1, batch_size=2, learning_rate=1e-3)
    with pytest.raises(ValueError, match=r"input 100x96 does not divide by 2\*\*depth = 16.*e.g. 96x96"):
        train_unet(cache, {}, ModelParams(), training)


def test_kedro_rejects_a_bad_parameter_before_any_node_runs(tmp_path):
    project = make_project(tmp_path / "project")
    with pytest.raises(KedroRunFailed, match=r"(?s)Parameter 'training'.*epochs") as failure:
        run(project, "training", {"training": {"epochs": -1}})
    assert "Running node" not in str(failure.value)
