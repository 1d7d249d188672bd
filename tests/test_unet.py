import numpy as np
import pytest

from carvana_unet.model.unet import PRESETS, architecture, build_unet


def test_output_shape_non_square():
    model = build_unet(64, 96, depth=3, base_filters=4)
    out = model.predict(np.zeros((2, 64, 96, 3), np.float32), verbose=0)
    assert out.shape == (2, 64, 96, 1)
    assert out.min() >= 0 and out.max() <= 1


def test_size_must_divide_by_two_to_the_depth():
    with pytest.raises(ValueError, match=r"does not divide by 2\*\*depth = 16"):
        build_unet(100, 96, depth=4)


def test_reference_preset_is_the_1024_network():
    arch = architecture("reference-1024")
    model = build_unet(arch["height"], arch["width"], arch["depth"], arch["base_filters"])
    assert model.input_shape == (None, 1024, 1024, 3)
    assert model.get_layer("bottleneck_conv1").filters == 1024


def test_overrides_and_unknown_preset():
    assert architecture("cpu-small", {"depth": 3, "dropout": None})["depth"] == 3
    assert architecture("cpu-small", {"dropout": None})["dropout"] == PRESETS["cpu-small"]["dropout"]
    with pytest.raises(ValueError, match="unknown model preset"):
        architecture("nope")
