"""The documentation site, built with `mkdocs build --strict` and served on
127.0.0.1: its pages load in headless Chromium, the API page of
`CosineRestarts` shows the class's formula and its picture, no internal link
is broken, every public name of the package has its entry in the API and
no private one does, each signature reads without scrolling sideways, no
table has a column left empty, and the home page links every API page.

Skipped, saying why, where MkDocs (the `docs` extra) or Chromium with its
chromedriver is missing; `.ci/run` installs both.
"""

import html.parser
import importlib
import importlib.util
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

import keras_lrs
from docs.browser import CHROME_NAMES, browser, serve_directory, wait_for_images

# The site is built from the sources, whatever the backend or Keras.
pytestmark = pytest.mark.once

ROOT = Path(__file__).resolve().parents[1]
FORMULA = "end + (peak_i - end) * (1 + cos(pi * r)) / 2"  # CosineRestarts's docstring
COSINE_RESTARTS = "keras_lrs.schedules.CosineRestarts"


def _missing_docs_tools():
    names = ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python")
    return [name for name in names if _find_spec(name) is None]


def _find_spec(name):
    try:
        return importlib.util.find_spec(name)
    except ModuleNotFoundError:
        return None


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    missing = _missing_docs_tools()
    if missing:
        pytest.skip(f"MkDocs is not installed ({', '.join(missing)} missing): "
                    'pip install -e ".[docs]"')
    site_dir = tmp_path_factory.mktemp("docs") / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=ROOT, capture_output=True, text=True,
        env=dict(os.environ, NO_MKDOCS_2_WARNING="1"),
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return site_dir


@pytest.fixture(scope="module")
def served(site):
    with serve_directory(site) as url:
        yield url


@pytest.fixture(scope="module")
def driver(served, tmp_path_factory):
    chrome = os.environ.get("CHROME") or next(filter(None, map(shutil.which, CHROME_NAMES)), None)
    chromedriver = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver")
    if chrome is None or chromedriver is None:
        pytest.skip("Chromium or chromedriver is not installed: "
                    "apt-get install -y chromium chromium-driver")
    with browser(tmp_path_factory.mktemp("chromium")) as started:
        yield started


# The text of CosineRestarts's entry, and the images between its heading and
# the next class's (where the API page places its picture).
COSINE_RESTARTS_ENTRY = """
const heading = document.getElementById(arguments[0]);
if (!heading) return null;
const entry = heading.closest(".doc-class");
const images = [];
for (let node = entry; node; node = node.nextElementSibling) {
    if (node !== entry && node.matches(".doc-class")) break;
    images.push(...(node.matches("img") ? [node] : node.querySelectorAll("img")));
}
return {text: entry.innerText,
        images: images.map(image => ({src: image.src, complete: image.complete,
                                      naturalWidth: image.naturalWidth,
                                      naturalHeight: image.naturalHeight}))};
"""


def test_cosine_restarts_page_shows_its_formula_and_its_image(driver, served):
    driver.open(f"{served}/api/schedules/#{COSINE_RESTARTS}")
    wait_for_images(driver)
    entry = driver.run(COSINE_RESTARTS_ENTRY, COSINE_RESTARTS)
    assert entry is not None, f"no element with id {COSINE_RESTARTS} on the page"
    assert FORMULA in entry["text"]
    assert "Cosine annealing with warm restarts" in entry["text"]
    pictures = [image for image in entry["images"]
                if image["src"].endswith("/gallery/cosine_restarts.png")]
    assert pictures, entry["images"]
    assert all(image["complete"] and image["naturalWidth"] > 0
               and image["naturalHeight"] > 0 for image in pictures), pictures
    # The picture the gallery script drew, byte for byte.
    with urllib.request.urlopen(pictures[0]["src"], timeout=10) as response:
        assert response.read() == (ROOT / "docs" / "gallery" / "cosine_restarts.png").read_bytes()


def test_every_page_loads_with_its_images(driver, served, site):
    pages = sorted(site.rglob("index.html"))
    assert len(pages) >= 10
    for page in pages:
        path = page.parent.relative_to(site).as_posix()
        driver.open(f"{served}/{path}/" if path != "." else f"{served}/")
        images = [image for image in wait_for_images(driver)
                  if image["src"].startswith(served)]
        broken = [image["src"] for image in images if image["naturalWidth"] == 0]
        assert not broken, f"{path}: images that did not load: {broken}"
        title = driver.run("return document.title;")
        assert "keras_lrs" in title, (path, title)


class _Links(html.parser.HTMLParser):
    """The links (href, src) and the element ids of one HTML page."""

    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key):
                self.ids.add(attrs[key])
        for key in ("href", "src"):
            if attrs.get(key) is not None and tag in ("a", "img", "link", "script"):
                self.links.append(attrs[key])


