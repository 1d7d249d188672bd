"""Run the project as a package: ``python -m carvana_unet`` (or ``carvana-unet``).

``carvana-unet predict PHOTOS OUT [--background COLOUR_OR_IMAGE] [--masks-only]`` runs the predict
pipeline on one photo or a folder; ``carvana-unet worker [--env E] [--params P]`` is one non-chief worker of
multi-worker training; anything else is passed to ``kedro run``.
"""

import argparse
import sys
from pathlib import Path
from typing import Any

from kedro.framework.cli.utils import find_run_command
from kedro.framework.project import configure_project
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from omegaconf import OmegaConf

PACKAGE = Path(__file__).parent.name


def predict(argv: list[str]) -> int:
    """The predict pipeline with the photos and output folder as its runtime parameters."""
    parser = argparse.ArgumentParser(prog="carvana-unet predict", description="Masks and cut-outs for any photos.")
    parser.add_argument("photos", type=Path, help="one photo or a folder of JPEG/PNG/WebP photos")
    parser.add_argument("out", type=Path, help="writes masks/, cutouts/ (and composites/) and report.json here")
    parser.add_argument("--background", help="a colour ('white', '#00b140') or an image file: also write composites")
    parser.add_argument("--masks-only", action="store_true", help="no cut-outs: faster, as nothing else needs them")
    parser.add_argument("--env", default=None, help="the Kedro environment whose model and settings to use")
    parser.add_argument("--project", type=Path, default=Path.cwd(), help="the project folder (default: here)")
    args = parser.parse_args(argv)
    options: dict[str, Any] = {"input_dir": str(args.photos.resolve()), "output_dir": str(args.out.resolve())}
    if args.background:
        options["background"] = args.background
    if args.masks_only:
        options["cutouts"] = False
    bootstrap_project(args.project)
    with KedroSession.create(args.project, env=args.env, runtime_params={"predict": options}) as session:
        session.run(pipeline_names=["predict"])
    return 0


def worker(argv: list[str]) -> int:
    """One non-chief worker of multi-worker training: the training node on this worker's slice, nothing saved.

    The chief (TF_CONFIG task 0) runs `kedro run --pipelines training` and writes the model, the
    checkpoints and the MLflow run; each other machine runs this with its own TF_CONFIG task.
    """
    parser = argparse.ArgumentParser(prog="carvana-unet worker", description=worker.__doc__)
    parser.add_argument("--env", default=None, help="the Kedro environment the chief runs with")
    parser.add_argument("--params", default="", help="the chief's --params, as kedro run takes them: a.b=1,c=x")
    parser.add_argument("--project", type=Path, default=Path.cwd(), help="the project folder (default: here)")
    args = parser.parse_args(argv)
    runtime_params = nested_params(f"{args.params},training.distribute=multi_worker".strip(","))
    bootstrap_project(args.project)
    from kedro.framework.project import pipelines  # noqa: PLC0415 (filled in by bootstrap_project)

    with KedroSession.create(args.project, env=args.env, runtime_params=runtime_params) as session:
        context = session.load_context()
        train = next(n for n in pipelines["training"].nodes if n.name == "train_unet")

        def load(name: str) -> Any:  # parameters typed and checked, as kedro run passes them
            group = name.removeprefix("params:")
            return context.params[group] if group != name else context.catalog.load(name)

        train.run({name: load(name) for name in train.inputs})  # outputs dropped: the chief saves them
    return 0


def nested_params(text: str) -> dict[str, Any]:
    """`a.b=1,c=x` read as kedro run's --params reads it, with OmegaConf's dot list: {"a": {"b": 1}, "c": "x"}.

    The same parser, not a look-alike: YAML alone reads `1e-3` as a string, where the chief gets 0.001.
    """
    items = [item.strip() for item in text.split(",") if item.strip()]
    return OmegaConf.to_container(OmegaConf.from_dotlist(items))


def main(*args: Any, **kwargs: Any) -> Any:
    if not args and len(sys.argv) > 1 and sys.argv[1] in ("predict", "worker"):
        return {"predict": predict, "worker": worker}[sys.argv[1]](sys.argv[2:])
    configure_project(PACKAGE)
    run = find_run_command(PACKAGE)
    return run(*args, **kwargs)


if __name__ == "__main__":
    sys.exit(main())
