"""The U-Net and its loss and metric: plain Keras, no Kedro."""
