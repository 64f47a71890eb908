"""A schedule as one function in torch.compile's graph (the torch backend).

`Schedule` calls `torch_graph_value` once per schedule object, when its
constructor has run; see its docstring for why.
"""

import keras

from keras_lrs.schedules.introspection import reads_variables


def torch_graph_value(schedule):
    """On torch, the schedule's value as one function that torch.compile
    puts in its graph without tracing it; None elsewhere, or where a part of
    the schedule may read a variable.

    torch.compile (Dynamo) checks, before every call of a compiled train
    step, everything that its trace looked at: for a schedule's formula,
    each `keras.ops` function it went through and each number it read, a
    check that costs a small model's step more than the formula's
    arithmetic (`benchmarks/overhead.py`). A function marked with
    `torch.compiler.allow_in_graph` is taken whole instead, and still traced
    into the graph (and fused with the update) by the compiler behind
    Dynamo. That trace takes the tensors a function reads only as its
    arguments: a variable read inside would fail, so schedules that may
    read one (`reads_variables`: a user's class, `ScaledSchedule`) are
    traced as usual.
    """
    if keras.backend.backend() != "torch" or reads_variables(schedule):
        return None
    import torch

    def value(step):
        return schedule._value(step)

    # Dynamo tells functions apart by their code object, which every closure
    # of this `def` shares: one of its own, so that a compiled step never
    # runs the graph of another schedule of the same class.
    value.__code__ = value.__code__.replace()
    return torch.compiler.allow_in_graph(value)
