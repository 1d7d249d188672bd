from kedro.pipeline import Node, Pipeline

from carvana_unet.pipelines.generate.nodes import generate_synthetic_carvana


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                generate_synthetic_carvana,
                inputs="params:synthetic",
                outputs=[
                    "synthetic_train_images",
                    "synthetic_train_masks",
                    "synthetic_test_images",
                    "synthetic_metadata",
                    "synthetic_train_masks_csv",
                    "synthetic_sample_submission",
                ],
                name="generate_synthetic_carvana",
            )
        ],
        tags="generate",
    )
