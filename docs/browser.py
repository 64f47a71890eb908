"""Headless Chromium driven over the WebDriver protocol (plain HTTP, no Selenium).

Shared by the scripts that photograph pages (`docs/make_screenshot.py`,
`docs/make_tensorboard_screenshot.py`) and by `tests/test_docs_site.py`.
Needs Chromium and its chromedriver:

    apt-get install -y chromium chromium-driver     # Debian / Ubuntu

(or point the CHROME and CHROMEDRIVER environment variables at them).
"""

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

WINDOW = (1400, 900)
SERVER_TIMEOUT = 60  # seconds for a server or chromedriver to answer
CHROME_NAMES = ["chromium", "chromium-browser", "google-chrome"]
# Headless, and nothing that reaches beyond this machine.
CHROME_ARGUMENTS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
    "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--hide-scrollbars",
]


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


class WebDriver:
    """The few W3C WebDriver commands this script needs, over plain HTTP."""

    def __init__(self, url, window=WINDOW):
        self.url = url
        self.window = window
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
            *CHROME_ARGUMENTS,
            f"--user-data-dir={user_data_dir}",
            f"--window-size={self.window[0]},{self.window[1]}",
        ]
        options = {"binary": chrome, "args": arguments}
        capabilities = {"alwaysMatch": {"goog:chromeOptions": options}}
        self.session = self.call("POST", "/session", {"capabilities": capabilities})["sessionId"]
        # The viewport itself, not the window around it, is WINDOW.
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            width=self.window[0], height=self.window[1], deviceScaleFactor=1,
            mobile=False,
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
def browser(work_dir, window=WINDOW):
    """A started WebDriver session of a fresh headless Chromium profile."""
    chrome = executable("CHROME", CHROME_NAMES)
    chromedriver = executable("CHROMEDRIVER", ["chromedriver"])
    port = free_port()
    log_path = Path(work_dir) / "chromedriver.log"
    with background([chromedriver, f"--port={port}"], log_path) as process:
        url = f"http://127.0.0.1:{port}"
        wait_until_answers(f"{url}/status", process, SERVER_TIMEOUT, "chromedriver")
        driver = WebDriver(url, window)
        try:
            driver.start(chrome, Path(work_dir) / "chromium-profile")
            yield driver
        finally:
            driver.quit()


@contextmanager
def serve_directory(directory):
    """Serves `directory` over HTTP on 127.0.0.1 (a free port) from a thread;
    yields its base URL, without a trailing slash."""
    import functools
    import http.server
    import threading

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format, *args):
            pass

    handler = functools.partial(QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# The images of the page, once every one has finished loading (null before).
IMAGES_LOADED = """
const images = Array.from(document.images);
if (document.readyState !== "complete" || images.some(image => !image.complete)) {
    return null;
}
return images.map(image => ({src: image.src, naturalWidth: image.naturalWidth}));
"""


def wait_for_images(driver, timeout=SERVER_TIMEOUT):
    """Waits until the page and its images have loaded; returns the images."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        images = driver.run(IMAGES_LOADED)
        if images is not None:
            return images
        time.sleep(0.2)
    raise TimeoutError(f"the page's images did not load within {timeout} s")
