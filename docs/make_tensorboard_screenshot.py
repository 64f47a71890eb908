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
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EPOCHS = 3
STEPS_PER_EPOCH = 100
WINDOW = (1400, 900)
SERVER_TIMEOUT = 60  # seconds for TensorBoard and chromedriver to answer
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


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_answers(url, process, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise TimeoutError(f"{what} did not answer {url} within {timeout} s")


@contextmanager
def background(command, log_path):
    """Runs `command` in its own process group; always ends the whole group."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process
    finally:
        stop(process)


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    try:  # children it left behind (Chromium's renderers, a data server)
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


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


class WebDriver:
    """The few W3C WebDriver commands this script needs, over plain HTTP."""

    def __init__(self, url):
        self.url = url
        self.session = None

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.load(response)["value"]
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"WebDriver {method} {path}: {error.read()[:2000]!r}") from error

    def start(self, chrome, user_data_dir):
        arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--hide-scrollbars",
            f"--user-data-dir={user_data_dir}",
            f"--window-size={WINDOW[0]},{WINDOW[1]}",
        ]
        options = {"binary": chrome, "args": arguments}
        capabilities = {"alwaysMatch": {"goog:chromeOptions": options}}
        self.session = self.call("POST", "/session", {"capabilities": capabilities})["sessionId"]
        # The viewport itself, not the window around it, is WINDOW.
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            width=WINDOW[0], height=WINDOW[1], deviceScaleFactor=1, mobile=False,
        )

    def session_call(self, method, path, body=None):
        return self.call(method, f"/session/{self.session}{path}", body)

    def cdp(self, command, **params):
        return self.session_call("POST", "/goog/cdp/execute", {"cmd": command, "params": params})

    def open(self, url):
        self.session_call("POST", "/url", {"url": url})

    def run(self, script, *args):
        return self.session_call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def screenshot(self):
        return base64.b64decode(self.session_call("GET", "/screenshot"))

    def quit(self):
        if self.session is not None:
            try:
                self.call("DELETE", f"/session/{self.session}")
            except (RuntimeError, OSError):
                pass
            self.session = None


def executable(variable, names):
    path = os.environ.get(variable) or next(filter(None, map(shutil.which, names)), None)
    if path is None:
        raise SystemExit(
            f"No {names[0]} found: apt-get install -y chromium chromium-driver, "
            f"or set {variable}."
        )
    return path


@contextmanager
def browser(work_dir):
    chrome = executable("CHROME", ["chromium", "chromium-browser", "google-chrome"])
    chromedriver = executable("CHROMEDRIVER", ["chromedriver"])
    port = free_port()
    log_path = Path(work_dir) / "chromedriver.log"
    with background([chromedriver, f"--port={port}"], log_path) as process:
        url = f"http://127.0.0.1:{port}"
        wait_until_answers(f"{url}/status", process, SERVER_TIMEOUT, "chromedriver")
        driver = WebDriver(url)
        try:
            driver.start(chrome, Path(work_dir) / "chromium-profile")
            yield driver
        finally:
            driver.quit()


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
