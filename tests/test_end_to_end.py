"""All pipelines through Kedro on tiny generated data with a tiny model, MLflow store queried for real."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import keras
import mlflow
import numpy as np
import pandas as pd
import pytest
import served
import yaml
from kedro_project import KedroRunFailed, make_project, run, tiny_params
from PIL import Image

from carvana_unet import imaging, rle
from carvana_unet.cache import read_cache
from carvana_unet.input_pipeline import predict_batch
from carvana_unet.model.saving import load_model
from carvana_unet.pipelines.training.params import RefinementParams
from carvana_unet.refine import Refiner
from carvana_unet.segmenter import Segmenter, open_photo

PIPELINES = ("ingestion", "augmentation", "training", "evaluation", "submission")


@pytest.fixture(scope="module")
def project_runs(tmp_path_factory, tiny_raw_template) -> tuple[Path, dict[str, str]]:
    """The project after each pipeline ran once, and what each run printed."""
    root = make_project(tmp_path_factory.mktemp("project"))
    return root, {name: run(root, name, tiny_params(tiny_raw_template)) for name in PIPELINES}


@pytest.fixture(scope="module")
def project(project_runs):
    return project_runs[0]


def test_runs_warn_of_nothing_the_project_can_fix(project_runs):
    for name, output in project_runs[1].items():
        # kedro-mlflow's `disable_autologging: True` hooks TensorFlow's import and fails on Keras 3's.
        assert "autologging" not in output, name
        assert "deprecated" not in output, name  # `kedro run --pipeline` (Kedro 1.7: `--pipelines`)
        # MLflow asks every pyfunc class without type hints for some: kedro-mlflow's own, on import, and not ours.
        assert output.count("Add type hints to the `predict`") <= 1, name
        assert "CloudPickle" not in output, name  # the registered model is logged as code, not pickled


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
    assert {"unet.keras", "refiner.keras"} <= artifacts
    assert {"refiner.loss", "refiner.band_accuracy"} <= set(trained.data.metrics)
    assert trained.data.params["refinement.enabled"] == "True"
    assert {
        "eval_dice_mean",
        "eval_dice_coarse_mean",
        "eval_ceiling_hard_mean",
        "eval_ceiling_soft_mean",
        "eval_dice_thin_mean",
        "eval_dice_thin_coarse_mean",
    } <= set(runs["evaluation"].data.metrics)


def test_metrics_json_has_the_keys_dvc_reads(project):
    metrics = json.loads((project / "data/08_reporting/metrics.json").read_text())
    assert {"dice_mean", "dice_median", "dice_min", "threshold", "dice_per_angle", "dice_coarse_mean"} <= set(metrics)
    assert 0 <= metrics["dice_min"] <= metrics["dice_mean"] <= 1
    assert 0.9 < metrics["ceiling_hard_mean"] <= metrics["ceiling_soft_mean"] <= 1
    # Each tiny car shows parts thinner than the disc (mirror arms, antenna) in some views: they get their own Dice.
    assert metrics["thin_images"] > 0 and 0 <= metrics["dice_thin_mean"] <= 1
    assert len(metrics["dice_per_angle"]) == 16
    for figure in ("dice_histogram.png", "worst_predictions.png", "augmentation_preview.png"):
        assert (project / "data/08_reporting" / figure).stat().st_size > 1000


def project_refiner(project: Path) -> Refiner:
    """The refiner the run trained, applied with the project's refinement settings."""
    settings = yaml.safe_load((project / "conf/base/parameters_refinement.yml").read_text())["refinement"]
    return RefinementParams(**settings).refiner(load_model(project / "data/06_models/refiner.keras"))


@pytest.mark.parametrize("refined", [True, False], ids=["refined", "refinement-off"])
def test_submission_decodes_to_the_thresholded_predictions(project, tiny_raw_template, refined):
    if not refined:
        run(project, "submission", tiny_params(tiny_raw_template, refinement={"enabled": False}))
    submission = pd.read_csv(project / "data/07_model_output/submission.csv", keep_default_na=False)
    if not refined:  # the tests after this one start from the default submission
        run(project, "submission", tiny_params(tiny_raw_template))
    sample = pd.read_csv(tiny_raw_template / "sample_submission.csv")
    assert submission["img"].tolist() == sample["img"].tolist()
    model = keras.models.load_model(project / "data/06_models/unet.keras", compile=False)
    refiner = project_refiner(project)
    threshold = json.loads((project / "data/07_model_output/threshold.json").read_text())["threshold"]
    changed = 0
    for name, code in submission.head(4).itertuples(index=False):
        image = np.asarray(Image.open(tiny_raw_template / "test" / name))
        probabilities = predict_batch(model, image[None].astype(np.float32) / 255)[0]
        coarse = imaging.to_original_size(probabilities, 64, 96, "stretch")
        expected = (refiner.refine(image, coarse) if refined else coarse) > threshold
        np.testing.assert_array_equal(rle.decode(code, (64, 96)), expected)
        changed += (expected != (coarse > threshold)).sum()
    assert (changed > 0) == refined  # the refiner moved some pixels, so the two cases differ


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


