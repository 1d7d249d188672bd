from kedro.pipeline import Node, Pipeline

from carvana_unet.pipelines.evaluation.nodes import (
    package_model,
    plot_dice_histogram,
    plot_worst,
    score_validation,
    summarize,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                score_validation,
                [
                    "unet_model",
                    "refiner_model",
                    "training_cache",
                    "raw_train_images",
                    "raw_train_masks",
                    "params:evaluation",
                    "params:refinement",
                ],
                "dice_by_threshold",
                name="score_validation",
            ),
            Node(
                summarize,
                ["dice_by_threshold", "params:evaluation"],
                ["dice_per_image", "evaluation_metrics", "evaluation_mlflow_metrics", "decision_threshold"],
                name="summarize_dice",
            ),
            Node(plot_dice_histogram, "dice_per_image", "dice_histogram", name="plot_dice_histogram"),
            Node(
                plot_worst,
                [
                    "dice_per_image",
                    "unet_model",
                    "refiner_model",
                    "training_cache",
                    "raw_train_images",
                    "raw_train_masks",
                    "decision_threshold",
                    "params:evaluation",
                    "params:refinement",
                ],
                "worst_predictions",
                name="plot_worst_predictions",
            ),
            Node(
                package_model,
                [
                    "unet_model",
                    "refiner_model",
                    "decision_threshold",
                    "evaluation_metrics",
                    "params:ingestion",
                    "params:evaluation",
                    "params:refinement",
                ],
                "registered_model",
                name="register_model",
            ),
        ],
        tags="evaluation",
    )
