from kedro.pipeline import Node, Pipeline

from carvana_unet.pipelines.predict.nodes import predict_photos


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                predict_photos,
                [
                    "unet_model",
                    "refiner_model",
                    "decision_threshold",
                    "predict_photos",
                    "params:ingestion",
                    "params:refinement",
                    "params:predict",
                ],
                "predictions",
                name="predict_photos",
            ),
        ],
        tags="predict",
    )