def photo_zoo(raw: Path, folder: Path) -> dict[str, tuple[int, int]]:
    """Photos as users have them, each name -> the (width, height) its mask must have."""
    folder.mkdir()
    source = Image.open(sorted((raw / "test").glob("*.jpg"))[0])
    source.save(folder / "plain.jpg")
    source.resize((150, 100)).save(folder / "larger.png")
    source.convert("RGBA").save(folder / "alpha.png")
    source.convert("L").save(folder / "grey.png")
    source.convert("CMYK").save(folder / "cmyk.jpg")
    source.save(folder / "web.webp")
    Image.fromarray(np.asarray(source.convert("L"), np.uint16) * 257).save(folder / "deep.png")  # 16-bit
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: viewers turn it 90 degrees
    source.save(folder / "sideways.jpg", exif=exif)
    sizes = {p.name: (96, 64) for p in folder.iterdir()}
    sizes["larger.png"], sizes["sideways.jpg"] = (150, 100), (64, 96)
    return sizes


def test_predict_writes_masks_cutouts_and_composites_for_any_photo(project, tiny_raw_template, tmp_path):
    sizes = photo_zoo(tiny_raw_template, tmp_path / "photos")
    (tmp_path / "photos" / "broken.jpg").write_bytes(b"\xff\xd8 not a photo")
    out = tmp_path / "out"
    params = {"predict": {"input_dir": tmp_path / "photos", "output_dir": out, "background": "green"}}
    with pytest.raises(KedroRunFailed, match="1 of 9 photos failed"):
        run(project, "predict", tiny_params(tiny_raw_template, **params))
    report = json.loads((out / "report.json").read_text())
    assert [f["file"] for f in report["failed"]] == ["broken.jpg"] and len(report["written"]) == 8
    for name, size in sizes.items():
        stem = Path(name).stem
        mask = Image.open(out / "masks" / f"{stem}.png")
        assert mask.size == size and mask.mode == "L" and set(np.unique(mask)) <= {0, 255}
        cut = Image.open(out / "cutouts" / f"{stem}.png")
        assert cut.mode == "RGBA" and np.array_equal(np.asarray(cut)[..., 3], np.asarray(mask))
        assert Image.open(out / "composites" / f"{stem}.jpg").size == size

    # The same mask as the model, its threshold, its resizing and the refiner give directly.
    model = keras.models.load_model(project / "data/06_models/unet.keras", compile=False)
    threshold = json.loads((project / "data/07_model_output/threshold.json").read_text())["threshold"]
    segmenter = Segmenter(model, threshold, refiner=project_refiner(project))
    expected = segmenter.masks([segmenter.read(tmp_path / "photos" / "plain.jpg")])[0]
    np.testing.assert_array_equal(np.asarray(Image.open(out / "masks" / "plain.png")) // 255, expected)
    cut, car = np.asarray(Image.open(out / "cutouts" / "plain.png")), expected.astype(bool)
    np.testing.assert_array_equal(cut[car][:, :3], open_photo(tmp_path / "photos" / "plain.jpg")[car])
    assert not cut[~car].any()  # transparent and black: the PNG stays small and quick to write

    # A re-run skips what is finished and, with the broken photo gone, succeeds.
    (tmp_path / "photos" / "broken.jpg").unlink()
    run(project, "predict", tiny_params(tiny_raw_template, **params))
    assert len(json.loads((out / "report.json").read_text())["skipped"]) == 8


def test_predict_command_line_gives_the_pipeline_masks_and_can_skip_cutouts(project, tiny_raw_template, tmp_path):
    photos = tmp_path / "photos"
    photo_zoo(tiny_raw_template, photos)
    run(project, "predict", tiny_params(tiny_raw_template, predict={"input_dir": photos, "output_dir": tmp_path / "a"}))
    command = Path(sys.executable).with_name("carvana-unet")
    subprocess.run(
        [str(command), "predict", str(photos / "plain.jpg"), str(tmp_path / "b"), "--masks-only"],
        cwd=project,
        check=True,
        capture_output=True,
    )
    assert (tmp_path / "b" / "masks" / "plain.png").read_bytes() == (
        tmp_path / "a" / "masks" / "plain.png"
    ).read_bytes()
    assert not (tmp_path / "b" / "cutouts").exists() and (tmp_path / "a" / "cutouts" / "plain.png").exists()


def registered_version(project: Path):
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{project / 'mlflow.db'}")
    return client.get_latest_versions("carvana-unet")[0]


def predicted_mask(project: Path, tiny_raw_template: Path, tmp_path: Path) -> tuple[Path, np.ndarray]:
    """A test photo and the mask the predict pipeline writes for it."""
    photo = sorted((tiny_raw_template / "test").glob("*.jpg"))[0]
    out = tmp_path / "predicted"
    run(project, "predict", tiny_params(tiny_raw_template, predict={"input_dir": photo, "output_dir": out}))
    return photo, np.asarray(Image.open(out / "masks" / f"{photo.stem}.png")) // 255


def test_evaluation_registers_the_model_with_its_provenance(project):
    version = registered_version(project)
    assert {"validation_dice", "threshold", "git_commit", "data_version"} <= set(version.tags)
    metrics = json.loads((project / "data/08_reporting/metrics.json").read_text())
    assert version.tags["validation_dice"] == f"{metrics['dice_mean']:.4f}"


def test_registered_model_loads_in_a_fresh_process_and_masks_as_predict_does(project, tiny_raw_template, tmp_path):
    photo, expected = predicted_mask(project, tiny_raw_template, tmp_path)
    script = (
        "import sys, mlflow, pandas as pd\n"
        "from carvana_unet.serving import encode_image\n"
        "from pathlib import Path\n"
        "model = mlflow.pyfunc.load_model('models:/carvana-unet/latest')\n"
        "print(model.predict(pd.DataFrame({'image': [encode_image(Path(sys.argv[1]))]}))['rle'][0])\n"
    )
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{project / 'mlflow.db'}"}
    result = subprocess.run(
        [sys.executable, "-c", script, str(photo)], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    )
    np.testing.assert_array_equal(rle.decode(result.stdout.strip().splitlines()[-1], expected.shape), expected)


def test_served_model_answers_with_the_predict_mask_and_survives_bad_requests(project, tiny_raw_template, tmp_path):
    photo, expected = predicted_mask(project, tiny_raw_template, tmp_path)
    server, base = served.serve(
        "models:/carvana-unet/latest", {"MLFLOW_TRACKING_URI": f"sqlite:///{project / 'mlflow.db'}"}
    )
    try:
        status, answer = served.post(f"{base}/invocations", served.invocation(photo))
        assert status == 200
        (row,) = answer["predictions"]
        np.testing.assert_array_equal(rle.decode(row["rle"], (row["height"], row["width"])), expected)
        png = Image.open(io.BytesIO(base64.b64decode(row["mask_png"])))
        np.testing.assert_array_equal(np.asarray(png) // 255, expected)

        status, answer = served.post(f"{base}/invocations", b'{"dataframe_split": ')
        assert 400 <= status < 500 and answer.get("message")
        junk = json.dumps({"dataframe_split": {"columns": ["image"], "data": [["bm90IGEgcGhvdG8="]]}}).encode()
        status, answer = served.post(f"{base}/invocations", junk)
        assert status == 400 and "image 0 is not a base64-encoded JPEG/PNG/WebP file" in answer["message"]
        assert served.post(f"{base}/invocations", served.invocation(photo))[0] == 200  # still serving
    finally:
        served.stop(server)


def test_one_kedro_run_of_two_pipelines_is_one_mlflow_run_holding_dice_model_and_version(project, tiny_raw_template):
    run(project, "evaluation,submission", tiny_params(tiny_raw_template))
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{project / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("carvana_unet")
    (both,) = client.search_runs([experiment.experiment_id], order_by=["attributes.start_time DESC"], max_results=1)
    assert "evaluation" in both.info.run_name and "submission" in both.info.run_name, both.info.run_name
    assert "eval_dice_mean" in both.data.metrics
    assert "dice_histogram.png" in {a.path for a in client.list_artifacts(both.info.run_id)}
    assert registered_version(project).run_id == both.info.run_id
