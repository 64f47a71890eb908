"""What several callbacks, the range test and the optimizers share.

Private: nothing here is public API, and nothing here is a callback.

- `rates`: which optimizers' rates the updates use, and `OptimizerRates`,
  the rates of an optimizer's updates read once per use; `rate_cache`,
  their values over many steps at once.
- `scaled_schedule`: `ScaledSchedule`, a schedule times a scale that
  `ReduceLROnPlateau` lowers (registered as `keras_lrs>ScaledSchedule`).
- `state`: `CallbackState`, counters that ride with the optimizer's
  weights; `hidden_variables`: variables the optimizer tracks but does not
  save.
- `ordering`: callbacks that run before the checkpoints of their epoch.
- `events`: TensorBoard's event file format, written with NumPy.

The Keras internals these rely on are read through `keras_lrs.compat`.
"""
