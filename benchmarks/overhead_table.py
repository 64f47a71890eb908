"""The overhead tables of docs/benchmarks.md, from the JSON files of `overhead.py`.

One column per file, in the order given:

    python benchmarks/overhead_table.py benchmarks/results/overhead-tensorflow.json \\
        benchmarks/results/overhead-jax.json benchmarks/results/overhead-torch.json
"""

import argparse
import json
from pathlib import Path

BACKENDS = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}
# The names of overhead.py's configurations (it imports them from here, a
# module that loads no Keras backend).
CONTROL = "float rate (third model)"
KERAS_COSINE = "keras CosineDecay"
OURS = "keras_lrs "  # + a case name of keras_lrs/_cases.py
PLATEAU = "Warmup(CosineRestarts) + ReduceLROnPlateau"
MONITOR = "CosineDecay + LearningRateMonitor(batch)"
NOT_CALLED = " (callback not called)"
PER_BATCH = "per-batch Python callback (spe=1)"
FLOAT_ONE_STEP = "float rate (spe=1)"

BEFORE = [
    (CONTROL, "a third model, same float rate (control)"),
    (KERAS_COSINE, "Keras's `CosineDecay`"),
]
AFTER = [  # (configuration, label, what of it)
    (PLATEAU, "`Warmup(CosineRestarts)` + `ReduceLROnPlateau`", "ratio"),
    (PLATEAU + NOT_CALLED,
     "the plateau wrapper alone (that model, callback not called)", "ratio"),
    (PLATEAU, "`ReduceLROnPlateau`: an epoch with it minus one without", "ms"),
    (PLATEAU, "`ReduceLROnPlateau`: time in its hooks per epoch, share of the epoch",
     "hooks"),
    (MONITOR, '`CosineDecay` + `LearningRateMonitor(update_freq="batch")`', "ratio"),
    (MONITOR + NOT_CALLED, "`CosineDecay` alone (that model, callback not called)",
     "ratio"),
    (MONITOR, "`LearningRateMonitor`: an epoch with it minus one without", "ms"),
    (MONITOR, "`LearningRateMonitor`: time in its hooks per epoch, share of the epoch",
     "hooks"),
    (PER_BATCH, "per-batch Python callback (needs `steps_per_execution=1`)", "ratio"),
    (FLOAT_ONE_STEP, "float rate with `steps_per_execution=1`", "ratio"),
]


def ratio(row):
    low, high = row["ratio_interval_95"]
    text = f"{row['ratio_to_float_rate']:.2f}× ({low:.2f}–{high:.2f})"
    return f"{text} {row['verdict']}" if row["verdict"] else text


def milliseconds(row):
    low, high = row["callback_ms_interval_95"]
    return f"{row['callback_ms_per_epoch']:.1f} ms ({low:.1f}–{high:.1f})"


def hooks(row):
    low, high = row["hooks_ms_interval_95"]
    share_low, share_high = row["hooks_share_interval_95"]
    return (f"{row['hooks_ms_per_epoch']:.1f} ms ({low:.1f}–{high:.1f}), "
            f"{row['hooks_share_of_epoch']:.1%} ({share_low:.1%}–{share_high:.1%})")


def column(document):
    rows = {row["configuration"]: row for row in document["results"]}
    cells = {
        "float rate (two models), µs per step":
            f"{document['baseline_median_step_us']:.0f} µs",
    }
    for name, label in BEFORE:
        if name in rows:
            cells[label] = ratio(rows[name])
    ours = [row for name, row in rows.items() if name.startswith(OURS)]
    if ours:
        medians = [row["ratio_to_float_rate"] for row in ours]
        verdicts = [row["verdict"] for row in ours]
        worst = max(ours, key=lambda row: row["ratio_interval_95"][1])
        cells[f"our {len(ours)} schedule cases: medians"] = (
            f"{min(medians):.2f}× to {max(medians):.2f}×"
        )
        cells[f"our {len(ours)} schedule cases: verdicts"] = ", ".join(
            f"{verdicts.count(verdict)} {verdict}"
            for verdict in ("met", "open", "missed")
            if verdicts.count(verdict)
        )
        cells["our case with the highest interval"] = (
            f"{worst['configuration'].removeprefix(OURS)} {ratio(worst)}"
        )
    for name, label, what in AFTER:
        if what == "ratio" and name in rows:
            cells[label] = ratio(rows[name])
        elif what == "ms" and "callback_ms_per_epoch" in rows.get(name, {}):
            cells[label] = milliseconds(rows[name])
        elif what == "hooks" and "hooks_ms_per_epoch" in rows.get(name, {}):
            cells[label] = hooks(rows[name])
    return cells


def table(documents):
    headers = [
        f"{BACKENDS.get(d['backend'], d['backend'])}, {d.get('optimizer', 'sgd')}"
        + (", call by call" if d.get("timing") == "call" else "")
        + (", batch ends in the loop" if d.get("batch_ends") == "synchronous" else "")
        for d in documents
    ]
    columns = [column(document) for document in documents]
    labels = list(dict.fromkeys(label for cells in columns for label in cells))
    lines = [
        "| time per step, vs a float rate | " + " | ".join(headers) + " |",
        "|---" * (len(documents) + 1) + "|",
    ]
    for label in labels:
        cells = [cells.get(label, "") for cells in columns]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, nargs="+", help="overhead.py JSON files")
    args = parser.parse_args()
    documents = []
    for path in args.results:
        try:
            documents.append(json.loads(path.read_text()))
        except (OSError, ValueError) as error:
            parser.error(f"{path}: {error}")
    print(table(documents))


if __name__ == "__main__":
    main()
