import io

import cv2
import numpy as np
import pytest
from PIL import Image

from carvana_unet import imaging
from carvana_unet.dice import dice


@pytest.mark.parametrize(("aspect", "size"), [("stretch", (128, 192)), ("pad", (192, 192))])
def test_mask_down_and_up_stays_in_place(aspect, size):
    # A car-sized shape at Kaggle's size, shrunk as ingestion does and grown back as evaluation does:
    # any half-pixel shift between the two would cost Dice and move the centre by pixels.
    mask = np.zeros((1280, 1918), np.uint8)
    cv2.ellipse(mask, (960, 700), (620, 330), 0, 0, 360, 1, -1)
    small = imaging.to_model_size(mask, *size, aspect, is_mask=True)
    assert small.dtype == np.uint8 and set(np.unique(small)) == {0, 1}
    back = imaging.to_original_size(small.astype(np.float32), 1280, 1918, aspect) >= 0.5
    assert dice(mask.astype(bool), back) > 0.995
    centre = np.argwhere(mask).mean(axis=0) - np.argwhere(back).mean(axis=0)
    assert np.abs(centre).max() < 1.0


def jpeg(pixels: np.ndarray, **save) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", **save)
    return buffer.getvalue()


def pillow_pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


@pytest.mark.parametrize(
    "save",
    [
        {"quality": 90},  # 4:2:0, as Kaggle's photos
        {"quality": 95, "subsampling": 1},  # 4:2:2
        {"quality": 75, "subsampling": 0},  # 4:4:4
        {"quality": 90, "progressive": True},
        {"quality": 90, "optimize": True},
        {"quality": 90, "keep_rgb": True},  # stored as RGB, not YCbCr
    ],
)
def test_a_jpeg_decodes_to_pillows_pixels(save):
    # 1918x1280 (Kaggle's size) and an odd size, whose partial blocks and chroma samples are edge cases.
    rng = np.random.default_rng(0)
    for height, width in ((1280, 1918), (37, 53)):
        smooth = cv2.resize(rng.integers(0, 256, (height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8), (width, height))
        data = jpeg(smooth, **save)
        np.testing.assert_array_equal(imaging.decode(data), pillow_pixels(data))
    grey = jpeg(smooth[..., 0], quality=90)
    np.testing.assert_array_equal(imaging.decode(grey), pillow_pixels(grey))


def test_what_libjpeg_turbo_refuses_pillow_decides():
    pixels = cv2.resize(np.random.default_rng(1).integers(0, 256, (40, 60, 3), dtype=np.uint8), (480, 320))
    data = jpeg(pixels, quality=90)
    # Damaged mid-stream: libjpeg warns and goes on, simplejpeg refuses, Pillow decodes it as before.
    damaged = data[: len(data) // 2] + bytes(200) + data[len(data) // 2 + 200 :]
    np.testing.assert_array_equal(imaging.decode(damaged), pillow_pixels(damaged))
    with pytest.raises(OSError, match="truncated"):  # cut short: an error, as with Pillow
        imaging.decode(data[: len(data) // 2])
    cmyk = io.BytesIO()
    Image.fromarray(pixels).convert("CMYK").save(cmyk, format="JPEG")
    np.testing.assert_array_equal(imaging.decode(cmyk.getvalue()), pillow_pixels(cmyk.getvalue()))
    png = io.BytesIO()
    Image.fromarray(pixels).save(png, format="PNG")
    np.testing.assert_array_equal(imaging.decode(png.getvalue()), pixels)


def pillow_draft(data: bytes, height: int, width: int, aspect: str) -> np.ndarray:
    """What Pillow alone makes of a JPEG for the model: its draft (DCT-scaled) decode, resized."""
    with Image.open(io.BytesIO(data)) as image:
        full_h, full_w = image.height, image.width
        image.draft(
            "RGB", (width, height) if aspect == "stretch" else imaging._fit(full_h, full_w, height, width)[1::-1]
        )
        return imaging.to_model_size(np.asarray(image), height, width, aspect, fit_from=(full_h, full_w))


@pytest.mark.parametrize(("aspect", "size"), [("stretch", (128, 192)), ("stretch", (160, 240)), ("pad", (320, 320))])
@pytest.mark.parametrize(
    "save", [{"quality": 90}, {"quality": 90, "progressive": True}, {"quality": 95, "subsampling": 0}]
)
def test_a_jpeg_decodes_straight_to_the_model_size_as_pillows_draft_does(aspect, size, save):
    # Kaggle's 1918x1280 decodes at 1/8 for 128x192, at 1/4 for 160x240 (1/8 would be 240x160 exactly, but Pillow's
    # rule keeps 1918 // 240 = 7 -> 4) and for 320x320 padded.
    rng = np.random.default_rng(2)
    smooth = cv2.resize(rng.integers(0, 256, (21, 30, 3), dtype=np.uint8), (1918, 1280))
    data = jpeg(smooth, **save)
    small, full_size = imaging.decode_to_model_size(data, *size, aspect)
    assert full_size == (1280, 1918) and small.shape == (*size, 3)
    np.testing.assert_array_equal(small, pillow_draft(data, *size, aspect))
    # The DCT-scaled decode averages blocks, as an area resize of the full decode does: close to it, not equal.
    shrunk = imaging.to_model_size(imaging.decode(data), *size, aspect)
    assert 0 < np.abs(small.astype(int) - shrunk).mean() < 2.0


def test_scaled_decoding_still_refuses_a_truncated_jpeg_and_decodes_a_png_whole():
    pixels = np.full((512, 768, 3), 200, np.uint8)
    with pytest.raises(OSError, match="truncated"):
        imaging.decode_to_model_size(jpeg(pixels, quality=90)[:2000], 64, 96, "stretch")
    png = io.BytesIO()
    Image.fromarray(pixels).save(png, format="PNG")
    small, full_size = imaging.decode_to_model_size(png.getvalue(), 64, 96, "stretch")
    assert full_size == (512, 768)
    np.testing.assert_array_equal(small, imaging.to_model_size(pixels, 64, 96, "stretch"))


def test_padded_layout_comes_from_the_full_size_after_a_scaled_decode():
    # 1918x1280 decodes at 1/4 to 480x320, whose own fit into 320x320 is 213 rows high; the full
    # size's fit, which to_original_size crops back, is 214: the image must fill those 214 rows.
    image, _ = imaging.decode_to_model_size(jpeg(np.full((1280, 1918, 3), 200, np.uint8), quality=90), 320, 320, "pad")
    filled_rows = np.flatnonzero(image.any(axis=(1, 2)))
    assert (filled_rows.min(), filled_rows.max()) == (53, 53 + 214 - 1)


def test_soft_mask_pixels_keep_the_share_of_their_block_that_is_car():
    mask = np.zeros((4, 8), np.uint8)
    mask[:2, :2] = 1  # a quarter of the first 4x4 block
    mask[:, 4:7] = 1  # three quarters of the second
    soft = imaging.to_model_size(mask, 1, 2, "stretch", is_mask=True, coverage=True)
    assert soft.tolist() == [[64, 191]]  # round(0.25 * 255), round(0.75 * 255)
    assert imaging.to_model_size(mask, 1, 2, "stretch", is_mask=True).tolist() == [[0, 1]]


def test_opencv_runs_in_the_calling_thread_within_the_block_only():
    threads = cv2.getNumThreads()
    with pytest.raises(RuntimeError), imaging.opencv_in_calling_threads():
        assert cv2.getNumThreads() == 1  # OpenCV's count when its pool is off
        raise RuntimeError("a failure inside the block")
    assert cv2.getNumThreads() == threads
