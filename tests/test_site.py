"""The built HTML book, opened page by page in headless Chromium with no network.

Checks that math was typeset by MathJax (served from the site itself, and only on pages with
math), that no page shows a traceback or error output, logs a console error, requests a file the
site lacks, or fetches anything from outside the site, and that every internal link resolves.
As a reader sees it: figures carry real alt text and are sharp; at 1280 px every display
equation fits its box, at 390 px the page never scrolls sideways and an equation too wide for
the phone scrolls in its own box with a visible cue; formulas are not keyboard tab stops; the
hidden Colab cell is absent from every page; the copy button drops `>>> ` prompts; the
bibliography is labelled by author and year; each chapter's executed notebook can be downloaded.

Needs a built book (`make book`) and Debian's `chromium` and `chromium-driver`; without them it
skips and says why, except under CI, where it fails.
"""
import functools
import http.server
import json
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
MATHJAX_LIMIT = 6 * 1024 * 1024   # bytes: the site's copy of MathJax
DESKTOP, PHONE = 1280, 390        # CSS pixels


def _no_site():
    if not (SITE / "index.html").is_file():
        return f"no built book at {SITE}: run `make book` first"
    return None


def _unavailable():
    if _no_site():
        return _no_site()
    if not (CHROMIUM and CHROMEDRIVER):
        return "no Chromium: install Debian's chromium and chromium-driver"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -r requirements.txt)"
    return None


REASON = _unavailable()
needs_site = pytest.mark.skipif(REASON is not None, reason=REASON or "")
needs_built_book = pytest.mark.skipif(_no_site() is not None, reason=_no_site() or "")


def test_site_is_checked_under_ci():
    """Under CI the browser test must run, not skip: .ci/run builds the book and installs Chromium."""
    if REASON and os.environ.get("CI"):
        pytest.fail(f"CI cannot run the browser test of the site: {REASON}")
    if REASON:
        pytest.skip(REASON)


def pages():
    if not SITE.is_dir():
        return []
    skip = {"_static", "_sources", "_images", "executed"}
    return sorted(
        str(p.relative_to(SITE))
        for p in SITE.rglob("*.html")
        if not skip.intersection(p.relative_to(SITE).parts) and p.name not in {"genindex.html", "search.html"}
    )


PAGES = pages()
NOTEBOOKS = sorted(
    p.relative_to(ROOT).with_suffix("")
    for p in (ROOT / "book").rglob("*.ipynb")
    if not {"_build", ".ipynb_checkpoints", "_ext"}.intersection(p.parts)
)
NOTEBOOK_PAGES = [f"{name}.html" for name in NOTEBOOKS]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site; remembers every request it could not answer (a 404 is a bug)."""

    failures: list = []

    def log_message(self, *args):
        pass

    def send_error(self, code, message=None, explain=None):
        type(self).failures.append(f"{code} {self.path}")
        super().send_error(code, message, explain)


@pytest.fixture(scope="module")
def server():
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--window-size=1280,900",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


WAIT_FOR_PAGE = """
const done = arguments[arguments.length - 1];
const start = Date.now();
const images = () => Promise.all([...document.images].map(img => img.complete ? null :
  new Promise(ok => { img.addEventListener('load', ok); img.addEventListener('error', ok); })));
const settle = (status) => Promise.all([document.fonts ? document.fonts.ready : null, images()])
  .then(() => { window.dispatchEvent(new Event('resize')); setTimeout(() => done(status), 100); });
