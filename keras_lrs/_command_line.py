"""The command line of `python -m keras_lrs` and of the benchmarks: a parser
whose errors are one line with exit code 2, and argparse types that check
their value.

examples/fashion_mnist.py keeps its own: it checks its command line before
it imports Keras, which importing keras_lrs would do.
"""

import argparse
import math


class OneLineErrorParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr (exit code 2)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def checked(kind, requirement, is_valid):
    """An argparse `type`: a `kind` that `is_valid`, else "must be ..."."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not is_valid(value):
            raise argparse.ArgumentTypeError(
                f"must be {requirement}. Received: {text!r}"
            )
        return value

    return parse


positive_int = checked(int, "an integer > 0", lambda value: value > 0)
positive_float = checked(
    float,
    "a finite number > 0",
    lambda value: math.isfinite(value) and value > 0,
)
