"""Run the project as a package: ``python -m carvana_unet`` (or ``carvana-unet``).

``carvana-unet predict PHOTOS OUT [--background COLOUR_OR_IMAGE]`` runs the predict pipeline on one
photo or a folder; anything else is passed to ``kedro run``.
"""

import argparse
import sys
from pathlib import Path
from typing import Any

from kedro.framework.cli.utils import find_run_command
from kedro.framework.project import configure_project
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

PACKAGE = Path(__file__).parent.name


def predict(argv: list[str]) -> int:
    """The predict pipeline with the photos and output folder as its runtime parameters."""
    parser = argparse.ArgumentParser(prog="carvana-unet predict", description="Masks and cut-outs for any photos.")
    parser.add_argument("photos", type=Path, help="one photo or a folder of JPEG/PNG/WebP photos")
    parser.add_argument("out", type=Path, help="writes masks/, cutouts/ (and composites/) and report.json here")
    parser.add_argument("--background", help="a colour ('white', '#00b140') or an image file: also write composites")
    parser.add_argument("--env", default=None, help="the Kedro environment whose model and settings to use")
    parser.add_argument("--project", type=Path, default=Path.cwd(), help="the project folder (default: here)")
    args = parser.parse_args(argv)
    options: dict[str, Any] = {"input_dir": str(args.photos.resolve()), "output_dir": str(args.out.resolve())}
    if args.background:
        options["background"] = args.background
    bootstrap_project(args.project)
    with KedroSession.create(args.project, env=args.env, runtime_params={"predict": options}) as session:
        session.run(pipeline_names=["predict"])
    return 0


def main(*args: Any, **kwargs: Any) -> Any:
    if not args and len(sys.argv) > 1 and sys.argv[1] == "predict":
        return predict(sys.argv[2:])
    configure_project(PACKAGE)
    run = find_run_command(PACKAGE)
    return run(*args, **kwargs)


if __name__ == "__main__":
    sys.exit(main())
