"""Renders docs/tensorboard_learning_rate.png: LearningRateMonitor in TensorBoard.

Trains a tiny model for a few epochs with `Warmup(CosineRestarts(...))` and
`LearningRateMonitor(log_dir, update_freq="batch")`, serves the logs with a
real TensorBoard server, and photographs its Time Series dashboard with
headless Chromium driven over the WebDriver protocol (plain HTTP, no
Selenium), once the `learning_rate` chart has drawn its per-step sawtooth.

Needs, besides keras_lrs with keras, jax (or another backend) and tensorboard:

    apt-get install -y chromium chromium-driver     # Debian / Ubuntu

(or any Chrome/Chromium with the matching chromedriver: point the CHROME and
CHROMEDRIVER environment variables at them if they are not on PATH).

Usage, from the repository root:

    python docs/make_tensorboard_screenshot.py [--out PATH] [--logdir DIR]

A few of TensorBoard's own settings make the picture readable:
`?forceSVG=true` draws the chart in SVG (headless Chromium has no WebGL, so
the default WebGL chart stays empty), smoothing 0 shows the raw per-step
values (the default 0.6 would round off the restarts), "ignore outliers" off
keeps the first peak in view, and the card is toggled to full size.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docs.browser import (  # noqa: E402
    SERVER_TIMEOUT, background, browser, free_port, wait_until_answers,
)

EPOCHS = 3
STEPS_PER_EPOCH = 100
CHART_TIMEOUT = 60  # seconds for the chart to draw every step


def make_schedule():
    from keras_lrs import schedules

    restarts = schedules.CosineRestarts(0.05, 30, t_mul=1.5, m_mul=0.8)
    return schedules.Warmup(restarts, warmup_steps=20)


def train(log_dir):
    """A few epochs of a tiny regression, logging the rate of every step."""
    import keras
    import numpy as np

    import keras_lrs

    keras.utils.set_random_seed(0)
    batch_size = 16
    x = np.random.default_rng(0).normal(size=(STEPS_PER_EPOCH * batch_size, 8))
    y = x.sum(axis=1, keepdims=True)
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(1),
        ]
    )
    model.compile(keras.optimizers.SGD(make_schedule()), "mse")
    monitor = keras_lrs.callbacks.LearningRateMonitor(log_dir, update_freq="batch")
    model.fit(
        x.astype("float32"),
        y.astype("float32"),
        batch_size=batch_size,
        epochs=EPOCHS,
        verbose=0,
        callbacks=[monitor],
    )


@contextmanager
def tensorboard(log_dir, work_dir):
    port = free_port()
    command = [
        sys.executable, "-m", "tensorboard.main", "--logdir", str(log_dir),
        "--host", "127.0.0.1", "--port", str(port),
    ]
    log_path = Path(work_dir) / "tensorboard.log"
    with background(command, log_path) as process:
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_answers(f"{url}/data/runs", process, SERVER_TIMEOUT, "TensorBoard")
        except Exception:
            sys.stderr.write(log_path.read_text(errors="replace")[-4000:])
            raise
        yield url


# How many vertices the learning_rate line has, and the chart's width; the
# line is the one SVG path of the chart's series view (with ?forceSVG=true).
CHART_STATE = """
const card = Array.from(document.querySelectorAll("scalar-card"))
    .find(card => card.textContent.includes("learning_rate"));
const path = card && card.querySelector("line-chart .series-view path");
if (!path) return null;
const d = path.getAttribute("d") || "";
return {vertices: (d.match(/[ML]/g) || []).length, d: d,
        width: card.querySelector("line-chart").getBoundingClientRect().width};
"""

TOGGLE_FULL_SIZE = """
const card = Array.from(document.querySelectorAll("scalar-card"))
    .find(card => card.textContent.includes("learning_rate"));
card.querySelector('button[title="Toggle full size mode"]').click();
"""


def wait_for_chart(driver, steps, min_width=0):
    """Waits until the line has a vertex per step and has stopped changing."""
    deadline = time.monotonic() + CHART_TIMEOUT
    previous = None
    while time.monotonic() < deadline:
        state = driver.run(CHART_STATE)
        ready = state and state["vertices"] >= steps and state["width"] >= min_width
        if ready and previous == state["d"]:
            return state
        previous = state["d"] if ready else None
        time.sleep(0.5)
    raise TimeoutError(f"the learning_rate chart did not draw {steps} steps: {state}")


def photograph(tensorboard_url, out, work_dir, steps):
    with browser(work_dir) as driver:
        # Settings live in the page's localStorage: set them on its origin,
        # then load the dashboard that reads them.
        driver.open(tensorboard_url + "/")
        settings = {
            "scalarSmoothing": 0,
            "ignoreOutliers": False,  # else the first peak is cut off
            "timeSeriesSettingsPaneOpened": False,
            "stepSelectorEnabled": False,
        }
        driver.run(
            "localStorage.setItem('_tb_global_settings', arguments[0]);",
            json.dumps(settings),
        )
        driver.open(tensorboard_url + "/?forceSVG=true#timeseries")
        wait_for_chart(driver, steps)
        driver.run(TOGGLE_FULL_SIZE)
        wait_for_chart(driver, steps, min_width=800)
        png = driver.screenshot()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_bytes(png)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", default=str(ROOT / "docs" / "tensorboard_learning_rate.png")
    )
    parser.add_argument(
        "--logdir", help="keep the TensorBoard logs here (default: a temporary dir)"
    )
    args = parser.parse_args(argv)

    work_dir = tempfile.mkdtemp(prefix="keras_lrs_screenshot_")
    try:
        log_dir = args.logdir or os.path.join(work_dir, "logs")
        train(log_dir)
        with tensorboard(log_dir, work_dir) as url:
            photograph(url, args.out, work_dir, EPOCHS * STEPS_PER_EPOCH)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    print(args.out)


if __name__ == "__main__":
    main()
