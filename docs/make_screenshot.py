"""Renders docs/screenshot.png: the documentation's API page of CosineRestarts.

Builds the site with `mkdocs build --strict` into a temporary directory,
serves it on 127.0.0.1 and photographs the page in headless Chromium (see
docs/browser.py for what it needs). From the repository root, with the
`docs` extra installed:

    python docs/make_screenshot.py [--out docs/screenshot.png]
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docs.browser import browser, serve_directory, wait_for_images  # noqa: E402

PAGE = "/api/schedules/#keras_lrs.schedules.CosineRestarts"
WINDOW = (1280, 1000)


def build_site(site_dir):
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
         "--site-dir", str(site_dir)],
        cwd=ROOT, check=True,
    )


def photograph(site_dir, out, work_dir):
    with serve_directory(site_dir) as url, browser(work_dir, WINDOW) as driver:
        driver.open(url + PAGE)
        wait_for_images(driver)
        png = driver.screenshot()
    Path(out).write_bytes(png)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshot.png"))
    args = parser.parse_args(argv)
    work_dir = Path(tempfile.mkdtemp(prefix="keras_lrs_docs_"))
    try:
        build_site(work_dir / "site")
        print(photograph(work_dir / "site", args.out, work_dir))
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
