"""A learning rate per group of variables: `learning_rate_multipliers`.

Each key of the dict is a regular expression, fully matched against a
variable's `path` (`re.fullmatch`, as Keras's `OptimizerMap`; the first
matching key wins) when the optimizer is built. In each step the variables
are updated group by group: Keras's own update (`_backend_update_step`,
its fused one on PyTorch) and weight decay (`_apply_weight_decay`, which
reads the current rate) run once per group, with the rate multiplied by
the group's multiplier at the step, a tensor inside the compiled step.
Variables that no key matches are updated as Keras does, with the rate
unchanged.
"""

import contextlib

import keras
from keras import ops

from keras_lrs import compat
from keras_lrs.optimizers.checks import check_multipliers
from keras_lrs.schedules.introspection import resolve_lengths
from keras_lrs.schedules.step_math import LearningRateSchedule

_SHOWN_PATHS = 6


class LearningRateMultipliers:
    """Gives every `keras_lrs.optimizers` class `learning_rate_multipliers`.

    `learning_rate_multipliers={expression: multiplier}`: a variable whose
    `path` the expression fully matches (the first matching key wins) is
    updated with `learning_rate(t) * multiplier(t)`, its decoupled weight
    decay too; the others with `learning_rate(t)`. A multiplier is a float
    >= 0 or a `LearningRateSchedule` called with the step the optimizer
    calls its rate with; one that starts at 0 freezes its group, then thaws
    it. `layer_decay(model, decay)` builds the dict for layer-wise decay.
    Saved in the optimizer's config; `ReduceLROnPlateau`, the range test
    and SWA's rate phase scale the base rate, so the groups keep their
    ratios; `LearningRateMonitor` logs `learning_rate/{expression}` per group.

    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, name="head")])
    >>> optimizer = keras_lrs.optimizers.SGD(
    ...     0.1, learning_rate_multipliers={".*/bias": 0.5})
    >>> optimizer.build(model.trainable_variables)
    >>> [float(v) for v in optimizer.multiplier_values()]
    [0.5]

    Raises `ValueError` for a negative or non-finite multiplier or an
    invalid expression, and, when the optimizer is built, for an expression
    that matches no variable (listing a few paths).
    """

    def __init__(self, *args, learning_rate_multipliers=None, **kwargs):
        checked = check_multipliers(learning_rate_multipliers)
        super().__init__(*args, **kwargs)
        # Past Keras's tracking, which would wrap the dict and its schedules.
        compat.set_untracked(self, "_multipliers", checked)
        compat.set_untracked(self, "_groups", {})

    @property
    def learning_rate_multipliers(self):
        """{expression: float or schedule}, as given."""
        return {
            pattern.pattern: multiplier
            for pattern, multiplier in self._multipliers.items()
        }

    def build(self, var_list):
        super().build(var_list)
        if self._multipliers:
            compat.set_untracked(self, "_groups", _groups(self, var_list))

    def resolve_lengths(self, total_steps):
        """Sizes the multiplier schedules whose lengths are left to the
        training, then whatever else the optimizer holds, as `fit` does the
        learning rate."""
        resolved = {
            pattern: resolve_lengths(multiplier, total_steps)
            for pattern, multiplier in self._multipliers.items()
        }
        compat.set_untracked(self, "_multipliers", resolved)
        more = getattr(super(), "resolve_lengths", None)
        if more is not None:
            more(total_steps)

    def multiplier_values(self, step=None):
        """[float32 tensor]: each multiplier's value at `step`, in the
        dict's order; `step` defaults to the step of the next update."""
        if step is None:
            step = compat.batch_counter(self)
        return [
            ops.cast(m(step) if isinstance(m, LearningRateSchedule) else m, "float32")
            for m in self._multipliers.values()
        ]

    def _by_group(self, variables, *more):
        """[(group or None, variables, *more)], in the order groups appear."""
        split = {}
        for items in zip(variables, *more):
            group = self._groups.get(compat.variable_index(self, items[0]))
            split.setdefault(group, []).append(items)
        return [(group, *map(list, zip(*rows))) for group, rows in split.items()]

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        if not self._groups:
            return super()._backend_update_step(
                grads, trainable_variables, learning_rate
            )
        values = self.multiplier_values()
        for group, variables, group_grads in self._by_group(
            trainable_variables, grads
        ):
            rate = learning_rate if group is None else learning_rate * values[group]
            super()._backend_update_step(group_grads, variables, rate)

    def _apply_weight_decay(self, variables):
        if not self._groups or self.weight_decay is None:
            return super()._apply_weight_decay(variables)
        values = self.multiplier_values()
        for group, group_variables in self._by_group(variables):
            if group is None:
                super()._apply_weight_decay(group_variables)
                continue
            with compat.scaled_learning_rate(self, values[group]):
                super()._apply_weight_decay(group_variables)

    def get_config(self):
        config = super().get_config()
        config["learning_rate_multipliers"] = {
            pattern: keras.optimizers.schedules.serialize(m)
            if isinstance(m, LearningRateSchedule) else m
            for pattern, m in self.learning_rate_multipliers.items()
        }
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        multipliers = config.pop("learning_rate_multipliers", None)
        if multipliers:
            multipliers = {
                pattern: keras.optimizers.schedules.deserialize(
                    m, custom_objects=custom_objects
                ) if isinstance(m, dict) else m
                for pattern, m in multipliers.items()
            }
            config["learning_rate_multipliers"] = multipliers
        return super().from_config(config, custom_objects=custom_objects)


def held_multipliers(optimizer):
    """A context in which the optimizer's multiplier schedules are held at
    their values of the current step (floats), as the range test needs: it
    sweeps the base rate from step 0 with the ratios the groups have now.
    Nothing for an optimizer without multipliers."""
    if not isinstance(optimizer, LearningRateMultipliers) or not optimizer._multipliers:
        return contextlib.nullcontext()
    values = [float(ops.convert_to_numpy(v)) for v in optimizer.multiplier_values()]
    held = dict(zip(optimizer._multipliers, values))
    return compat.untracked_set(optimizer, {"_multipliers": held})


def _groups(optimizer, variables):
    """{variable index: group index}; raises for an expression matching none."""
    patterns = list(optimizer._multipliers)
    groups, matched = {}, set()
    for variable in variables:
        group = next(
            (i for i, p in enumerate(patterns) if p.fullmatch(variable.path)), None
        )
        if group is not None:
            groups[compat.variable_index(optimizer, variable)] = group
            matched.add(group)
    unmatched = [p.pattern for i, p in enumerate(patterns) if i not in matched]
    if unmatched:
        paths = [v.path for v in variables]
        shown = ", ".join(paths[:_SHOWN_PATHS])
        if len(paths) > _SHOWN_PATHS:
            shown += ", ..."
        raise ValueError(
            "Argument `learning_rate_multipliers` must have expressions that "
            f"each match the path of a variable; {unmatched[0]!r} matches "
            f"none of the {len(paths)} variables ({shown}). Received: "
            f"learning_rate_multipliers[{unmatched[0]!r}]"
        )
    return groups
