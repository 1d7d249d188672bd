import numpy as np
import pytest

from carvana_unet import augment


def _square_pair():
    image = np.full((64, 96, 3), 200, np.uint8)
    mask = np.zeros((64, 96), np.uint8)
    image[10:30, 5:25] = (255, 0, 0)
    mask[10:30, 5:25] = 1
    return image, mask


def test_geometry_moves_image_and_mask_together():
    image, mask = _square_pair()
    transform = augment.build_transform(
        [
            {"name": "HorizontalFlip", "p": 1.0},
            {"name": "Affine", "translate_px": {"x": 7, "y": 3}, "border_mode": 0, "p": 1.0},
        ],
        seed=0,
    )
    out_image, out_mask = augment.apply(transform, image, mask)
    red = (out_image[..., 0] > 200) & (out_image[..., 1] < 60)
    assert set(np.unique(out_mask)) <= {0, 1}
    np.testing.assert_array_equal(np.argwhere(red).mean(0).round(), np.argwhere(out_mask).mean(0).round())
    assert abs(np.argwhere(out_mask)[:, 1].mean() - (95 - 14.5 + 7)) < 1.5  # flipped, then shifted right


def test_colour_transform_leaves_mask_untouched():
    image, mask = _square_pair()
    transform = augment.build_transform(
        [{"name": "HueSaturationValue", "hue_shift_limit": 40, "sat_shift_limit": 40, "val_shift_limit": 40, "p": 1.0}],
        seed=1,
    )
    out_image, out_mask = augment.apply(transform, image, mask)
    assert not np.array_equal(out_image, image)
    np.testing.assert_array_equal(out_mask, mask)


def test_serialised_transform_reproduces_the_same_draws():
    steps = [{"name": "Affine", "rotate": [-20, 20], "p": 1.0}, {"name": "HorizontalFlip", "p": 0.5}]
    config = augment.to_config(augment.build_transform(steps, seed=3))
    image, mask = _square_pair()
    first = augment.from_config(config)
    second = augment.from_config(config)
    first.set_random_seed(11), second.set_random_seed(11)
    np.testing.assert_array_equal(augment.apply(first, image, mask)[1], augment.apply(second, image, mask)[1])
    assert [t["__class_fullname__"] for t in config["transform"]["transforms"]] == ["Affine", "HorizontalFlip"]


def test_preview_draws_the_same_figure_from_the_saved_transform():
    # A transform reloaded from its JSON has no random state of its own: the preview must seed it.
    import pandas as pd
    from tiny_training import STEPS, tiny_data

    from carvana_unet.cache import ImageCache
    from carvana_unet.pipelines.augmentation.nodes import build_augmentation, preview_augmentation
    from carvana_unet.pipelines.augmentation.params import AugmentationParams

    images, masks = tiny_data(4)
    cache = ImageCache(pd.DataFrame({"image_id": list("abcd"), "split": ["train"] * 4}), images, masks)
    options = AugmentationParams(seed=3, steps=STEPS, preview_images=2, preview_draws=3)
    config = build_augmentation(options)

    def pixels():
        figure = preview_augmentation(config, cache, options)
        figure.canvas.draw()
        return np.asarray(figure.canvas.buffer_rgba()).copy()

    np.testing.assert_array_equal(pixels(), pixels())


@pytest.mark.parametrize("car_colour", [(220, 30, 30), (0, 255, 0), (0, 0, 0), (255, 255, 255)])
def test_preview_outline_stands_out_on_a_car_of_any_colour(car_colour):
    from carvana_unet.pipelines.augmentation.nodes import HALO, OUTLINE, _outline

    image = np.full((40, 60, 3), car_colour, np.uint8)
    car = np.zeros((40, 60), bool)
    car[10:30, 15:45] = True
    outlined = _outline(image, car)
    changed = (outlined != image).any(axis=2)
    assert changed[9:12, 15:45].any() and not changed[15:25, 20:40].any()  # the edge is drawn, the body left
    drawn = {tuple(int(v) for v in c) for c in outlined[changed]}
    assert drawn <= {OUTLINE, HALO}  # lime on black: one of the two is far from any car's colour
    assert max(np.abs(np.subtract(c, car_colour)).max() for c in drawn) >= 200
