"""Learning-rate schedules: every family as a serializable Keras schedule."""

from keras_lrs.schedules.base import Schedule
from keras_lrs.schedules.combinators import FromEpochs, Sequential, Warmup
from keras_lrs.schedules.constant import Constant
from keras_lrs.schedules.cosine import CosineDecay, CosineRestarts
from keras_lrs.schedules.cyclical import Cyclical, CyclicalMomentum
from keras_lrs.schedules.one_cycle import OneCycle, OneCycleMomentum
from keras_lrs.schedules.decay import (
    ExponentialDecay,
    InverseSqrtDecay,
    InverseTimeDecay,
    PolynomialDecay,
)
from keras_lrs.schedules.step import MultiStepDecay, PiecewiseConstant, StepDecay
from keras_lrs.schedules.wsd import WarmupStableDecay

__all__ = [
    "Constant",
    "CosineDecay",
    "CosineRestarts",
    "Cyclical",
    "CyclicalMomentum",
    "ExponentialDecay",
    "FromEpochs",
    "InverseSqrtDecay",
    "InverseTimeDecay",
    "MultiStepDecay",
    "OneCycle",
    "OneCycleMomentum",
    "PiecewiseConstant",
    "PolynomialDecay",
    "Schedule",
    "Sequential",
    "StepDecay",
    "Warmup",
    "WarmupStableDecay",
]
