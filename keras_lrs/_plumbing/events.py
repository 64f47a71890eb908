"""Scalar events in TensorBoard's file format, written fast with NumPy.

An event file is a sequence of records, each `length (uint64 LE)`,
`masked CRC-32C of the length`, `data`, `masked CRC-32C of the data`, where
`data` is a serialized `Event` protocol buffer. `LearningRateMonitor` writes
one event per optimizer step; building them with the `protobuf` classes and a
pure-Python CRC costs about 30 us each, more than a cheap training step. Here
all the events of an epoch are encoded and checksummed together with NumPy
array operations, and the checksums of rows that share most of their bytes
are derived from the first row's (`masked_crc32c`). Only the scalar `Event`
layout is needed:

    Event   { double wall_time = 1; int64 step = 2; Summary summary = 5; }
    Summary { repeated Value value = 1; }
    Value   { string tag = 1; float simple_value = 2; }

`tests/callbacks/test_events.py` checks the bytes against the `tensorboard`
package's own protobuf classes and CRC.
"""

import itertools
import os
import socket
import struct
import time

import numpy as np

_CRC32C_POLYNOMIAL = 0x82F63B78  # Castagnoli, reflected
_MASK_DELTA = 0xA282EAD8
_file_counter = itertools.count()


def _crc_table():
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ _CRC32C_POLYNOMIAL, table >> 1)
    return table.astype(np.uint32)


_CRC_TABLE = _crc_table()
# The CRC register is updated per byte `b` as `r -> A(r) ^ T[b]`, where
# `T` is `_CRC_TABLE` and `A(r) = T[r & 0xFF] ^ (r >> 8)`; both are linear
# (XOR) maps. So the register after a row of `n` bytes is
# `A^n(0xFFFFFFFF)` XOR, for each byte `b` at position `j`, `A^(n-1-j)(T[b])`.
_terms_by_length = {}  # n -> (A^n(0xFFFFFFFF), (n, 256) array of those terms)


def _terms(length):
    """`(start, terms)`: rows' registers are `start ^ XOR_j terms[j, row[j]]`.

    Computed once per row length (a thread that computes it at the same
    time as another stores the same values).
    """
    if length not in _terms_by_length:
        start, term, terms = 0xFFFFFFFF, _CRC_TABLE, []
        for _ in range(length):
            terms.append(term)
            term = _CRC_TABLE[term & 0xFF] ^ (term >> 8)
            start = int(_CRC_TABLE[start & 0xFF]) ^ (start >> 8)
        terms = np.array(terms[::-1], dtype=np.uint32).reshape(length, 256)
        _terms_by_length[length] = (start, terms)
    return _terms_by_length[length]


def masked_crc32c(rows):
    """The masked CRC-32C of each row of a (count, length) uint8 array.

    The rows of an epoch's events differ only in the bytes of their step and
    value: the first row's CRC is computed in full, and each other row's from
    it and the columns where the rows differ (the CRC is affine in the bytes).
    """
    count, length = rows.shape
    if count == 0:
        return np.zeros(0, dtype=np.uint32)
    start, terms = _terms(length)
    first = rows[0]
    first_crc = np.bitwise_xor.reduce(terms[np.arange(length), first], initial=start)
    crc = np.full(count, first_crc, dtype=np.uint32)
    for column in np.flatnonzero((rows != first).any(axis=0)):
        crc ^= terms[column][rows[:, column] ^ first[column]]
    crc ^= np.uint32(0xFFFFFFFF)
    rotated = (crc >> np.uint32(15)) | (crc << np.uint32(17))
    return (rotated + np.uint32(_MASK_DELTA)).astype(np.uint32)


def _varint(value):
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _step_field(steps, width):
    """Rows encoding field `step` for steps whose varints are `width` long.

    Like protobuf, a step of 0 (width 0) is left out.
    """
    if width == 0:
        return np.zeros((len(steps), 0), dtype=np.uint8)
    columns = [np.full(len(steps), 0x10, dtype=np.uint8)]
    for position in range(width):
        byte = (steps >> (7 * position)) & 0x7F
        if position < width - 1:
            byte = byte | 0x80
        columns.append(byte.astype(np.uint8))
    return np.stack(columns, axis=1)


def _varint_width(values):
    """Bytes in the varint of each value; 0 for 0 (a field left out)."""
    width = (values > 0).astype(np.int64)
    for bits in range(7, 64, 7):
        width += values >= (1 << bits)
    return width


def _records(data):
    """TFRecord framing of each row of a (count, length) uint8 array."""
    count, length = data.shape
    header = np.frombuffer(struct.pack("<Q", length), dtype=np.uint8)
    header_crc = masked_crc32c(header[None, :]).astype("<u4").view(np.uint8)
    data_crc = masked_crc32c(data).astype("<u4").view(np.uint8).reshape(count, 4)
    fixed = np.broadcast_to(np.concatenate([header, header_crc]), (count, 12))
    return np.concatenate([fixed, data, data_crc], axis=1)


def encode_scalars(tag, steps, values, wall_time):
    """The framed records of scalar events `tag` = `values[i]` at `steps[i]`."""
    steps = np.asarray(steps, dtype=np.int64)
    values = np.asarray(values, dtype="<f4")
    tag_bytes = tag.encode()
    value_message = b"\x0a" + _varint(len(tag_bytes)) + tag_bytes + b"\x15"
    summary = b"\x0a" + _varint(len(value_message) + 4) + value_message
    summary_field = b"\x2a" + _varint(len(summary) + 4) + summary
    prefix = np.frombuffer(b"\x09" + struct.pack("<d", wall_time), np.uint8)
    middle = np.frombuffer(summary_field, np.uint8)
    widths = _varint_width(steps)
    chunks = []
    for width in np.unique(widths):
        chosen = widths == width
        count = int(chosen.sum())
        data = np.concatenate(
            [
                np.broadcast_to(prefix, (count, len(prefix))),
                _step_field(steps[chosen], int(width)),
                np.broadcast_to(middle, (count, len(middle))),
                values[chosen].view(np.uint8).reshape(count, 4),
            ],
            axis=1,
        )
        chunks.append((np.flatnonzero(chosen), _records(data)))
    indices = np.concatenate([index for index, _ in chunks])
    if np.all(indices[1:] > indices[:-1]):  # increasing steps: chunks in order
        return b"".join(records.tobytes() for _, records in chunks)
    # Back in the order given, whatever the varint lengths.
    rows = [row for _, records in chunks for row in records]
    return b"".join(rows[i].tobytes() for i in np.argsort(indices, kind="stable"))


def _file_version_record(wall_time):
    version = b"brain.Event:2"
    data = (
        b"\x09" + struct.pack("<d", wall_time) + b"\x1a" + _varint(len(version)) + version
    )
    return _records(np.frombuffer(data, np.uint8)[None, :]).tobytes()


class EventFile:
    """An event file of its own in `directory`, as TensorBoard names them."""

    def __init__(self, directory):
        os.makedirs(directory, exist_ok=True)
        now = time.time()
        name = (
            f"events.out.tfevents.{int(now):010d}.{socket.gethostname()}."
            f"{os.getpid()}.{next(_file_counter)}.keras_lrs"
        )
        self.path = os.path.join(directory, name)
        self._file = open(self.path, "ab")
        self._file.write(_file_version_record(now))
        self._file.flush()

    def write_scalars(self, tag, steps, values, wall_time=None):
        if len(steps):
            wall_time = time.time() if wall_time is None else wall_time
            self._file.write(encode_scalars(tag, steps, values, wall_time))

    def flush(self):
        self._file.flush()

    def close(self):
        self._file.close()
