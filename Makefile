# Two commands do all the set-up: `make run` (the whole pipeline on the default
# synthetic data) and `make test` (the test suite). Both build .venv from
# requirements.lock first if it is missing or out of date.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export KEDRO_DISABLE_TELEMETRY := true
export NO_ALBUMENTATIONS_UPDATE := 1
export TF_CPP_MIN_LOG_LEVEL := 1
export PYTHONUNBUFFERED := 1
export NO_MKDOCS_2_WARNING := 1
# dvc.yaml stages call `kedro`: run them with the project environment.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: run test lint docs docs-serve viz mlflow-ui serve browser llvm

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

## The main job: generate the synthetic data if missing, then every stage with DVC.
run: $(VENV)/.installed llvm
	$(BIN)/dvc repro
	$(BIN)/dvc metrics show
	@$(BIN)/python -c "import json; m = json.load(open('data/08_reporting/metrics.json')); \
	print(f\"validation Dice at full resolution: mean {m['dice_mean']:.4f}, min {m['dice_min']:.4f}, {m['images']} images\")"

## The whole test suite (headless Chromium is installed for the kedro-viz test).
test: $(VENV)/.installed browser llvm
	$(BIN)/pytest

## Lint and format checks (the configuration is [tool.ruff] in pyproject.toml).
lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## The documentation site (this README, docs/, benchmarks) in site/; --strict fails on a broken link.
docs: $(VENV)/.installed
	$(BIN)/mkdocs build --strict

docs-serve: $(VENV)/.installed
	$(BIN)/mkdocs serve -a 127.0.0.1:8000

## Mitsuba's LLVM variant (the renderer of the synthetic data) needs LLVM >= 17 as a shared library.
llvm:
	@test -e /usr/lib/x86_64-linux-gnu/libLLVM-19.so || { apt-get update -qq && apt-get install -y -qq libllvm19 >/dev/null; }

browser:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; }

viz: $(VENV)/.installed
	$(BIN)/kedro viz run --host 127.0.0.1

mlflow-ui: $(VENV)/.installed
	$(BIN)/kedro mlflow ui

## Serve the latest registered model (evaluation registers one) on http://127.0.0.1:5001/invocations.
serve: $(VENV)/.installed
	MLFLOW_TRACKING_URI=sqlite:///mlflow.db $(BIN)/mlflow models serve -m models:/carvana-unet/latest \
		--env-manager local -h 127.0.0.1 -p 5001
