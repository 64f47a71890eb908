"""Our NumPy event encoder writes exactly what TensorBoard's classes would."""

import struct

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.record_writer import masked_crc32c

from keras_lrs._plumbing.events import EventFile, encode_scalars
from keras_lrs._plumbing.events import masked_crc32c as our_masked_crc32c

# NumPy and TensorBoard's classes only: the same on every backend and Keras.
pytestmark = pytest.mark.once

# Varints of every length from 0 (a step of 0 is left out) to 10 bytes.
STEPS = [0, 1, 5, 127, 128, 300, 16383, 16384, 2**21, 2**28, 2**31 - 1, 2**35, 2**63 - 1]


def _reference(tag, steps, values, wall_time):
    records = b""
    for step, value in zip(steps, values):
        summary = summary_pb2.Summary(
            value=[summary_pb2.Summary.Value(tag=tag, simple_value=float(value))]
        )
        data = event_pb2.Event(wall_time=wall_time, step=int(step), summary=summary).SerializeToString()
        header = struct.pack("<Q", len(data))
        records += header + struct.pack("<I", masked_crc32c(header)) + data
        records += struct.pack("<I", masked_crc32c(data))
    return records


@pytest.mark.parametrize("length", [0, 1, 2, 9, 64, 300])
@pytest.mark.parametrize("changed", [0.0, 0.1, 1.0])
def test_crc_of_rows_equals_tensorboards(length, changed):
    # Rows made from one row with a share of its bytes changed: none (every
    # row the same), a few (as in the monitor's events), or all of them.
    rng = np.random.default_rng(length)
    rows = np.repeat(rng.integers(0, 256, (1, length), dtype=np.uint8), 40, axis=0)
    chosen = rng.random(rows.shape) < changed
    rows[chosen] = rng.integers(0, 256, chosen.sum(), dtype=np.uint8)
    expected = [masked_crc32c(row.tobytes()) for row in rows]
    assert our_masked_crc32c(rows).tolist() == expected
    assert our_masked_crc32c(rows[:0]).tolist() == []


@pytest.mark.parametrize("tag", ["learning_rate", "m", "a/long/" + "x" * 200])
@pytest.mark.parametrize("ordered", [True, False])
def test_bytes_equal_tensorboards_own_encoding(tag, ordered):
    rng = np.random.default_rng(0)
    # Mixed varint lengths, in increasing order (as the monitor writes) or not.
    steps = np.array(STEPS) if ordered else rng.permutation(STEPS)
    values = rng.random(len(steps)).astype("float32")
    values[0] = 0.0
    assert encode_scalars(tag, steps, values, 1795297086.25) == _reference(
        tag, steps, values, 1795297086.25
    )


def test_tensorboard_reads_the_file_back(tmp_path):
    events = EventFile(tmp_path)
    steps = np.arange(1000)
    values = np.linspace(0.1, 0.001, 1000, dtype="float32")
    events.write_scalars("learning_rate", steps[:400], values[:400])
    events.write_scalars("learning_rate", steps[400:], values[400:])
    events.close()
    accumulator = EventAccumulator(str(tmp_path), size_guidance={"scalars": 0})
    accumulator.Reload()
    read = accumulator.Scalars("learning_rate")
    assert [e.step for e in read] == list(range(1000))
    np.testing.assert_array_equal(np.array([e.value for e in read], "float32"), values)
