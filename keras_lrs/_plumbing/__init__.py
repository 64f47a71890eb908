"""What several callbacks, the range test and the optimizers share.

Private: nothing here is public API, and nothing here is a callback.

- `fit_lengths`: schedules sized to the training when `fit` starts.
"""
