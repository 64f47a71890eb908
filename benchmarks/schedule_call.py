"""The host time of one eager call of each schedule, op by op.

Where no compiler fuses a schedule into the train step, each call runs its
ops one by one, and the host time of those ops is what the schedule costs:
in PyTorch's default train step (Keras compiles it only with
`jit_compile=True`), where Keras's AdamW calls the schedule twice per step,
and in `schedule_values`. The step is a scalar integer variable, as
`optimizer.iterations` is. Each configuration is called `--calls` times in
a row, `--repeats` times; the table gives the best repeat (as `timeit`
does: the others are the same work, slowed by the machine) and the median,
in µs per call, next to Keras's own `CosineDecay`, with and without its
warmup. Run once per backend:

    KERAS_BACKEND=torch python benchmarks/schedule_call.py --repeats 15 --out benchmarks/results/raw/schedule_call-torch.json
"""

import os
import platform
import statistics
import time
from pathlib import Path

from keras_lrs._command_line import OneLineErrorParser, positive_int
# Run as a script, this folder is on the path.
from report import write_json


def configurations():
    """name -> schedule."""
    import keras

    from keras_lrs._cases import CASE_NAMES, make

    schedules = keras.optimizers.schedules
    configs = {
        "keras CosineDecay": schedules.CosineDecay(0.1, 10_000),
        "keras CosineDecay with warmup": schedules.CosineDecay(
            0.0, 10_000, warmup_target=0.1, warmup_steps=100
        ),
    }
    for name in CASE_NAMES:
        configs[f"keras_lrs {name}"] = make(name)
    return configs


def time_calls(schedule, step, calls, repeats):
    """Seconds per call, one number per repeat, after a warm-up."""
    for _ in range(min(calls, 20)):
        schedule(step.value)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            schedule(step.value)
        times.append((time.perf_counter() - start) / calls)
    return times


def main():
    parser = OneLineErrorParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=positive_int, default=300,
                        help="calls in a row per repeat (default 300)")
    parser.add_argument("--repeats", type=positive_int, default=7,
                        help="repeats per configuration (default 7)")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args()
    import keras

    # The optimizer's step: int64 on PyTorch, int32 elsewhere, at a step
    # inside every case's first phase and past most warmups.
    dtype = "int64" if keras.backend.backend() == "torch" else "int32"
    step = keras.Variable(100, dtype=dtype, trainable=False)
    rows = []
    for name, schedule in configurations().items():
        samples = time_calls(schedule, step, args.calls, args.repeats)
        rows.append({
            "configuration": name,
            "best_us_per_call": min(samples) * 1e6,
            "median_us_per_call": statistics.median(samples) * 1e6,
            "samples_us": [t * 1e6 for t in samples],
        })

    backend = keras.backend.backend()
    print(f"backend={backend}  calls={args.calls}  repeats={args.repeats}  "
          f"machine={platform.machine()} {os.cpu_count()} CPUs")
    print(f"{'configuration':40s} {'best µs/call':>13s} {'median':>9s}")
    for row in rows:
        print(f"{row['configuration']:40s} {row['best_us_per_call']:13.1f} "
              f"{row['median_us_per_call']:9.1f}")
    if args.out:
        write_json(args.out, {
            "calls": args.calls, "repeats": args.repeats, "results": rows,
        })


if __name__ == "__main__":
    main()
