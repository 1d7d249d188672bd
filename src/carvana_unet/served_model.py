"""The code MLflow logs as the registered model ("models from code"): MLflow runs this file when it loads the
model, so the model holds no pickled Python object, only its code (`code_paths`), weights and settings.

Not imported by the project: `serving.pyfunc_arguments` passes its path.
"""

from mlflow.models import set_model

from carvana_unet.serving import CarvanaSegmenterModel

set_model(CarvanaSegmenterModel())
