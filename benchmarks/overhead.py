"""The cost of a learning-rate schedule inside the training step.

A small model whose step is cheap (so that overhead shows) is trained with
`jit_compile=True` and `steps_per_execution=32` (1 on PyTorch, where Keras
allows no more) under each configuration: a float rate, Keras's built-in
`CosineDecay`, every keras_lrs schedule (the list of `keras_lrs/_cases.py`),
`Warmup(CosineRestarts)` under `ReduceLROnPlateau`, `LearningRateMonitor`
with one TensorBoard point per step, and the usual community approach, a
Python callback that sets the rate before every batch (which needs
`steps_per_execution=1` to do what it says).

The baseline is the mean time of two models with a float rate: two
identical models can differ by a few percent on a CPU, and a single one
would lend its own bias to every ratio. A third one ("float rate (third
model)") is the control: its ratio shows what an identical configuration
differs by on this machine. It is built and compiled after all the others,
so that it would also show a cost of coming last (see `compile_alone`).

The two callbacks work once per epoch on the host (the plateau decision, the
monitor's events) besides what they add to the step. Their models are also
timed without the callback ("... (callback not called)": the same compiled
model, the plateau wrapper still in its step), and the JSON
(`callback_ms_per_epoch`) and the table give the median over the rounds of
an epoch with the callback minus one without, in the same round. That
difference carries the drift of two epochs; the time spent inside the
callback's own hooks, clocked around each of them (`clock_hooks`), does
not: the JSON and the table give it per epoch and as a share of the
baseline's epoch in the same round.

The configurations are timed side by side: every round times one epoch of
each, in a shuffled order, after a compiled warm-up; an epoch is timed until
its last update has been made (`wait_for_updates`: JAX's `fit` can return
before that). The table gives the
median time per step, the median over the rounds of its ratio to the
baseline's time in the same round, and a 95% confidence interval of that
median (bootstrap over the rounds). Where the issue sets a target (2% for a
schedule or the plateau wrapper, 3% for the per-step monitor), the last
column says "met" when the whole interval is at or below it, "missed" when
the whole interval is above it, and "open" when the rounds cannot tell.

On JAX and PyTorch, Keras hands the work at the end of each call (turning
the step's logs into Python numbers, then the callbacks' batch-end hooks)
to a thread of its own, unless a callback overrides those hooks; on a CPU
that thread may compete with the training loop for the interpreter.
`--sync-batch-ends` adds to every model's `fit` a callback that overrides
them and does nothing, so that Keras calls them in the loop and the two
ways can be compared.

`--timing call` times the compiled train function itself, called the way
`fit` calls it (one call runs `steps_per_execution` batches), without `fit`
around it, and interleaves the configurations call by call: every round
calls each model once, in a shuffled order. On a shared CPU the time of the
same call drifts, over seconds, by more than the few percent to be measured;
a round of calls takes a fraction of the time of a round of epochs, so the
drift cancels out in the ratios, and many more rounds fit in the same time. The comparison is also stricter: `fit`'s own work per step is
not in the denominator. The callbacks, which only `fit` calls, are not timed
this way (their models are, "callback not called"), nor is the per-batch
Python callback. Run once per backend and timing:

    KERAS_BACKEND=jax python benchmarks/overhead.py --out benchmarks/results/raw/overhead-jax.json
    KERAS_BACKEND=jax python benchmarks/overhead.py --timing call --out benchmarks/results/raw/overhead-calls-jax.json
    python benchmarks/summarize.py benchmarks/results/raw/*.json  # the summaries kept in benchmarks/results
"""

import itertools
import math
import os
import platform
import random
import statistics
import tempfile
import time
import types
from pathlib import Path
from typing import NamedTuple

import numpy as np

from keras_lrs._command_line import (
    OneLineErrorParser, positive_float, positive_int,
)
# Run as a script, this folder is on the path.
from overhead_table import (
    CONTROL, FLOAT_ONE_STEP, KERAS_COSINE, MONITOR, NOT_CALLED, OURS, PER_BATCH,
    PLATEAU,
)
from report import write_json


