"""The model: the rhythm VAE network, training, decoding, model files and the models in memory."""
