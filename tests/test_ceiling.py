"""The resolution ceilings on masks whose answer is known."""

import numpy as np
import pytest

from carvana_unet.ceiling import resolution_ceilings
from carvana_unet.thin_parts import thin_region


@pytest.mark.parametrize("aspect", ["stretch", "pad"])
def test_a_band_on_the_block_grid_round_trips_exactly(aspect):
    truth = np.zeros((64, 96), np.uint8)
    truth[16:48] = 1  # whole rows of 8x8 blocks at an 8x12 model input: edges where the grid is
    assert resolution_ceilings(truth, 8, 12, aspect) == {"ceiling_hard": 1.0, "ceiling_soft": 1.0}


def test_off_grid_edges_and_thin_parts_cost_dice_and_soft_targets_win_some_back():
    truth = np.zeros((64, 96), np.uint8)
    truth[13:45] = 1  # edges 3 pixels off the block grid
    truth[4:13, 50:53] = 1  # an antenna 3 pixels wide: under half of every block it crosses
    ceilings = resolution_ceilings(truth, 8, 12, "stretch")
    assert ceilings["ceiling_hard"] < 0.97
    assert ceilings["ceiling_hard"] < ceilings["ceiling_soft"] < 1.0


def test_the_input_size_loses_an_antenna_that_the_thin_part_ceiling_shows():
    truth = np.zeros((128, 192), np.uint8)
    truth[64:112, 16:176] = 1
    truth[24:64, 100:102] = 1  # a 2-pixel antenna: a quarter of each 8-pixel block it crosses
    ceilings = resolution_ceilings(truth, 16, 24, "stretch", thin_region(truth, 0.05))
    assert ceilings["ceiling_hard"] > 0.95  # the whole car hardly notices
    assert ceilings["ceiling_hard_thin"] < 0.5 and ceilings["ceiling_hard_thin"] < ceilings["ceiling_soft"]
