from kedro.pipeline import Node, Pipeline

from carvana_unet.pipelines.training.nodes import (
    collect_refinement_crops,
    history_to_metrics,
    train_refiner,
    train_unet,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                train_unet,
                ["training_cache", "augmentation_transform", "params:model", "params:training"],
                ["unet_model", "training_history", "validation_dice_at_model_size"],
                name="train_unet",
            ),
            Node(history_to_metrics, "training_history", "training_metrics", name="log_training_curves"),
            Node(
                collect_refinement_crops,
                [
                    "unet_model",
                    "training_cache",
                    "raw_train_images",
                    "raw_train_masks",
                    "params:evaluation",
                    "params:refinement",
                ],
                "refinement_crops",
                name="collect_refinement_crops",
            ),
            Node(
                train_refiner,
                ["refinement_crops", "augmentation_transform", "params:refinement"],
                ["refiner_model", "refiner_history"],
                name="train_refiner",
            ),
            Node(history_to_metrics, "refiner_history", "refiner_metrics", name="log_refiner_curves"),
        ],
        tags="training",
    )
