"""benchmarks/gpu.py runs end to end at a tiny size on CPU, so the script a GPU user runs first works."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import gpu  # noqa: E402


def test_gpu_benchmark_prints_and_records_every_figure_at_a_tiny_size(capsys, tmp_path):
    tiny = ["--preset", "cpu-small", "--size", "64", "--batch-size", "2", "--steps", "1"]
    figures = gpu.main([*tiny, "--results", str(tmp_path)])
    assert set(figures) == {"train float32", "train mixed_float16", "predict mixed_float16"}
    assert all(value > 0 for value in figures.values())
    printed = capsys.readouterr().out
    assert "cpu-small U-Net at 64x64" in printed and "the reference's 30 epochs" in printed
    (record,) = [json.loads(path.read_text()) for path in tmp_path.glob("gpu-*.json")]
    assert record["figures"]["train float32"] == figures["train float32"] and record["config"]["size"] == "64x64"
