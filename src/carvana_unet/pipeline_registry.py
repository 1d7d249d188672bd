"""Project pipelines."""

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline


def register_pipelines() -> dict[str, Pipeline]:
    """Every folder under pipelines/ is a pipeline; the default runs all but `generate` and `predict`."""
    pipelines = find_pipelines(raise_errors=True)  # a pipeline that fails to import is an error, not left out
    pipelines["__default__"] = sum(p for name, p in pipelines.items() if name not in ("generate", "predict"))
    return pipelines
