"""Project settings: https://docs.kedro.org/en/stable/kedro_project_setup/settings.html"""

from kedro.config import OmegaConfigLoader

from carvana_unet.hooks import DvcStageHook, RunTagsHook

HOOKS = (RunTagsHook(), DvcStageHook())
CONFIG_LOADER_CLASS = OmegaConfigLoader
# soft: an environment (conf/local, conf/quality) overrides single values, not whole sections.
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "merge_strategy": {"parameters": "soft", "globals": "soft"},
}
