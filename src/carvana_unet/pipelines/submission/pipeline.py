from kedro.pipeline import Node, Pipeline

from carvana_unet.pipelines.submission.nodes import make_submission


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                make_submission,
                [
                    "unet_model",
                    "refiner_model",
                    "raw_test_images",
                    "raw_sample_submission",
                    "decision_threshold",
                    "params:ingestion",
                    "params:refinement",
                    "params:submission",
                ],
                "submission",
                name="make_submission",
            ),
        ],
        tags="submission",
    )
