"""All pipelines through Kedro on tiny generated data with a tiny model, MLflow store queried for real."""

from __future__ import annotations

import json
import shutil

import keras
import mlflow
import numpy as np
import pandas as pd
import pytest
from kedro_project import KedroRunFailed, make_project, run, tiny_params
from PIL import Image

from carvana_unet import imaging, rle
from carvana_unet.cache import read_cache
from carvana_unet.input_pipeline import predict_batch

PIPELINES = ("ingestion", "augmentation", "training", "evaluation", "submission")


@pytest.fixture(scope="module")
def project(tmp_path_factory, tiny_raw_template):
    root = make_project(tmp_path_factory.mktemp("project"))
    for name in PIPELINES:
        run(root, name, tiny_params(tiny_raw_template))
    return root


def test_cache_is_split_by_car(project):
    cache = read_cache(project / "data/05_model_input/training_cache")
    assert cache.images.shape == (48, 64, 96, 3)
    assert (cache.index.groupby("car_id")["split"].nunique() == 1).all()


def test_model_file_loads_and_predicts_the_right_shape(project):
    model = keras.models.load_model(project / "data/06_models/unet.keras", compile=False)
    assert model.predict(np.zeros((2, 64, 96, 3), np.float32), verbose=0).shape == (2, 64, 96, 1)


def test_mlflow_recorded_training_and_evaluation(project):
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{project / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("carvana_unet")
    runs = {r.info.run_name: r for r in client.search_runs([experiment.experiment_id])}
    trained = runs["training"]
    assert {"dice", "loss", "val_dice", "val_loss", "val_dice_final"} <= set(trained.data.metrics)
    assert trained.data.params["training.epochs"] == "1"
    assert {"git_commit", "data_version", "raw_dir"} <= set(trained.data.tags)
    (raw_input,) = [d for d in trained.inputs.dataset_inputs if d.tags[0].value == "raw"]
    assert raw_input.dataset.digest == trained.data.tags["data_version"][:36]
    artifacts = {a.path for a in client.list_artifacts(trained.info.run_id)}
    assert "unet.keras" in artifacts
    assert {"eval_dice_mean", "eval_ceiling_hard_mean", "eval_ceiling_soft_mean"} <= set(
        runs["evaluation"].data.metrics
    )


def test_metrics_json_has_the_keys_dvc_reads(project):
    metrics = json.loads((project / "data/08_reporting/metrics.json").read_text())
    assert {"dice_mean", "dice_median", "dice_min", "threshold", "dice_per_angle"} <= set(metrics)
    assert 0 <= metrics["dice_min"] <= metrics["dice_mean"] <= 1
    assert 0.9 < metrics["ceiling_hard_mean"] <= metrics["ceiling_soft_mean"] <= 1
    assert len(metrics["dice_per_angle"]) == 16
    for figure in ("dice_histogram.png", "worst_predictions.png", "augmentation_preview.png"):
        assert (project / "data/08_reporting" / figure).stat().st_size > 1000


def test_submission_decodes_to_the_thresholded_predictions(project, tiny_raw_template):
    submission = pd.read_csv(project / "data/07_model_output/submission.csv", keep_default_na=False)
    sample = pd.read_csv(tiny_raw_template / "sample_submission.csv")
    assert submission["img"].tolist() == sample["img"].tolist()
    model = keras.models.load_model(project / "data/06_models/unet.keras", compile=False)
    threshold = json.loads((project / "data/07_model_output/threshold.json").read_text())["threshold"]
    for name, code in submission.head(4).itertuples(index=False):
        image = np.asarray(Image.open(tiny_raw_template / "test" / name))
        probabilities = predict_batch(model, image[None].astype(np.float32) / 255)[0]
        expected = imaging.to_original_size(probabilities, 64, 96, "stretch") > threshold
        np.testing.assert_array_equal(rle.decode(code, (64, 96)), expected)


def test_submission_resumes_after_a_kill(project, tiny_raw_template):
    final = project / "data/07_model_output/submission.csv"
    complete = pd.read_csv(final, keep_default_na=False)
    # What a kill leaves: a partial file with some finished rows and a half-written line.
    # A marker code in a finished row proves the re-run kept it instead of starting over.
    first = complete["img"].iloc[0]
    partial = final.with_name("submission.csv.partial")
    partial.write_text(f"img,rle_mask,height,width\n{first},1 5,64,96\n{complete['img'].iloc[1]},3 4")
    final.unlink()
    run(project, "submission", tiny_params(tiny_raw_template))
    resumed = pd.read_csv(final, keep_default_na=False)
    assert resumed["rle_mask"].iloc[0] == "1 5"
    assert resumed.iloc[1:].equals(complete.iloc[1:])
    assert not partial.exists()


def test_unreadable_test_image_is_named_or_submitted_empty(project, tiny_raw_template, tmp_path):
    raw = shutil.copytree(tiny_raw_template, tmp_path / "raw")
    victim = sorted((raw / "test").glob("*.jpg"))[3]
    victim.write_bytes(victim.read_bytes()[:200])
    with pytest.raises(KedroRunFailed, match=f"test image {victim.name} is unreadable"):
        run(project, "submission", tiny_params(raw))
    (project / "data/07_model_output/submission.csv.partial").unlink(missing_ok=True)
    run(project, "submission", tiny_params(raw, submission={"on_unreadable": "empty"}))
    submission = pd.read_csv(project / "data/07_model_output/submission.csv", keep_default_na=False)
    assert submission.set_index("img").loc[victim.name, "rle_mask"] == ""
