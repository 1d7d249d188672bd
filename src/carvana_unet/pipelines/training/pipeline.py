from kedro.pipeline import Node, Pipeline

from carvana_unet.pipelines.training.nodes import history_to_metrics, train_unet


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
        ],
        tags="training",
    )