def per_batch_rate(schedule_fn):
    """The community approach: a callback that sets the rate from Python
    before every batch, to `schedule_fn(step)`."""
    import keras

    class PerBatchRate(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.step = 0

        def on_train_batch_begin(self, batch, logs=None):
            self.model.optimizer.learning_rate = schedule_fn(self.step)
            self.step += 1

    return PerBatchRate()


def synchronous_batch_ends():
    """A callback that does nothing at the end of a batch. Where Keras's
    backend is thread-safe (JAX, PyTorch), it calls the batch-end hooks on a
    thread of its own unless a callback overrides them; with this one in the
    list, it calls them in the training loop, between two steps."""
    import keras

    class SynchronousBatchEnds(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            pass

    return SynchronousBatchEnds()


def _cosine(step, peak=0.01, decay_steps=10_000):
    return 0.5 * peak * (1 + math.cos(math.pi * min(step, decay_steps) / decay_steps))


SCHEDULE_TARGET = 0.02
MONITOR_TARGET = 0.03
BASELINE = ("float rate", "float rate (second model)")
SCHEDULED_MOMENTUM = "scheduled momentum (keras_lrs.optimizers.SGD)"


class Configuration(NamedTuple):
    rate: object
    callbacks: list
    steps_per_execution: int
    target: float | None
    model_of: str | None = None  # the configuration whose model this times
    momentum: object = None  # a schedule: keras_lrs.optimizers.SGD's momentum


def configurations(log_dir):
    """name -> Configuration."""
    import keras

    import keras_lrs
    from keras_lrs import schedules as s
    from keras_lrs._cases import CASE_NAMES, make

    fast = 1 if keras.backend.backend() == "torch" else 32
    configs = {
        name: Configuration(0.01, [], fast, None)
        for name in (*BASELINE, CONTROL)
    }
    configs[KERAS_COSINE] = Configuration(
        keras.optimizers.schedules.CosineDecay(0.01, 10_000), [], fast, None
    )
    for name in CASE_NAMES:
        configs[OURS + name] = Configuration(
            make(name), [], fast, SCHEDULE_TARGET
        )
    configs[PLATEAU] = Configuration(
        s.Warmup(s.CosineRestarts(0.01, 1000), 100),
        [keras_lrs.callbacks.ReduceLROnPlateau(monitor="loss", patience=2)],
        fast,
        SCHEDULE_TARGET,
    )
    configs[PLATEAU + NOT_CALLED] = Configuration(
        None, [], fast, SCHEDULE_TARGET, model_of=PLATEAU
    )
    configs[MONITOR] = Configuration(
        s.CosineDecay(0.01, 10_000),
        [keras_lrs.callbacks.LearningRateMonitor(log_dir, update_freq="batch")],
        fast,
        MONITOR_TARGET,
    )
    configs[MONITOR + NOT_CALLED] = Configuration(
        None, [], fast, SCHEDULE_TARGET, model_of=MONITOR
    )
    configs[PER_BATCH] = Configuration(
        0.01, [per_batch_rate(_cosine)], 1, None
    )
    configs[FLOAT_ONE_STEP] = Configuration(0.01, [], 1, None)
    # A float rate with a scheduled momentum (one-cycle's), against the
    # baseline's float momentum 0.9 (SGD only).
    configs[SCHEDULED_MOMENTUM] = Configuration(
        0.01, [], fast, SCHEDULE_TARGET,
        momentum=s.OneCycle(0.01, 10_000).momentum_schedule(),
    )
    return configs


def choose(configs, names):
    """The named configurations and the baseline; a callback's configuration
    comes with its model timed without the callback, and the other way round.
    """
    wanted = set(BASELINE) | set(names)
    wanted |= {configs[name].model_of for name in names} - {None}
    return {
        name: config for name, config in configs.items()
        if name in wanted or config.model_of in wanted
    }


def median_interval(ratios, confidence=0.95, resamples=4000):
    """Bootstrap interval of the median of `ratios` (percentile method)."""
    rng = np.random.default_rng(0)
    ratios = np.asarray(ratios)
    medians = np.median(rng.choice(ratios, (resamples, len(ratios))), axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(medians, [tail, 100 - tail])
    return float(low), float(high)


def verdict(interval, target):
    if target is None:
        return ""
    low, high = interval
    if high <= 1 + target:
        return "met"
    if low > 1 + target:
        return "missed"
    return "open"


def compile_every_model():
    """Lets torch.compile compile each of the models alike, as if alone.

    torch.compile compiles the train step's code again for each model, and
    past `recompile_limit` (8) recompilations it silently runs the code
    eagerly: without a higher limit, the configurations compiled last would
    be timed uncompiled, at twice the time per step or more. And when it
    compiles the same code a second time, it makes the numbers that changed
    symbolic ("automatic dynamic"): only the model compiled first would get
    a graph specialized to its numbers.
    """
    import keras

    if keras.backend.backend() != "torch":
        return
    import torch._dynamo

    for name in ("recompile_limit", "accumulated_recompile_limit",
                 "cache_size_limit", "accumulated_cache_size_limit"):
        if hasattr(torch._dynamo.config, name):
            setattr(torch._dynamo.config, name, 4096)
    torch._dynamo.config.automatic_dynamic_shapes = False


def compile_alone(model):
    """On PyTorch, compiles `model`'s train function from a code object of its
    own, as if the model were alone in the process.

    Keras compiles the same function for every model, and torch.compile keeps
    one cache of compiled graphs per code object, whose entries a call may
    check in turn: with thirty models in one process, the models compiled
    last would pay for the checks of those compiled first, which no user
    with one model pays (call by call with AdamW, before this, a float rate
    compiled after all the schedules measured 1.025x). Where the step breaks
    the graph (Keras's SGD, see docs/benchmarks.md), the code after the break is
    still shared by all the models.
    """
    import keras

    if keras.backend.backend() != "torch":
        return
    import torch

    model.make_train_function()
    step = model.train_function._torchdynamo_orig_callable
    own = types.FunctionType(step.__code__.replace(), step.__globals__,
                             step.__name__, step.__defaults__, step.__closure__)
    model.train_function = torch.compile(own)


def build(learning_rate, steps_per_execution, features, optimizer, momentum=None):
    import keras

    import keras_lrs

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((features,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(1),
        ]
    )
    if momentum is not None:
        optimizer = keras_lrs.optimizers.SGD(learning_rate, momentum=momentum)
    elif optimizer == "sgd":
        optimizer = keras.optimizers.SGD(learning_rate, momentum=0.9)
    else:
        optimizer = keras.optimizers.AdamW(learning_rate, weight_decay=1e-4)
    model.compile(
        optimizer=optimizer,
        loss="mse",
        jit_compile=True,
        steps_per_execution=steps_per_execution,
    )
    compile_alone(model)
    return model


def one_call(model, x, y, batch_size):
    """A function that calls `model`'s compiled train function once, as `fit`
    does (on `steps_per_execution` batches of `x`, `y`, taken in turn), and
    waits for its result."""
    import keras

    backend = keras.backend.backend()
    model.make_train_function()
    if backend == "tensorflow":
        import tensorflow as tf

        batches = tf.data.Dataset.from_tensor_slices((x, y))
        iterator = iter(batches.batch(batch_size, drop_remainder=True).repeat())
        call = lambda: model.train_function(iterator)  # noqa: E731
    else:
        batches = itertools.cycle([
            (keras.ops.convert_to_tensor(x[i : i + batch_size]),
             keras.ops.convert_to_tensor(y[i : i + batch_size]))
            for i in range(0, len(x) - batch_size + 1, batch_size)
        ])
        if backend == "torch":
            call = lambda: model.train_function([next(batches)])  # noqa: E731
        else:
            # JAX: the train function takes the model's state and returns it,
            # as in fit (Keras's private `_get_jax_state`). The first call
            # consumes the model's own variables: nothing reads them after.
            state = model._get_jax_state(
                trainable_variables=True, non_trainable_variables=True,
                optimizer_variables=True, metrics_variables=True,
            )

            def call():
                nonlocal state
                logs, state = model.train_function(state, batches)
                return logs

    def call_and_wait():
        logs = call()
        keras.ops.convert_to_numpy(logs["loss"])  # waits for the step (JAX)

    return call_and_wait


def wait_for_updates(model):
    """Returns once the model's last update has been made.

    JAX dispatches steps asynchronously: its `fit` may return while the
    device still runs the last ones, and the next thing timed would pay for
    them.
    """
    import keras

    keras.ops.convert_to_numpy(model.optimizer.iterations)


def clock_hooks(callbacks, wait=None):
    """Times the hooks that `callbacks` define; a function that returns the
    seconds spent in them since it was last called.

    Only the hooks a callback's class overrides are wrapped (on the instance):
    Keras dispatches the batch-end hooks asynchronously unless a callback
    overrides them, and a wrapped default would look overridden. Before each
    hook that is not a batch's, `wait()` (unclocked) lets the device finish
    the steps dispatched so far: a hook that reads a value from the device
    would otherwise be clocked waiting for them. (Not before a batch's hook:
    that would stop JAX from dispatching a step while the last one runs.)
    """
    import keras

    spent = [0.0]

    def timed(hook, wait):
        def call(*args, **kwargs):
            if wait is not None:
                wait()
            start = time.perf_counter()
            try:
                return hook(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - start

        return call

    for callback in callbacks:
        for name in dir(keras.callbacks.Callback):
            if name.startswith("on_") and (
                getattr(type(callback), name) is not getattr(keras.callbacks.Callback, name)
            ):
                hook_wait = None if "batch" in name else wait
                setattr(callback, name, timed(getattr(callback, name), hook_wait))

    def lap():
        seconds, spent[0] = spent[0], 0.0
        return seconds

    return lap


def epochs(models, x, y, batch_size, steps, hook_times, extra_callbacks=()):
    """name -> (a function that runs one `fit` epoch of that model and waits
    for its last update, steps).

    For a model with callbacks, each epoch also appends the seconds spent in
    the callbacks' hooks to `hook_times[name]`. `extra_callbacks` go to
    every model's `fit` too, not clocked.
    """
    def epoch(model, callbacks):
        def run():
            model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0,
                      shuffle=False, callbacks=[*callbacks, *extra_callbacks])
            wait_for_updates(model)

        return run

    def epoch_and_hooks(name, model, callbacks):
        run = epoch(model, callbacks)
        lap = clock_hooks(callbacks, lambda: wait_for_updates(model))
        hook_times[name] = []
        return lambda: (run(), hook_times[name].append(lap()))

    return {
        name: (epoch_and_hooks(name, *models[name]) if models[name][1]
               else epoch(*models[name]), steps)
        for name in models
    }


def calls(models, x, y, batch_size):
    """name -> (a function that calls that model's compiled train function
    once, its steps per call); models with callbacks are left out."""
    runs = {}
    for name, (model, callbacks) in models.items():
        if callbacks:
            continue
        runs[name] = (one_call(model, x, y, batch_size), model.steps_per_execution)
        for _ in range(3):  # the first call may trace the step again
            runs[name][0]()
    return runs


def time_rounds(runs, rounds, time_limit=None):
    """name -> time per step of one run of each, in each round.

    With `time_limit` (seconds), no round starts once that much time has
    passed since the first: fewer rounds, all whole, where the machine is
    slower than planned for.
    """
    times = {name: [] for name in runs}
    order = list(runs)
    shuffler = random.Random(0)
    started = time.perf_counter()
    for _ in range(rounds):
        if time_limit is not None and time.perf_counter() - started >= time_limit:
            break
        shuffler.shuffle(order)  # no configuration always runs first
        for name in order:
            run, steps = runs[name]
            start = time.perf_counter()
            run()
            times[name].append((time.perf_counter() - start) / steps)
    return times


def main():
    parser = OneLineErrorParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=positive_int, default=1024,
                        help="steps per timed epoch (with --timing call: the "
                        "batches of data, taken in turn)")
    parser.add_argument(
        "--rounds", type=positive_int,
        help="rounds of timing (default: 60 epochs or 1000 calls of each model)",
    )
    parser.add_argument(
        "--timing", choices=("epoch", "call"), default="epoch",
        help="time one fit epoch of each model per round (default), or one "
        "call of its compiled train function",
    )
    parser.add_argument(
        "--optimizer", choices=("sgd", "adamw"), default="sgd",
        help="SGD with momentum 0.9 (default), or AdamW",
    )
    parser.add_argument(
        "--sync-batch-ends", action="store_true",
        help="give every model's fit a callback that overrides "
        "on_train_batch_end (and does nothing), so that Keras calls the "
        "batch-end hooks in the training loop instead of on a thread of its "
        "own (JAX, PyTorch); epoch timing only",
    )
    parser.add_argument(
        "--time-limit", type=positive_float, metavar="SECONDS",
        help="start no round after this many seconds of timing (the rounds "
        "done are reported); none by default",
    )
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument(
        "--configurations", type=lambda text: text.split(","),
        help="comma-separated names of the configurations to time (the "
        "baseline's two float-rate models always are); all by default",
    )
    args = parser.parse_args()
    if args.rounds is None:
        args.rounds = 1000 if args.timing == "call" else 60
    if args.sync_batch_ends and args.timing == "call":
        parser.error("--sync-batch-ends is for --timing epoch: calls run no callbacks")
    import keras

    features, batch_size = 16, 8
    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.steps * batch_size, features)).astype("float32")
    y = rng.normal(size=(args.steps * batch_size, 1)).astype("float32")

    compile_every_model()
    with tempfile.TemporaryDirectory() as log_dir:
        models, hook_times = {}, {}
        chosen = configurations(log_dir)
        if args.configurations:
            unknown = set(args.configurations) - set(chosen)
            if unknown:
                parser.error(f"unknown configurations: {', '.join(sorted(unknown))}")
            chosen = choose(chosen, args.configurations)
        # The control is built and compiled last: a cost of coming after the
        # others (see compile_alone) would show in it.
        last = sorted(chosen, key=lambda name: name == CONTROL)
        for name, config in ((name, chosen[name]) for name in last):
            if config.model_of:
                models[name] = (models[config.model_of][0], config.callbacks)
                continue
            model = build(config.rate, config.steps_per_execution, features,
                          args.optimizer, config.momentum)
            model.fit(x[: 64 * batch_size], y[: 64 * batch_size], batch_size=batch_size,
                      epochs=1, verbose=0, callbacks=config.callbacks)  # compile, warm up
            models[name] = (model, config.callbacks)
        if args.timing == "call":
            runs = calls(models, x, y, batch_size)
        else:
            extra_callbacks = [synchronous_batch_ends()] if args.sync_batch_ends else []
            runs = epochs(models, x, y, batch_size, args.steps, hook_times,
                          extra_callbacks)
        times = time_rounds(runs, args.rounds, args.time_limit)
    rounds = len(next(iter(times.values())))

    # µs per step, to the ns: what the JSON keeps, and all that follows uses.
    times = {
        name: [round(t * 1e6, 3) for t in samples] for name, samples in times.items()
    }
    # A ratio per round, to the baseline timed in the same round, so that a
    # slow drift of the machine's speed cancels out; the median over the
    # rounds, and how sure that median is.
    baseline = [statistics.fmean(pair) for pair in zip(*(times[n] for n in BASELINE))]
    rows = []
    for name, samples in ((name, times[name]) for name in chosen if name in times):
        ratios = [t / b for t, b in zip(samples, baseline)]
        interval = median_interval(ratios)
        target = chosen[name].target
        rows.append({
            "configuration": name,
            "median_step_us": statistics.median(samples),
            "ratio_to_float_rate": statistics.median(ratios),
            "ratio_interval_95": list(interval),
            "target": target,
            "verdict": verdict(interval, target),
            "samples_us": samples,
        })
        without = name + NOT_CALLED
        if without in times:
            # The callback's host work per epoch: the same model's time with
            # and without it, in the same round.
            extra = [
                (t - u) * args.steps / 1e3 for t, u in zip(samples, times[without])
            ]
            rows[-1]["callback_ms_per_epoch"] = statistics.median(extra)
            rows[-1]["callback_ms_interval_95"] = list(median_interval(extra))
        if name in hook_times:
            # The time spent inside the callback's own hooks in each epoch (ms,
            # to 0.1 µs, as the JSON keeps it), and its share of the
            # baseline's epoch in the same round.
            hooks = [round(seconds * 1e3, 4) for seconds in hook_times[name]]
            shares = [ms * 1e3 / (b * args.steps) for ms, b in zip(hooks, baseline)]
            rows[-1]["hooks_ms_per_epoch"] = statistics.median(hooks)
            rows[-1]["hooks_ms_interval_95"] = list(median_interval(hooks))
            rows[-1]["hooks_share_of_epoch"] = statistics.median(shares)
            rows[-1]["hooks_share_interval_95"] = list(median_interval(shares))
            rows[-1]["hooks_ms_samples"] = hooks

    backend = keras.backend.backend()
    batch_ends = "synchronous" if args.sync_batch_ends else "keras"
    print(f"backend={backend}  optimizer={args.optimizer}  timing={args.timing}  "
          f"batch_ends={batch_ends}  steps/epoch={args.steps}  rounds={rounds}  "
          f"machine={platform.machine()} {os.cpu_count()} CPUs")
    print(f"baseline: the mean of {' and '.join(BASELINE)}")
    print(f"{'configuration':66s} {'median µs/step':>15s} {'vs baseline':>12s} "
          f"{'95% interval':>18s} {'target':>7s}  verdict")
    for row in rows:
        low, high = row["ratio_interval_95"]
        target = f"+{row['target']:.0%}" if row["target"] is not None else ""
        print(f"{row['configuration']:66s} {row['median_step_us']:15.2f} "
              f"{row['ratio_to_float_rate']:11.3f}x {low:8.3f}x-{high:.3f}x "
              f"{target:>7s}  {row['verdict']}")
    for row in rows:
        if "callback_ms_per_epoch" in row:
            low, high = row["callback_ms_interval_95"]
            print(f"an epoch with the callback minus one without, in "
                  f"{row['configuration']}: "
                  f"{row['callback_ms_per_epoch']:.2f} ms per epoch "
                  f"({low:.2f}-{high:.2f})")
        if "hooks_ms_per_epoch" in row:
            low, high = row["hooks_ms_interval_95"]
            share_low, share_high = row["hooks_share_interval_95"]
            print(f"time in the hooks of the callback in {row['configuration']}: "
                  f"{row['hooks_ms_per_epoch']:.2f} ms per epoch "
                  f"({low:.2f}-{high:.2f}), {row['hooks_share_of_epoch']:.2%} "
                  f"of the baseline's epoch ({share_low:.2%}-{share_high:.2%})")
    if args.out:
        write_json(args.out, {
            "optimizer": args.optimizer, "timing": args.timing,
            "batch_ends": batch_ends, "steps_per_epoch": args.steps,
            "rounds": rounds, "rounds_asked": args.rounds,
            "time_limit_s": args.time_limit,
            "baseline": list(BASELINE),
            "baseline_median_step_us": statistics.median(baseline),
            "results": rows,
        })


if __name__ == "__main__":
    main()
