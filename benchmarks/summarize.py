"""Writes the summary of benchmark results: the JSON without its raw samples.

The benchmark scripts write every round's samples (`samples_us`,
`hooks_ms_samples`) to the file given with `--out`; the tables are made from
the summaries alone, which are what `benchmarks/results/` keeps:

    python benchmarks/summarize.py benchmarks/results/raw/*.json

writes `benchmarks/results/NAME.json` for each `.../raw/NAME.json` (or into
`--out-dir`).
"""

import argparse
import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def without_samples(value):
    """`value` with every key that holds raw samples left out, at any depth."""
    if isinstance(value, dict):
        return {
            key: without_samples(item)
            for key, item in value.items()
            if not key.endswith("_samples") and not key.startswith("samples_")
        }
    if isinstance(value, list):
        return [without_samples(item) for item in value]
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", type=Path, nargs="+", help="JSON files of a benchmark")
    parser.add_argument("--out-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    for path in args.raw:
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            parser.error(f"{path}: {error}")
        out = args.out_dir / path.name
        if out.resolve() == path.resolve():
            parser.error(f"{path}: the summary would overwrite its raw file")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(without_samples(document), indent=2) + "\n")
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
