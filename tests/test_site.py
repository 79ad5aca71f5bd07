"""The built HTML book, opened page by page in headless Chromium with no network.

Checks that math was typeset by MathJax (served from the site itself), that no page shows a
traceback or error output, that no page fetches anything from outside the site, and that every
internal link resolves. Needs a built book (`make book`) and Debian's `chromium` and
`chromium-driver`; without them it skips and says why, except under CI, where it fails.
"""
import functools
import http.server
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def _unavailable():
    if not (SITE / "index.html").is_file():
        return f"no built book at {SITE}: run `make book` first"
    if not (CHROMIUM and CHROMEDRIVER):
        return "no Chromium: install Debian's chromium and chromium-driver"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -r requirements.txt)"
    return None


REASON = _unavailable()
needs_site = pytest.mark.skipif(REASON is not None, reason=REASON or "")


def test_site_is_checked_under_ci():
    """Under CI the browser test must run, not skip: .ci/run builds the book and installs Chromium."""
    if REASON and os.environ.get("CI"):
        pytest.fail(f"CI cannot run the browser test of the site: {REASON}")
    if REASON:
        pytest.skip(REASON)


def pages():
    if not SITE.is_dir():
        return []
    skip = {"_static", "_sources", "_images"}
    return sorted(
        str(p.relative_to(SITE))
        for p in SITE.rglob("*.html")
        if not skip.intersection(p.relative_to(SITE).parts) and p.name not in {"genindex.html", "search.html"}
    )


PAGES = pages()


@pytest.fixture(scope="module")
def server():
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


WAIT_FOR_MATHJAX = """
const done = arguments[arguments.length - 1];
if (!document.querySelector('.math')) { done('no math'); return; }
const start = Date.now();
(function poll() {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    MathJax.startup.promise.then(() => done('typeset'), e => done('error: ' + e));
  } else if (Date.now() - start > 30000) {
    done('MathJax never loaded');
  } else { setTimeout(poll, 100); }
})();
"""

PAGE_FACTS = """
const prose = document.querySelector('main') || document.body;
const clone = prose.cloneNode(true);
clone.querySelectorAll('pre, code, script, style, mjx-container, .highlight, textarea').forEach(e => e.remove());
const resources = performance.getEntriesByType('resource').map(r => r.name);
return {
  math: document.querySelectorAll('.math').length,
  untypeset: [...document.querySelectorAll('.math')].filter(m => !m.querySelector('mjx-container')).length,
  mathErrors: document.querySelectorAll('mjx-merror').length,
  text: clone.textContent,
  tracebacks: document.querySelectorAll('.output.traceback, .output.error, .traceback').length,
  stderr: document.querySelectorAll('.output.stderr').length,
  external: resources.filter(u => !u.startsWith(location.origin)),
};
"""


@needs_site
@pytest.mark.parametrize("page", PAGES)
def test_page_renders_cleanly(browser, server, page):
    browser.get(f"{server}/{page}")
    status = browser.execute_async_script(WAIT_FOR_MATHJAX)
    facts = browser.execute_script(PAGE_FACTS)
    if facts["math"]:
        assert status == "typeset", f"{page}: MathJax did not finish: {status}"
        assert facts["untypeset"] == 0, f"{page}: {facts['untypeset']} of {facts['math']} math elements not typeset"
    assert facts["mathErrors"] == 0, f"{page}: MathJax reports {facts['mathErrors']} TeX errors"
    for raw in ("$$", "\\begin{", "\\[", "\\("):
        assert raw not in facts["text"], f"{page}: raw TeX {raw!r} left in the page text"
    assert "Traceback (most recent call last)" not in facts["text"], f"{page}: shows a traceback"
    assert facts["tracebacks"] == 0, f"{page}: shows {facts['tracebacks']} error outputs"
    assert facts["stderr"] == 0, f"{page}: shows {facts['stderr']} stderr outputs (warnings?)"
    assert not facts["external"], f"{page}: fetched from outside the site: {facts['external'][:5]}"


@needs_site
def test_math_is_served_from_the_site():
    scripts = (SITE / "index.html").read_text()
    chapter_pages = [SITE / p for p in PAGES]
    with_math = [p for p in chapter_pages if "tex-chtml.js" in p.read_text()]
    assert with_math, "no page loads MathJax at all"
    for page in with_math:
        assert "cdn.jsdelivr.net" not in page.read_text(), f"{page.name} loads MathJax from a CDN"
    assert (SITE / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert scripts  # index exists and is readable


@functools.lru_cache(maxsize=None)
def _ids(page: Path):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page.read_text(), "html.parser")
    return frozenset(tag["id"] for tag in soup.find_all(id=True)) | frozenset(
        tag["name"] for tag in soup.find_all("a", attrs={"name": True})
    )


@needs_site
@pytest.mark.parametrize("page", PAGES)
def test_internal_links_resolve(page):
    from bs4 import BeautifulSoup

    source = SITE / page
    soup = BeautifulSoup(source.read_text(), "html.parser")
    broken = []
    for anchor in soup.find_all("a", href=True):
        href = anchor["href"]
        parsed = urlparse(href)
        if parsed.scheme or href.startswith(("//", "mailto:", "javascript:")):
            continue
        path, fragment = urldefrag(href)
        target = (source.parent / unquote(path)).resolve() if path else source
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            broken.append(href)
        elif fragment and target.suffix == ".html" and unquote(fragment) not in _ids(target):
            broken.append(href)
    assert not broken, f"{page}: links that lead nowhere: {broken}"
