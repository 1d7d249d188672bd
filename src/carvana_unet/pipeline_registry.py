"""Project pipelines."""

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline


def register_pipelines() -> dict[str, Pipeline]:
    """Every folder under pipelines/ is a pipeline; the default runs all but `generate`."""
    pipelines = find_pipelines()
    pipelines["__default__"] = sum(p for name, p in pipelines.items() if name != "generate")
    return pipelines
