from kedro.pipeline import Node, Pipeline

from carvana_unet.pipelines.augmentation.nodes import build_augmentation, preview_augmentation


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(build_augmentation, "params:augmentation", "augmentation_transform", name="build_augmentation"),
            Node(
                preview_augmentation,
                ["augmentation_transform", "training_cache", "params:augmentation"],
                "augmentation_preview",
                name="preview_augmentation",
            ),
        ],
        tags="augmentation",
    )
