"""Same code, data and parameters give the same model: every random draw follows from the seeds.

Training runs in fresh processes, as two `dvc repro` runs would; a seed that stopped reaching
the weights, the shuffle or the augmentation draws would make the hashes differ.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from tiny_training import ARCH, OPTIONS, STEPS, tiny_data

from carvana_unet import augment


def train_and_save(folder: Path, seed: int) -> None:
    """Two epochs of a tiny U-Net through the real feed; writes model.keras and history.csv."""
    from carvana_unet import training
    from carvana_unet.input_pipeline import TrainingFeed
    from carvana_unet.model.compiled import compile_unet
    from carvana_unet.model.saving import save_model

    images, masks = tiny_data()
    options = {**OPTIONS, "seed": seed}
    model = compile_unet(ARCH, 32, 48, options)
    augmentation = augment.SeededAugmentation(augment.build_transform(STEPS), seed)
    feed = TrainingFeed(images, masks, np.arange(len(images)), 4, augmentation, seed=seed)
    history = training.fit(model, feed, None, options, folder / "checkpoints")
    save_model(model, folder / "model.keras")
    history.to_csv(folder / "history.csv", index=False)


def run_training_process(folder: Path, seed: int) -> tuple[str, str]:
    folder.mkdir()
    subprocess.run([sys.executable, __file__, str(folder), str(seed)], check=True, capture_output=True)
    return hashlib.md5((folder / "model.keras").read_bytes()).hexdigest(), (folder / "history.csv").read_text()


def test_two_processes_train_byte_identical_models(tmp_path):
    first = run_training_process(tmp_path / "a", seed=3)
    assert run_training_process(tmp_path / "b", seed=3) == first
    # The hash is sensitive: another seed gives another model.
    assert run_training_process(tmp_path / "c", seed=4)[0] != first[0]


def test_augmentation_draw_depends_on_seed_epoch_and_sample_only():
    images, masks = tiny_data()
    augmentation = augment.SeededAugmentation(augment.build_transform(STEPS), seed=11)
    jobs = [(epoch, sample) for epoch in range(3) for sample in range(len(images))]

    def draw(job):
        epoch, sample = job
        return augmentation(images[sample], masks[sample], epoch, sample)

    in_order = [draw(job) for job in jobs]
    with ThreadPoolExecutor(4) as pool:  # other threads, other order
        shuffled = list(pool.map(draw, reversed(jobs)))[::-1]
    for (image_a, mask_a), (image_b, mask_b) in zip(in_order, shuffled):
        np.testing.assert_array_equal(image_a, image_b)
        np.testing.assert_array_equal(mask_a, mask_b)
    # Epochs differ from each other, and so do two augmentation seeds.
    assert not all(np.array_equal(in_order[s][0], in_order[len(images) + s][0]) for s in range(len(images)))
    other = augment.SeededAugmentation(augment.build_transform(STEPS), seed=12)
    assert not all(np.array_equal(other(images[s], masks[s], 0, s)[0], in_order[s][0]) for s in range(len(images)))


if __name__ == "__main__":
    train_and_save(Path(sys.argv[1]), int(sys.argv[2]))
