"""The tolerance every comparison of our rates with a reference uses.

Our schedules compute in float32, whose absolute resolution is ~1e-7 of the
largest value: a value near 0 (the end of a cosine, a decayed step) carries
an absolute error of that order that no relative tolerance can absorb. So
rtol = 1e-6 and atol = 1e-7 * (the schedule's largest rate), nothing looser.
"""

import numpy as np

RTOL = 1e-6
ATOL_PER_UNIT_RATE = 1e-7


def assert_rates_close(ours, reference, largest_rate=None, err_msg=""):
    """`ours` equals `reference` within the tolerance above; `largest_rate`
    defaults to the reference's largest value."""
    reference = np.asarray(reference, dtype=np.float64)
    if largest_rate is None:
        largest_rate = np.max(np.abs(reference))
    np.testing.assert_allclose(
        ours,
        reference,
        rtol=RTOL,
        atol=ATOL_PER_UNIT_RATE * largest_rate,
        err_msg=err_msg,
    )
