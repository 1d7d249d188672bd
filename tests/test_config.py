from pathlib import Path

import yaml
from kedro.config import OmegaConfigLoader

from carvana_unet import settings

CONF = Path(__file__).resolve().parents[1] / "conf"


def _base(pipeline: str) -> dict:
    return yaml.safe_load((CONF / "base" / f"parameters_{pipeline}.yml").read_text())


def test_quality_env_overrides_single_values_and_keeps_the_rest():
    loader = OmegaConfigLoader(str(CONF), env="quality", **settings.CONFIG_LOADER_ARGS)
    params = loader["parameters"]
    assert params["training"]["epochs"] == 40 and params["ingestion"]["input_width"] == 240
    # Soft merge: what conf/quality does not name comes from conf/base, key by key.
    assert params["training"]["batch_size"] == _base("training")["training"]["batch_size"]
    assert params["ingestion"]["aspect"] == _base("ingestion")["ingestion"]["aspect"]
    assert params["synthetic"]["width"] == _base("generate")["synthetic"]["width"]
    # One raw folder for every environment: dvc.yaml's deps and outs name it whichever kedro_env runs.
    assert loader["globals"]["raw_dir"] == yaml.safe_load((CONF / "base" / "globals.yml").read_text())["raw_dir"]