if (!document.querySelector('.math')) { settle('no math'); return; }
(function poll() {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    MathJax.startup.promise.then(() => settle('typeset'), e => done('error: ' + e));
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
const article = document.querySelector('article') || prose;
const label = (el) => {
  const box = el.closest('div.math');
  const eqno = box && box.querySelector('.eqno');
  return (eqno ? eqno.textContent.replace('#', '').trim() : '') || (box && box.id) ||
         (el.querySelector('mjx-assistive-mml') || el).textContent.slice(0, 60);
};
return {
  innerWidth: window.innerWidth,
  scrollWidth: document.documentElement.scrollWidth,
  math: document.querySelectorAll('.math').length,
  untypeset: [...document.querySelectorAll('.math')].filter(m => !m.querySelector('mjx-container')).length,
  mathErrors: document.querySelectorAll('mjx-merror').length,
  text: clone.textContent,
  html: document.body.innerHTML,
  tracebacks: document.querySelectorAll('.output.traceback, .output.error, .traceback').length,
  stderr: document.querySelectorAll('.output.stderr').length,
  external: resources.filter(u => !u.startsWith(location.origin)),
  mathjaxScript: !!document.querySelector('script[src*="mathjax"]'),
  tabStops: [...document.querySelectorAll('mjx-container')].filter(m => m.tabIndex >= 0).length,
  images: [...article.querySelectorAll('img')].map(img => ({
    src: img.getAttribute('src'), alt: img.getAttribute('alt'), naturalWidth: img.naturalWidth,
    width: img.getBoundingClientRect().width, inFigure: !!img.closest('figure'),
  })),
  equations: [...document.querySelectorAll('div.math mjx-container[display="true"]')].map(box => {
    const style = getComputedStyle(box);
    return {
      label: label(box), scrollWidth: box.scrollWidth, clientWidth: box.clientWidth,
      overflowX: style.overflowX, cue: box.classList.contains('eq-scrolls'),
      mask: style.maskImage || style.webkitMaskImage || 'none',
    };
  }),
};
"""


class Visits:
    """Loads each page once per viewport width and remembers what it saw."""

    def __init__(self, browser, server):
        self.browser, self.server, self.seen, self.width = browser, server, {}, None

    def open(self, page, width=DESKTOP):
        """Load ``page`` at ``width`` CSS pixels (a phone below 600) and wait until it settles."""
        if width != self.width:
            self.browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": width, "height": 900 if width == DESKTOP else 844,
                "deviceScaleFactor": 1, "mobile": width < 600,
            })
            self.width = width
        self.browser.get_log("browser")            # drop messages of earlier pages
        _QuietHandler.failures.clear()
        self.browser.get(f"{self.server}/{page}")
        return self.browser.execute_async_script(WAIT_FOR_PAGE)

    def __call__(self, page, width=DESKTOP):
        if (page, width) not in self.seen:
            status = self.open(page, width)
            facts = self.browser.execute_script(PAGE_FACTS)
            facts["status"] = status
            facts["console"] = [
                entry["message"] for entry in self.browser.get_log("browser") if entry["level"] == "SEVERE"
            ]
            facts["failed_requests"] = list(_QuietHandler.failures)
            self.seen[page, width] = facts
        return self.seen[page, width]


@pytest.fixture(scope="module")
def visit(browser, server):
    return Visits(browser, server)


@needs_site
@pytest.mark.parametrize("page", PAGES)
def test_page_renders_cleanly(visit, page):
    facts = visit(page)
    if facts["math"]:
        assert facts["status"] == "typeset", f"{page}: MathJax did not finish: {facts['status']}"
        assert facts["untypeset"] == 0, f"{page}: {facts['untypeset']} of {facts['math']} math elements not typeset"
    assert facts["mathErrors"] == 0, f"{page}: MathJax reports {facts['mathErrors']} TeX errors"
    for raw in ("$$", "\\begin{", "\\[", "\\("):
        assert raw not in facts["text"], f"{page}: raw TeX {raw!r} left in the page text"
    assert "Traceback (most recent call last)" not in facts["text"], f"{page}: shows a traceback"
    assert facts["tracebacks"] == 0, f"{page}: shows {facts['tracebacks']} error outputs"
    assert facts["stderr"] == 0, f"{page}: shows {facts['stderr']} stderr outputs (warnings?)"
    assert not facts["external"], f"{page}: fetched from outside the site: {facts['external'][:5]}"


@needs_site
@pytest.mark.parametrize("page", PAGES)
def test_no_console_errors_and_no_missing_files(visit, page):
    facts = visit(page)
    assert not facts["console"], f"{page}: console errors: {facts['console']}"
    assert not facts["failed_requests"], f"{page}: requests the site could not answer: {facts['failed_requests']}"


@needs_site
@pytest.mark.parametrize("page", PAGES)
def test_mathjax_only_where_there_is_math(visit, page):
    facts = visit(page)
    assert facts["mathjaxScript"] == bool(facts["math"]), (
        f"{page}: {facts['math']} math elements, but MathJax {'is' if facts['mathjaxScript'] else 'is not'} loaded"
    )


@needs_site
@pytest.mark.parametrize("page", PAGES)
def test_formulas_are_not_tab_stops(visit, page):
    facts = visit(page)
    assert facts["tabStops"] == 0, f"{page}: {facts['tabStops']} formulas are keyboard tab stops"


# A file name or path, not words: one token with a slash, an image suffix, _images/, a hash.
PATH_LIKE = re.compile(r"^\S*[/\\]\S*$|\.(png|svg|jpe?g|gif|pdf)$|_images/|^[0-9a-f]{16,}$", re.I)


def image_problems(images):
    """What is wrong with each image: alt text missing or a file name, or too blurry to read."""
    problems = []
    for img in images:
        alt = (img["alt"] or "").strip()
        if len(alt) < 10 or PATH_LIKE.search(alt):
            problems.append(f"{img['src']}: alt text {alt!r} does not describe the picture")
        sharp = img["src"].split("?")[0].endswith(".svg") or img["naturalWidth"] >= 1.5 * img["width"]
        if not sharp:
            problems.append(
                f"{img['src']}: {img['naturalWidth']} px wide shown at {img['width']:.0f} px (need SVG or 1.5x)"
            )
    return problems


def test_image_problems_judges_alt_text_and_sharpness():
    good = {"src": "../../_images/a.svg", "alt": "Loss against training step, falling", "naturalWidth": 0, "width": 600}
    retina = dict(good, src="b.png", naturalWidth=1200)
    assert image_problems([good, retina]) == []
    for bad in (
        dict(good, alt="../../_images/0c1f2e.png"), dict(good, alt=""), dict(good, alt=None),
        dict(good, alt="0c1f2e3d4a5b6c7d8e9f"), dict(good, alt="figure_3.svg"),
        dict(good, alt="see ../_images/x"),
        dict(retina, naturalWidth=640),
    ):
        assert len(image_problems([bad])) == 1, bad


@needs_site
@pytest.mark.parametrize("page", PAGES)
def test_figures_have_alt_text_and_are_sharp(visit, page):
    problems = image_problems(visit(page)["images"])
    assert not problems, f"{page}: " + "; ".join(problems)


@needs_site
@pytest.mark.parametrize("page", PAGES)
def test_display_equations_fit_at_desktop_width(visit, page):
    facts = visit(page, DESKTOP)
    assert facts["innerWidth"] == DESKTOP
    wide = [f"{eq['label']} ({eq['scrollWidth']} px in {eq['clientWidth']} px)"
            for eq in facts["equations"] if eq["scrollWidth"] > eq["clientWidth"] + 1]
    assert not wide, f"{page}: display equations wider than their box at {DESKTOP} px: {wide}"


@needs_site
@pytest.mark.parametrize("page", PAGES)
def test_phone_page_does_not_scroll_sideways(visit, page):
    facts = visit(page, PHONE)
    assert facts["innerWidth"] == PHONE
    assert facts["scrollWidth"] <= PHONE, f"{page}: the page is {facts['scrollWidth']} px wide at {PHONE} px"
    for eq in facts["equations"]:
        if eq["scrollWidth"] > eq["clientWidth"] + 1:
            assert eq["overflowX"] in ("auto", "scroll"), f"{page}: {eq['label']} is cut off, cannot scroll"
            assert eq["cue"] and "gradient" in eq["mask"], f"{page}: {eq['label']} scrolls with no visible cue"


@needs_site
@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_colab_cell_is_not_shown(visit, page):
    facts = visit(page)
    assert facts["math"] or facts["text"].strip(), f"{page}: the page is empty"
    for trace in ("google.colab", "git+https://"):
        assert trace not in facts["html"], f"{page}: the hidden Colab cell shows ({trace!r})"


COPY_CALL = re.compile(r"formatCopyText\(text, '((?:[^'\\]|\\.)*)', (true|false), (true|false)")


@needs_site
def test_copy_button_drops_prompts(visit, browser):
    """The copy button's configured call, applied to the API page's `>>>` examples, drops the prompts."""
    call = COPY_CALL.search((SITE / "_static" / "copybutton.js").read_text())
    assert call, "copybutton.js does not call formatCopyText as expected"
    prompt = call.group(1).encode().decode("unicode_escape")
    visit.open("book/api.html")
    copied = browser.execute_async_script("""
        const [prompt, isRegexp, onlyPromptLines, done] = arguments;
        import('./../_static/copybutton_funcs.js').then(({formatCopyText}) => done(
          [...document.querySelectorAll('div.highlight pre')]
            .map(pre => pre.innerText).filter(text => text.includes('>>> '))
            .map(text => formatCopyText(text, prompt, isRegexp, onlyPromptLines, true, true, '', ''))
        ), e => done(String(e)));
    """, prompt, call.group(2) == "true", call.group(3) == "true")
    assert isinstance(copied, list) and copied, f"no example with >>> prompts to copy: {copied}"
    for text in copied:
        lines = text.splitlines()
        assert lines and not any(line.startswith((">>>", "...")) for line in lines), text
    assert any(line.startswith("import ") for text in copied for line in text.splitlines())


@needs_site
def test_mathjax_extensions_and_speech_load_from_the_site(visit, browser):
    assert visit.open(NOTEBOOK_PAGES[0]) == "typeset"
    _QuietHandler.failures.clear()
    browser.get_log("browser")
    status = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        MathJax.loader.load('[tex]/physics', '[tex]/mhchem', '[tex]/cancel', 'a11y/explorer')
          .then(() => done('ok'), e => done('error: ' + e));
    """)
    assert status == "ok", status
    assert not _QuietHandler.failures, _QuietHandler.failures
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


@needs_built_book
def test_mathjax_copy_is_small():
    folder = SITE / "_static" / "mathjax"
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    assert (folder / "tex-chtml.js").is_file()
    assert size <= MATHJAX_LIMIT, f"the site's MathJax is {size / 2**20:.1f} MB, more than {MATHJAX_LIMIT / 2**20:.0f} MB"


@needs_built_book
def test_math_is_served_from_the_site():
    chapter_pages = [SITE / p for p in PAGES]
    with_math = [p for p in chapter_pages if "tex-chtml.js" in p.read_text()]
    assert with_math, "no page loads MathJax at all"
    for page in with_math:
        assert "cdn.jsdelivr.net" not in page.read_text(), f"{page.name} loads MathJax from a CDN"
    assert (SITE / "_static" / "mathjax" / "tex-chtml.js").is_file()


@needs_built_book
def test_bibliography_is_labelled_by_author_and_year():
    from bs4 import BeautifulSoup

    soup = BeautifulSoup((SITE / "book" / "bibliography.html").read_text(), "html.parser")
    labels = [label.get_text().strip("[] ") for label in soup.select(".citation .label, div.citation span.label")]
    assert labels, "the bibliography page lists no entries"
    wrong = [label for label in labels if not re.fullmatch(r"\D+, (1[89]|20)\d\d[a-z]?", label)]
    assert not wrong, f"bibliography labels that are not 'Author, year': {wrong}"


@needs_built_book
@pytest.mark.parametrize("name", NOTEBOOKS, ids=str)
def test_executed_notebook_is_offered_for_download(name):
    from bs4 import BeautifulSoup

    page = SITE / f"{name}.html"
    target = SITE / "executed" / f"{name}.ipynb"
    hrefs = [a["href"] for a in BeautifulSoup(page.read_text(), "html.parser").find_all("a", href=True)]
    links = [h for h in hrefs if h.endswith(f"executed/{name}.ipynb")]
    assert links, f"{page.name} offers no download of its executed notebook"
    assert (page.parent / links[0]).resolve() == target.resolve()
    executed = json.loads(target.read_text())
    committed = json.loads((ROOT / f"{name}.ipynb").read_text())
    code = [c["source"] for c in committed["cells"] if c["cell_type"] == "code"]
    ran = [c for c in executed["cells"] if c["cell_type"] == "code"]
    assert ["".join(c["source"]) for c in ran] == ["".join(c) for c in code], "executed copy is stale"
    assert any(c.get("outputs") for c in ran), f"{target.name} has no outputs"
    if "<figure" in page.read_text():
        assert any(k.startswith("image/") for c in ran for o in c.get("outputs", []) for k in o.get("data", {}))


@needs_built_book
@pytest.mark.parametrize("page", PAGES)
def test_no_inline_script_twice(page):
    """A repeated inline script re-declares its `const`s (THEBE_JS_URL): a SyntaxError."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup((SITE / page).read_text(), "html.parser")
    bodies = [tag.string.strip() for tag in soup.find_all("script") if not tag.get("src") and tag.string]
    repeated = sorted({body[:60] for body in bodies if bodies.count(body) > 1})
    assert not repeated, f"{page}: inline scripts included twice: {repeated}"


@functools.lru_cache(maxsize=None)
def _ids(page: Path):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page.read_text(), "html.parser")
    return frozenset(tag["id"] for tag in soup.find_all(id=True)) | frozenset(
        tag["name"] for tag in soup.find_all("a", attrs={"name": True})
    )


@needs_built_book
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
