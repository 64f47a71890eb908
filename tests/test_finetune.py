"""examples/finetune.py: the fine-tuning experiment's `--quick` run (tiny
slices, one seed) trains the four methods and reports them consistently."""

import json

import numpy as np
import pytest

from tests import scripts
from tests.test_example import fashion_mnist_dir

METHODS = ["head_only", "plain", "gradual_unfreezing", "layer_decay"]


@pytest.mark.once
def test_quick_run_compares_the_four_methods(tmp_path):
    out = tmp_path / "finetune.json"
    result = scripts.run_script(
        scripts.SCRIPTS["finetune"], "--quick", "--data-dir", fashion_mnist_dir(),
        "--out", out,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    document = json.loads(out.read_text())
    assert document == json.loads(result.stdout.splitlines()[-1])
    assert list(document["methods"]) == METHODS
    assert (document["seeds"], document["test_images"]) == (1, 500)
    header, rows = scripts.table_after(result.stdout, "method ")
    assert [row.split()[0] for row in rows] == METHODS
    for row, method in zip(rows, METHODS):
        accuracy = document["methods"][method]["per_seed"][0]
        # A whole number of the 500 test images, and the table's mean.
        assert accuracy * 500 == pytest.approx(round(accuracy * 500), abs=1e-6)
        assert float(row.split()[1]) == pytest.approx(accuracy, abs=1e-4)
    # Chance is 0.2; fine-tuning the whole net learns something even in
    # two tiny epochs (0.35 on TensorFlow, Keras 3.15).
    best = max(m["mean"] for m in document["methods"].values())
    assert best > 0.25, document["methods"]
    assert np.isfinite(document["wall_time_s"])
