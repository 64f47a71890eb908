"""Keras optimizers whose `momentum`, `beta_1` and `weight_decay` may be schedules."""

import keras

from keras_lrs.optimizers.scheduled import scheduled

SGD = scheduled(keras.optimizers.SGD)
RMSprop = scheduled(keras.optimizers.RMSprop)
Adam = scheduled(keras.optimizers.Adam)
AdamW = scheduled(keras.optimizers.AdamW)
Nadam = scheduled(keras.optimizers.Nadam)
Adamax = scheduled(keras.optimizers.Adamax)
Lion = scheduled(keras.optimizers.Lion)
Adagrad = scheduled(keras.optimizers.Adagrad)
Adadelta = scheduled(keras.optimizers.Adadelta)

__all__ = [
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Lion",
    "Nadam",
    "RMSprop",
    "SGD",
]
