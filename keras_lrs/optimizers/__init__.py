"""Keras optimizers whose momentum, `beta_1` and weight decay may be schedules,
and whose variables may have rates of their own (`learning_rate_multipliers`,
`layer_decay`).

`Lamb` (Keras 3.5 and later) and `Muon` (Keras 3.10 and later) are defined
only where Keras has them.
"""

import keras

from keras_lrs.optimizers.layer_decay import layer_decay
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
Adafactor = scheduled(keras.optimizers.Adafactor)
Ftrl = scheduled(keras.optimizers.Ftrl)

__all__ = [
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Ftrl",
    "Lion",
    "Nadam",
    "RMSprop",
    "SGD",
    "layer_decay",
]

if hasattr(keras.optimizers, "Lamb"):
    Lamb = scheduled(keras.optimizers.Lamb)
    __all__.append("Lamb")
if hasattr(keras.optimizers, "Muon"):
    Muon = scheduled(keras.optimizers.Muon)
    __all__.append("Muon")
