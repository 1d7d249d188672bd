"""kedro-viz: the static build renders the pipeline's nodes in headless Chromium, and the README's
screenshot shows the graph, not the feature tour."""

from __future__ import annotations

import sys
from pathlib import Path

from kedro_project import make_project

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs"))
import dag_screenshot  # noqa: E402  (the script that draws docs/pipeline-dag.png)

NODES = (
    "index_images",
    "resize_for_model",
    "build_augmentation",
    "train_unet",
    "train_refiner",
    "score_validation",
    "make_submission",
)
TOUR = "Workflow run status"  # the first page of kedro-viz's feature tour


def test_viz_build_renders_every_pipeline_node_and_the_screenshot_hides_the_tour(tmp_path):
    site = dag_screenshot.build_site(make_project(tmp_path / "project"))
    assert (site / "api" / "main").exists()
    with dag_screenshot.served(site) as url:
        page = dag_screenshot.chromium(url, tmp_path / "profile1", "--dump-dom").stdout
        shot_page = dag_screenshot.chromium(
            url + dag_screenshot.SCREENSHOT_PAGE, tmp_path / "profile2", "--dump-dom"
        ).stdout
        dag_screenshot.screenshot(url, tmp_path / "dag.png", tmp_path / "profile3")
    for node in NODES:
        assert node in page and node in shot_page, f"{node} is not on the rendered page"
    assert TOUR in page and TOUR not in shot_page  # a fresh browser gets the tour; the screenshot does not
    assert (tmp_path / "dag.png").stat().st_size > 20_000  # a rendered page, not a blank one
