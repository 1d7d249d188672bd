from kedro.pipeline import Node, Pipeline

from carvana_unet.pipelines.generate.nodes import describe_train_masks, plan_synthetic_carvana


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                plan_synthetic_carvana,
                inputs="params:synthetic",
                outputs=["synthetic_photos", "synthetic_metadata", "synthetic_sample_submission"],
                name="render_synthetic_carvana",
            ),
            Node(
                describe_train_masks,
                inputs="synthetic_photos",
                outputs=["synthetic_train_masks_csv", "synthetic_render_report"],
                name="describe_train_masks",
            ),
        ],
        tags="generate",
    )
