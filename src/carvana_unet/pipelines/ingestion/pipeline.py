from kedro.pipeline import Node, Pipeline

from carvana_unet.pipelines.ingestion.nodes import index_images, resize_for_model, split_by_car, validate_images


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                index_images,
                ["raw_train_images", "raw_train_masks", "raw_metadata", "params:ingestion"],
                ["paired_index", "index_problems"],
                name="index_images",
            ),
            Node(
                validate_images,
                ["paired_index", "index_problems", "raw_train_images", "raw_train_masks", "params:ingestion"],
                ["validated_index", "ingestion_report"],
                name="validate_images",
            ),
            Node(split_by_car, ["validated_index", "params:ingestion"], "split_index", name="split_by_car"),
            Node(
                resize_for_model,
                ["split_index", "raw_train_images", "raw_train_masks", "params:ingestion"],
                "training_cache",
                name="resize_for_model",
            ),
        ],
        tags="ingestion",
    )
