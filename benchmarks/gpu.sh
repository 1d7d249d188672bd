#!/usr/bin/env bash
# On a machine with an NVIDIA GPU: build the environment with the GPU build of TensorFlow if needed,
# then time the reference-1024 U-Net (benchmarks/gpu.py). About 5 minutes, most of it the install.
# KERAS_BACKEND=jax (or torch) instead times the same Keras model on the python3 already there
# (it needs keras, numpy, opencv, pandas and pillow), for a box that cannot install TensorFlow.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${KERAS_BACKEND:-tensorflow}" != tensorflow ]]; then
  PYTHONPATH="src${PYTHONPATH:+:$PYTHONPATH}" exec "${PYTHON:-python3}" benchmarks/gpu.py "$@"
fi
make .venv/.installed
if ! .venv/bin/python -c "import tensorflow as tf, sys; sys.exit(not tf.config.list_physical_devices('GPU'))" 2>/dev/null; then
  .venv/bin/pip uninstall --quiet -y tensorflow-cpu
  .venv/bin/pip install --quiet -e ".[gpu]"
fi
.venv/bin/python benchmarks/gpu.py "$@"