def _parse(path):
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_no_internal_link_is_broken(site, served):
    pages = {path: _parse(path) for path in site.rglob("*.html")}
    broken, checked = [], set()
    for path, parsed in pages.items():
        page_url = f"{served}/{path.relative_to(site).as_posix()}"
        for link in parsed.links:
            url = urllib.parse.urljoin(page_url, link)
            parts = urllib.parse.urlsplit(url)
            if f"{parts.scheme}://{parts.netloc}" != served:
                continue  # another site, or mailto:/data:
            target = site / urllib.parse.unquote(parts.path).lstrip("/")
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{path.relative_to(site)}: {link} (no {target.relative_to(site)})")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse(target).ids
                if urllib.parse.unquote(parts.fragment) not in ids:
                    broken.append(f"{path.relative_to(site)}: {link} (no such anchor)")
            checked.add(urllib.parse.urlunsplit(parts._replace(fragment="")))
    assert not broken, "\n".join(broken)
    assert len(checked) > 50  # the crawl did see the site
    for url in sorted(checked):  # and the server answers every link
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                assert response.status == 200, url
        except urllib.error.HTTPError as error:
            pytest.fail(f"{url}: HTTP {error.code}")


def _public_modules():
    """keras_lrs and each of its modules that declares `__all__`."""
    modules = [keras_lrs]
    for info in pkgutil.walk_packages(keras_lrs.__path__, "keras_lrs."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue  # __main__, and the private plumbing
        module = importlib.import_module(info.name)
        if hasattr(module, "__all__"):
            modules.append(module)
    return modules


def test_every_public_name_is_in_the_api_pages(site):
    api = [_parse(path) for path in (site / "api").rglob("index.html")]
    ids = set().union(*(parsed.ids for parsed in api))
    titles = {  # each API page's h1: the module it documents
        title.strip()
        for path in (site / "api").rglob("index.html")
        for title in re.findall(r"<h1[^>]*>([^<]*)", path.read_text(encoding="utf-8"))
    }
    missing = []
    for module in _public_modules():
        for name in module.__all__:
            value = getattr(module, name)
            if hasattr(value, "__path__") or type(value).__name__ == "module":
                # A module: a page whose title is its name.
                if value.__name__ not in titles:
                    missing.append(f"{module.__name__}.{name} (no API page)")
            elif not any(i.startswith("keras_lrs.") and i.endswith(f".{name}") for i in ids):
                missing.append(f"{module.__name__}.{name}")
    assert not missing, "not in the API pages: " + ", ".join(missing)
    assert len(ids) > 20


def _api_pages(site):
    return sorted(
        path.parent.relative_to(site).as_posix() for path in (site / "api").rglob("index.html")
    )


# Each signature block whose text is wider than its box (the reader would
# have to scroll sideways), and each table whose header has a column whose
# cells are all empty (mkdocstrings' "Type" column for a docstring without
# types).
UNREADABLE = """
const wide = Array.from(document.querySelectorAll(".doc-signature, .doc-signature pre, .doc-signature code"))
    .filter(element => element.scrollWidth > element.clientWidth + 1)
    .map(element => element.innerText.slice(0, 80));
const empty = [];
for (const table of document.querySelectorAll("article table")) {
    const headers = Array.from(table.querySelectorAll("thead th")).map(th => th.innerText.trim());
    const rows = Array.from(table.querySelectorAll("tbody tr"));
    headers.forEach((header, column) => {
        if (rows.length && rows.every(row => !(row.cells[column] && row.cells[column].innerText.trim()))) {
            empty.push(header);
        }
    });
}
return {wide: wide, empty: empty, signatures: document.querySelectorAll(".doc-signature").length};
"""


def test_api_pages_are_readable_without_scrolling_sideways(driver, served, site):
    signatures = 0
    for path in _api_pages(site):
        driver.open(f"{served}/{path}/")
        wait_for_images(driver)
        found = driver.run(UNREADABLE)
        assert not found["wide"], f"{path}: signatures wider than their box: {found['wide']}"
        assert not found["empty"], f"{path}: table columns with no content: {found['empty']}"
        signatures += found["signatures"]
    assert signatures > 20  # the check did see the signatures


def test_api_pages_show_only_public_names(site):
    """Each entry (an h2 of an API page) is a name of some public module's
    `__all__`: no plumbing such as `ScaledSchedule` or the `scheduled` factory."""
    public = {name for module in _public_modules() for name in module.__all__}
    entries, private = [], []
    for path in (site / "api").rglob("index.html"):
        page = path.read_text(encoding="utf-8")
        for entry in re.findall(r'<h2 id="(keras_lrs\.[^"]+)"', page):
            entries.append(entry)
            if entry.rpartition(".")[2] not in public:
                private.append(f"{path.parent.name}: {entry}")
    assert not private, f"non-public names on the API pages: {private}"
    plumbing = [e for e in entries if "ScaledSchedule" in e]  # the reported case
    assert not plumbing, f"plumbing on the API pages: {plumbing}"
    callbacks = [e for e in entries if e.startswith("keras_lrs.callbacks.")]
    for name in ("ReduceLROnPlateau", "LearningRateMonitor", "StochasticWeightAveraging"):
        assert f"keras_lrs.callbacks.{name}" in callbacks, (name, callbacks)
    assert len(entries) > 30  # the check did see the entries


def test_home_page_links_every_api_page(site):
    links = {
        urllib.parse.urljoin("/", link).rstrip("/")
        for link in _parse(site / "index.html").links
    }
    article = (site / "index.html").read_text(encoding="utf-8")
    article = article[article.index("<article"):article.index("</article>")]
    in_text = {
        urllib.parse.urljoin("/", link).rstrip("/")
        for link in re.findall(r'href="([^"#]*)', article)
    }
    assert links  # the page was parsed
    missing = [path for path in _api_pages(site) if f"/{path}" not in in_text]
    assert not missing, f"API pages the home page's text does not link: {missing}"
