"""How far each schedule that raises a factor to a power is from float64.

For every case of `keras_lrs/_power_cases.py` (and Keras's own
`ExponentialDecay`, for comparison), the largest relative error of the
float32 values, from `keras_lrs.schedule_values`, against a float64
reference: at steps 10**3, 10**6 and 2**31 - 1, and over 200 log-spaced
steps up to 2**31 - 1. Values of the reference below 1e-30 are not counted
(a 0 in the table can mean that). Run once per backend:

    KERAS_BACKEND=jax python benchmarks/power_accuracy.py --out benchmarks/results/power_accuracy-jax.json
"""

from pathlib import Path

from keras_lrs._command_line import OneLineErrorParser
# Run as a script, this folder is on the path.
from report import write_json

STEPS = {"10**3": 10**3, "10**6": 10**6, "2**31-1": 2**31 - 1}


def cases():
    """name -> (schedule, float64 reference)."""
    import keras

    from keras_lrs._power_cases import power_cases

    keras_decay = keras.optimizers.schedules.ExponentialDecay(1.0, 1, 0.99999)
    return {
        **power_cases(),
        "keras ExponentialDecay(1, 1, 0.99999)": (
            keras_decay, lambda t: 0.99999**t
        ),
    }


def errors(schedule, reference, steps):
    import keras_lrs
    from keras_lrs._power_cases import relative_errors

    values = keras_lrs.schedule_values(schedule, steps)
    return relative_errors(values, reference(steps))


def main():
    parser = OneLineErrorParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args()

    from keras_lrs._power_cases import checked_steps

    steps = checked_steps()
    results = {}
    print(f"{'schedule':42} " + " ".join(f"{n:>9}" for n in STEPS) + "  log grid")
    for name, (schedule, reference) in cases().items():
        found = errors(schedule, reference, steps)
        row = {label: float(found[steps == step][0]) for label, step in STEPS.items()}
        row["log grid"] = float(found.max())
        results[name] = row
        print(f"{name:42} " + " ".join(f"{v:9.1e}" for v in row.values()))
    if args.out:
        write_json(args.out, {"relative_errors": results})


if __name__ == "__main__":
    main()
