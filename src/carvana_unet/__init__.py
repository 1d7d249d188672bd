"""carvana-unet: Carvana car segmentation with Kedro, Keras, DVC and MLflow."""

__version__ = "0.1.0"
