"""The search page in a real browser, against the real server.

The samples are indexed with the real model, ``vanban serve`` runs as a
subprocess, and Debian's Chromium (driven by Playwright's Python package) uses
the page as a person would: typing without diacritics, opening a document,
filters, paging, the keyboard, a narrow phone screen, and a document that
quotes ``<script>alert(1)</script>``; then the passage-kind filter, the tasks
table, the recurring-shortcomings timeline and "more like this"; then results
by document (the default) and by passage, the badges of a document found by its
number or changed by a later one, "only documents in force", and a document's
related documents.

Results come by document: one card (``#results > li.result.doc-result``) per
document with its best passages (``.hit``); by passage (``theo=doan`` in the
route) each result is itself a ``.hit``. Checks about passages look at ``.hit``
so that they hold in both layouts.

Chromium and Playwright come from ``scripts/install_browser.sh``; without them
these tests fail (they are part of the suite, not optional). Screenshots go to
``test-artifacts/`` at the repository root.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from conftest import REPO, SAMPLES
from search_api.local_server import ServerError, cli, served

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # the fixture below turns this into a failure
    sync_playwright = None

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO / "test-artifacts"
INSTALL_HINT = "run `bash scripts/install_browser.sh` (as root) to install Debian's chromium and Playwright"
HEALTH_TIMEOUT_S = 180
XSS_DOC = "2024-11-cv-1127-su-co-an-toan-thong-tin-cong-ttdt.txt"
XSS_TEXT = "<script>alert(1)</script>"
DOC_TYPES = ("Thông báo", "Công văn", "Báo cáo", "Kế hoạch", "Chỉ thị", "Quyết định")
# "Thông báo số 236/TB-UBND ngày 8/10/2024 — …", "Thông báo số 218-TB/HU ngày 22/9/2023 — …"
CITATION_HEAD = re.compile(r"^(%s) số \d+[-/][A-ZĐ][A-ZĐ/-]* ngày \d{1,2}/\d{1,2}/\d{4} — " % "|".join(DOC_TYPES))


def _hash_params(url: str) -> dict[str, str]:
    """The parameters of a search route: ``…/#/tim-kiem?q=bao+so+3`` -> {"q": "bao so 3"}."""
    fragment = urlsplit(url).fragment
    query = fragment.split("?", 1)[1] if "?" in fragment else ""
    return {k: v[-1] for k, v in parse_qs(query).items()}


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The samples indexed with the real model, served by ``vanban serve`` on a free port."""
    work = tmp_path_factory.mktemp("browser")
    data_dir = work / "data"
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    env.pop("VANBAN_ADMIN_TOKEN", None)
    index = subprocess.run(
        cli("index", str(SAMPLES.relative_to(REPO)), "--data-dir", str(data_dir)),
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900,
    )
    if index.returncode != 0:
        pytest.fail(f"indexing the samples failed ({index.returncode}):\n{index.stderr[-3000:]}", pytrace=False)

    try:
        with served(data_dir, work / "server.log", env=env, start_timeout_s=HEALTH_TIMEOUT_S) as (base, _proc):
            yield base
    except ServerError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="module")
def browser():
    if sync_playwright is None:
        pytest.fail(f"the Python package playwright is missing: {INSTALL_HINT}", pytrace=False)
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: {INSTALL_HINT}", pytrace=False)
    with sync_playwright() as pw:
        try:
            b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except PlaywrightError as exc:
            pytest.fail(f"Chromium did not start ({exc}): {INSTALL_HINT}", pytrace=False)
        yield b
        b.close()


@pytest.fixture(scope="module")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def _wait_until(page, expression: str, timeout_s: float = 30.0) -> None:
    """Poll a JavaScript expression until it is true. (page.wait_for_function compiles its
    predicate with eval, which the page's Content-Security-Policy forbids.)"""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout_s} s: {expression}")
        page.wait_for_timeout(50)


class Tab:
    """One browser page plus what it reported: uncaught errors and dialogs."""

    def __init__(self, page, base: str):
        self.page = page
        self.base = base
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

        def on_dialog(dialog):
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)

    def goto(self, hash_route: str = "") -> None:
        self.page.goto(self.base + "/" + hash_route)

    def search_hash(self, q: str, **params: str) -> str:
        extra = "".join(f"&{k}={quote(v)}" for k, v in params.items())
        return f"#/tim-kiem?q={quote(q)}{extra}"

    def wait_results(self) -> None:
        """Results of the last search are on screen and no search is in flight."""
        self.page.wait_for_selector("#search-layout:not([hidden]) #results > li")
        _wait_until(self.page, "!document.body.classList.contains('is-busy')")

    def citations(self) -> list[str]:
        return [t.strip() for t in self.page.locator("#results .citation").all_inner_texts()]

    def result_hrefs(self) -> list[str]:
        return [a.get_attribute("href") for a in self.page.locator("#results a.result-link").all()]

    def marked_hit(self, pattern: str):
        """The first passage shown (in a document's card or on its own) that marks pattern."""
        page = self.page
        return page.locator("#results .hit").filter(has=page.locator("mark", has_text=re.compile(pattern, re.I))).first


@pytest.fixture
def tab(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(30_000)
    t = Tab(page, server)
    yield t
    context.close()
    assert not t.errors, f"uncaught errors in the page: {t.errors}"
    assert not t.dialogs, f"the page opened dialogs: {t.dialogs}"


# ---------------------------------------------------------------- tests


def test_page_shell_is_vietnamese_and_offline(tab):
    tab.goto()
    page = tab.page
    assert page.title() == "vanban — Tìm kiếm văn bản"
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.locator("meta[charset]").get_attribute("charset").lower() == "utf-8"
    assert "width=device-width" in page.locator("meta[name=viewport]").get_attribute("content")
    placeholder = page.locator("#q").get_attribute("placeholder")
    assert "không dấu" in placeholder
    assert page.locator("#status").get_attribute("aria-live") == "polite"
    # Nothing from outside the server: no CDN, no web font.
    for attr, sel in (("src", "script[src]"), ("href", "link[href]")):
        for url in page.locator(sel).evaluate_all(f"els => els.map(e => e.getAttribute('{attr}'))"):
            assert url.startswith("/") or url.startswith("data:"), url
    expect(page.locator("#stats")).to_contain_text("10 văn bản")


def test_typing_without_diacritics_finds_cited_passage(tab, artifacts):
    tab.goto()
    page = tab.page
    page.locator("#q").click()
    page.keyboard.type("bao so 3", delay=40)  # searches as one types: no Enter
    tab.wait_results()
    # By document, the default: the status line counts documents.
    expect(page.locator("#status")).to_contain_text(re.compile(r"Tìm thấy [\d.]+ văn bản \([\d.]+ ms\)"))
    assert _hash_params(page.url).get("q") == "bao so 3", page.url
    marks = page.locator("#results .hit mark")
    assert any("bão số 3" in t.lower() for t in marks.all_inner_texts()), marks.all_inner_texts()
    # A document whose passage marks "bão số 3" cites type, number and date; the passage
    # says where it lies in the document.
    passage = tab.marked_hit("bão số 3")
    hit = passage.locator("xpath=ancestor::li[contains(@class, 'doc-result')][1]")
    citation = hit.locator(".citation").inner_text().strip()
    assert CITATION_HEAD.match(citation), citation
    assert " — UBND " in citation or " — Huyện ủy " in citation, citation
    expect(hit.locator(".subject")).not_to_be_empty()
    expect(passage.locator("a.passage-link")).to_have_text(re.compile(r"^mục \S"))
    file_link = hit.get_by_role("link", name=re.compile("^Tệp gốc"))
    assert re.match(r"^/api/documents/[^/]+/file(#page=\d+)?$", file_link.get_attribute("href"))
    page.screenshot(path=str(artifacts / "results.png"), full_page=True)


def test_result_opens_document_with_cited_passage_in_view(tab, artifacts):
    tab.goto(tab.search_hash("bao so 3"))
    tab.wait_results()
    page = tab.page
    passage = tab.marked_hit("bão số 3")
    citation = passage.locator("xpath=ancestor::li[contains(@class, 'result')][1]").locator(".citation").inner_text()
    number = re.search(r" số (\S+)", citation).group(1)
    link = passage.locator("a.passage-link")
    href = link.get_attribute("href")
    link.click()

    assert re.search(r"#/van-ban/[^?]+\?doan=\d+-\d+(&ma-doan=\d+)?$", page.url), page.url
    cited = page.locator("#cited")
    expect(cited).to_be_visible()
    expect(cited).to_be_in_viewport()
    cited_text = " ".join(page.locator("#doc-text mark.cited").all_inner_texts())
    assert "bão số 3" in " ".join(cited_text.split()).lower(), cited_text
    # Header: number, type, issuer, date; a table of contents; the original file.
    meta = page.locator("#doc-meta").inner_text()
    assert number in meta and "Cơ quan ban hành" in meta and "Ngày ban hành" in meta, meta
    assert page.locator("#toc-nav button").count() > 0
    file_href = page.get_by_role("link", name=re.compile("^Tệp gốc")).get_attribute("href")
    assert page.request.get(tab.base + file_href.split("#")[0]).ok
    page.screenshot(path=str(artifacts / "document.png"))

    # Escape returns to the results, focus on (a link to) the passage that was opened.
    page.keyboard.press("Escape")
    expect(page.locator("#search-view")).to_be_visible()
    expect(page.locator("#doc-view")).to_be_hidden()
    assert _hash_params(page.url).get("q") == "bao so 3", page.url
    assert page.locator("#q").input_value() == "bao so 3"
    assert page.evaluate("document.activeElement.closest('#results') !== null")
    assert page.evaluate("document.activeElement.getAttribute('href')") == href


def test_browser_back_button_returns_to_results(tab):
    tab.goto(tab.search_hash("GPMB"))
    tab.wait_results()
    page = tab.page
    before = tab.result_hrefs()
    page.locator("#results a.result-link").first.click()
    expect(page.locator("#cited")).to_be_visible()
    page.go_back()
    expect(page.locator("#search-view")).to_be_visible()
    tab.wait_results()
    assert tab.result_hrefs() == before
    page.go_forward()
    expect(page.locator("#cited")).to_be_in_viewport()


def test_document_quoting_script_renders_as_text(tab, artifacts):
    page = tab.page
    tab.goto()
    page.locator("#q").fill("alert(1)")
    page.keyboard.press("Enter")
    tab.wait_results()
    link = page.locator(f'#results a.result-link[data-doc="{XSS_DOC}"]').first
    expect(link).to_be_visible()
    passage = link.locator("xpath=ancestor::li[1]").locator(".passage", has_text=XSS_TEXT)
    expect(passage.first).to_contain_text(XSS_TEXT)  # shown in the results as text
    link.click()
    expect(page.locator("#doc-content")).to_be_visible()
    shown = page.locator("#doc-text p", has_text=XSS_TEXT)
    expect(shown).to_have_count(1)
    expect(shown).to_be_visible()
    page.wait_for_timeout(300)  # give a would-be script every chance to run
    assert page.locator("script").count() == 1, page.locator("script").evaluate_all("els => els.map(e => e.outerHTML)")
    assert page.locator("#doc-text script, #results script").count() == 0
    assert tab.dialogs == []
    page.screenshot(path=str(artifacts / "document-xss.png"))


def test_doc_type_facet_restricts_results_and_clears(tab):
    tab.goto(tab.search_hash("bao so 3"))
    tab.wait_results()
    page = tab.page
    unfiltered = tab.citations()
    assert not all(c.startswith("Công văn") for c in unfiltered), unfiltered
    chip = page.locator("#filters .facet").filter(has_text="Loại văn bản").locator("a.chip", has_text="Công văn")
    expect(chip).to_contain_text(re.compile(r"Công văn \d+"))
    with page.expect_response(lambda r: "/api/search" in r.url and "doc_type=C" in r.url):
        chip.click()
    tab.wait_results()
    assert _hash_params(page.url).get("loai") == "Công văn", page.url
    filtered = tab.citations()
    assert filtered and all(c.startswith("Công văn") for c in filtered), filtered
    expect(page.locator("#filters a.chip-on")).to_contain_text("Công văn")
    expect(page.locator("#filters summary")).to_contain_text("Công văn")

    # A year chip narrows by date as well.
    year = page.locator("#filters .facet").filter(has_text="Năm ban hành").locator("a.chip").first
    year_value = year.locator(".chip-label").inner_text()
    with page.expect_response(lambda r: "/api/search" in r.url and f"date_from={year_value}-01-01" in r.url):
        year.click()
    tab.wait_results()
    assert all(re.search(rf"/{year_value}\b", c) for c in tab.citations()), tab.citations()

    with page.expect_response(lambda r: "/api/search" in r.url and "doc_type=" not in r.url):
        page.get_by_role("link", name="Xóa bộ lọc").click()
    tab.wait_results()
    assert tab.citations() == unfiltered


def test_paging_next_and_previous(tab):
    # By passage: the samples' ten documents fill one page by document.
    tab.goto(tab.search_hash("bao so 3", theo="doan"))
    tab.wait_results()
    page = tab.page
    first = tab.result_hrefs()
    assert len(first) == 10
    with page.expect_response(lambda r: "/api/search" in r.url and "page=2" in r.url and "group=passage" in r.url):
        page.get_by_role("link", name="Sau →").click()
    tab.wait_results()
    assert _hash_params(page.url).get("theo") == "doan", page.url
    expect(page.locator("#pager")).to_contain_text("Trang 2")
    expect(page.locator("#status")).to_contain_text("trang 2/")
    assert page.locator("#results").get_attribute("start") == "11"
    second = tab.result_hrefs()
    assert second and second != first
    with page.expect_response(lambda r: "/api/search" in r.url and "page=1" in r.url):
        page.get_by_role("link", name="← Trước").click()
    tab.wait_results()
    expect(page.locator("#pager")).to_contain_text("Trang 1")
    assert tab.result_hrefs() == first


def test_keyboard_slash_type_enter_tab_escape(tab):
    tab.goto()
    page = tab.page
    page.locator("body").click(position={"x": 5, "y": 400})
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    assert page.locator("#q").input_value() == ""  # the slash itself is not typed
    page.keyboard.type("GPMB")
    page.keyboard.press("Enter")
    tab.wait_results()
    # Tab from the search box reaches the first result link, with a visible focus ring.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('result-link')"):
            break
    else:
        pytest.fail("Tab never reached a result link")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", ""), outline
    page.keyboard.press("Enter")
    expect(page.locator("#cited")).to_be_in_viewport()
    page.keyboard.press("Escape")
    expect(page.locator("#results")).to_be_visible()
    assert page.evaluate("document.activeElement.classList.contains('result-link')")


def test_debounce_and_stale_responses(tab):
    """Typing sends one request for the final text; an older answer that comes late is ignored."""
    page = tab.page
    # Answers for the query "bao" arrive 1.5 s late, whatever the page does to cancel them.
    page.add_init_script(
        """
        (() => {
          const realFetch = window.fetch.bind(window);
          window.__searchUrls = [];
          window.__lateDone = false;
          window.fetch = async (url, init) => {
            const u = new URL(url, location.href);
            if (u.pathname === "/api/search") window.__searchUrls.push(u.searchParams.get("q"));
            if (u.pathname === "/api/search" && u.searchParams.get("q") === "bao") {
              const rest = Object.assign({}, init || {});
              delete rest.signal;
              const response = await realFetch(url, rest);
              await new Promise((r) => setTimeout(r, 1500));
              window.__lateDone = true;
              return response;
            }
            return realFetch(url, init);
          };
        })();
        """
    )
    tab.goto()
    page.locator("#q").click()
    page.keyboard.type("bao")
    _wait_until(page, "window.__searchUrls.includes('bao')")
    page.keyboard.type(" so 3", delay=30)
    _wait_until(page, "window.__lateDone === true")
    page.wait_for_timeout(300)
    tab.wait_results()
    assert page.title() == "bao so 3 — vanban"
    urls = page.evaluate("window.__searchUrls")
    # One request per pause in typing, not one per key (a very slow machine may pause once more).
    assert urls[0] == "bao" and urls[-1] == "bao so 3" and len(urls) <= 3, urls
    expect(page.locator("#dense-note")).to_contain_text("bão số 3")


def test_empty_and_error_states(tab):
    page = tab.page
    tab.goto(tab.search_hash("bao so 3", loai="Không có loại này"))
    tab.wait_results()
    expect(page.locator("#status")).to_have_text("Không tìm thấy kết quả cho “bao so 3” với bộ lọc đang chọn.")
    expect(page.get_by_role("link", name="Bỏ bộ lọc")).to_be_visible()

    long_query = "bão " * 300
    api = page.request.get(tab.base + "/api/search?q=" + quote(long_query.strip()))
    assert api.status >= 400
    message = api.json()["error"]["message"]
    tab.goto(tab.search_hash(long_query.strip()))
    expect(page.locator("#error")).to_be_visible()
    expect(page.locator("#error")).to_contain_text(message)
    expect(page.locator("#search-layout")).to_be_hidden()


def test_narrow_screen_has_no_horizontal_scroll(browser, server, artifacts):
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="vi-VN", is_mobile=True, has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        t = Tab(page, server)
        t.goto(t.search_hash("bao so 3"))
        t.wait_results()
        no_scroll = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        widths = "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        assert page.evaluate(no_scroll), page.evaluate(widths)
        page.screenshot(path=str(artifacts / "narrow-results.png"))
        page.locator("#results a.result-link").first.click()
        expect(page.locator("#cited")).to_be_in_viewport()
        assert page.evaluate(no_scroll), page.evaluate(widths)
        page.screenshot(path=str(artifacts / "narrow-document.png"))
        # The widest document: the PDF report with its tables.
        t.goto("#/van-ban/" + quote("2023-12-bc-312-tinh-hinh-kt-xh-nam-2023.pdf", safe=""))
        expect(page.locator("#doc-content")).to_be_visible()
        assert page.evaluate(no_scroll), page.evaluate(widths)
    finally:
        context.close()
    assert not errors, errors


# ---------------------------------------------------------------- kinds, tasks, recurring, similar

KIND_NAMES = {
    "result": "Kết quả",
    "shortcoming": "Tồn tại, hạn chế",
    "cause": "Nguyên nhân",
    "task": "Nhiệm vụ",
    "proposal": "Kiến nghị, đề xuất",
    "other": "Khác",
}
NN_UNIT = "Phòng Nông nghiệp và PTNT"
GPMB_SLOW = "giải phóng mặt bằng chậm"
NO_SCROLL = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
WIDTHS = "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"


def _wait_view(page, view: str) -> None:
    """The tasks or recurring view is shown and has no request in flight."""
    page.wait_for_selector(f"#{view}-view:not([hidden])")
    _wait_until(page, f"document.getElementById('{view}-view').getAttribute('aria-busy') === 'false'")


def _task_rows(page) -> list[dict]:
    """The tasks table as [{unit, action, due, due_attr, source}], one per row."""
    return page.locator("#tasks-table tbody tr").evaluate_all(
        """rows => rows.map(r => ({
             unit: r.querySelector('.col-unit').innerText,
             action: r.querySelector('.col-action').innerText,
             due: r.querySelector('.col-due .due') ? r.querySelector('.col-due .due').innerText : '',
             due_attr: r.querySelector('.col-due time') ? r.querySelector('.col-due time').getAttribute('datetime') : null,
             due_title: r.querySelector('.col-due').getAttribute('title'),
             source: r.querySelector('.col-source a').getAttribute('href'),
           }))"""
    )


def test_kind_chip_restricts_results_to_that_kind(tab):
    tab.goto(tab.search_hash("bao so 3"))
    tab.wait_results()
    page = tab.page
    labels = page.locator("#results .hit .kind-label")  # each passage shown, in each document's card
    assert labels.count() == page.locator("#results .hit").count() > page.locator("#results > li.result").count()
    before = set(labels.evaluate_all("els => els.map(e => e.dataset.kind)"))
    assert len(before) > 1, before  # unfiltered results mix kinds
    expect(page.locator("#kind-filter a.chip-on")).to_have_text("✓ Tất cả")

    for kind in ("shortcoming", "task"):
        chip = page.locator(f'#kind-filter a.kind-chip[data-kind="{kind}"]')
        expect(chip).to_have_text(KIND_NAMES[kind])
        with page.expect_response(lambda r, k=kind: "/api/search" in r.url and f"kind={k}" in r.url):
            chip.click()
        tab.wait_results()
        assert _hash_params(page.url).get("loai-doan") == kind, page.url
        expect(chip).to_have_attribute("aria-current", "true")
        results = page.locator("#results .hit")
        assert results.count() > 0
        shown = labels.evaluate_all("els => els.map(e => [e.dataset.kind, e.innerText.trim()])")
        assert len(shown) == results.count(), shown
        assert all(k == kind and text == KIND_NAMES[kind] for k, text in shown), shown

    # The kind is kept by the switch to passages, by paging, and cleared with the other filters.
    with page.expect_response(lambda r: "/api/search" in r.url and "group=passage" in r.url and "kind=task" in r.url):
        page.locator("#group-passage").click()
    tab.wait_results()
    assert all(k == "task" for k in labels.evaluate_all("els => els.map(e => e.dataset.kind)"))
    with page.expect_response(lambda r: "/api/search" in r.url and "page=2" in r.url and "kind=task" in r.url):
        page.get_by_role("link", name="Sau →").click()
    tab.wait_results()
    with page.expect_response(lambda r: "/api/search" in r.url and "kind=" not in r.url):
        page.get_by_role("link", name="Xóa bộ lọc").click()
    tab.wait_results()
    assert "loai-doan" not in _hash_params(page.url)


def test_view_tabs_are_keyboard_reachable_and_mark_the_current_view(tab):
    tab.goto()
    page = tab.page
    tabs = page.locator(".views-nav a")
    assert tabs.all_inner_texts() == ["Tìm kiếm", "Nhiệm vụ", "Tồn tại lặp lại"]
    expect(page.locator("#nav-search")).to_have_attribute("aria-current", "page")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "nav-tasks":
            break
    else:
        pytest.fail("Tab never reached the Nhiệm vụ tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", ""), outline
    page.keyboard.press("Enter")
    _wait_view(page, "tasks")
    expect(page.locator("#nav-tasks")).to_have_attribute("aria-current", "page")
    assert page.locator(".views-nav [aria-current]").count() == 1
    expect(page.locator("#search-form")).to_be_hidden()
    assert page.title() == "Nhiệm vụ — vanban"
    # Without a topic: every task, soonest deadline first.
    dates = [r["due_attr"] for r in _task_rows(page) if r["due_attr"] and len(r["due_attr"]) == 10]
    assert len(dates) > 10 and dates == sorted(dates), dates
    # "/" goes to this view's own search box.
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "tasks-q"

    page.keyboard.press("Tab")  # out of the box, so that a key press is not typing
    page.locator("#nav-recurring").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#recurring-view")).to_be_visible()
    expect(page.locator("#nav-recurring")).to_have_attribute("aria-current", "page")
    expect(page.locator("#recurring-intro")).to_be_visible()
    page.locator("#nav-search").click()
    expect(page.locator("#search-view")).to_be_visible()
    expect(page.locator("#nav-search")).to_have_attribute("aria-current", "page")


def test_tasks_view_table_with_deadlines_and_source_link(tab, artifacts):
    tab.goto("#/nhiem-vu")
    page = tab.page
    _wait_view(page, "tasks")
    # Every task, by deadline: the first page says how many there are in all.
    status = page.locator("#tasks-status")
    expect(status).to_have_text(re.compile(r"^50 trên \d+ nhiệm vụ\. Xếp theo thời hạn\.$"))
    assert int(re.search(r"trên (\d+)", status.inner_text()).group(1)) > 50
    page.locator("#tasks-q").fill("bão số 3")
    with page.expect_response(lambda r: "/api/tasks" in r.url and "q=b" in r.url):
        page.keyboard.press("Enter")
    _wait_view(page, "tasks")
    assert _hash_params(page.url).get("q") == "bão số 3", page.url
    assert page.title() == "bão số 3 — Nhiệm vụ — vanban"
    headers = page.locator("#tasks-table thead th").all_inner_texts()
    assert [h.strip().lower() for h in headers] == ["đơn vị", "nhiệm vụ", "thời hạn", "nguồn"], headers
    rows = _task_rows(page)
    assert len(rows) >= 10, rows
    # The API's normalised deadlines, in words.
    shown = {r["due"] for r in rows}
    assert "31/10/2024" in shown and "Quý IV/2024" in shown and "tháng 10/2024" in shown and "—" in shown, shown
    target = next(
        (i for i, r in enumerate(rows) if NN_UNIT in r["unit"] and r["due"] == "31/10/2024"), None
    )
    assert target is not None, rows
    assert rows[target]["due_attr"] == "2024-10-31" and rows[target]["due_title"] == "trước ngày 31/10/2024"
    row = page.locator("#tasks-table tbody tr").nth(target)
    expect(row.locator(".col-due .due-text")).to_have_text("trước ngày 31/10/2024")
    link = row.locator(".col-source a")
    expect(link).to_have_text(re.compile(r"^Thông báo số 236/TB-UBND ngày 8/10/2024$"))
    expect(row.locator(".col-source .cell-note")).to_contain_text("UBND huyện Sông Mây")
    page.screenshot(path=str(artifacts / "tasks.png"))

    action = rows[target]["action"]
    href = link.get_attribute("href")
    assert re.search(r"^#/van-ban/[^?]+\?doan=\d+-\d+&ma-doan=\d+$", href), href
    link.click()
    cited = page.locator("#cited")
    expect(cited).to_be_in_viewport()
    cited_text = " ".join(" ".join(page.locator("#doc-text mark.cited").all_inner_texts()).split())
    # The task's span: its line in the document (with the list dash, if any).
    assert cited_text.lstrip("-–+• ") == " ".join(action.split()), (cited_text, action)
    expect(page.locator("#back-link")).to_have_text("← Quay lại danh sách nhiệm vụ")
    expect(page.locator("#doc-title")).to_contain_text("236/TB-UBND")

    # Escape returns to the table, on the link that was opened.
    page.keyboard.press("Escape")
    _wait_view(page, "tasks")
    assert _hash_params(page.url).get("q") == "bão số 3"
    assert page.evaluate("document.activeElement.getAttribute('href')") == href


def test_tasks_unit_filter_and_due_date_narrow_rows(tab):
    tab.goto("#/nhiem-vu?q=" + quote("bão số 3"))
    page = tab.page
    _wait_view(page, "tasks")
    everyone = _task_rows(page)
    assert any(NN_UNIT not in r["unit"] for r in everyone)
    # The unit list comes from /api/assignees, with task counts.
    option = page.locator(f'#tasks-unit option[value="{NN_UNIT}"]')
    expect(option).to_have_text(re.compile(re.escape(NN_UNIT) + r" \(\d+\)$"))
    with page.expect_response(lambda r: "/api/tasks" in r.url and "assignee=" in r.url):
        page.locator("#tasks-unit").select_option(NN_UNIT)
    _wait_view(page, "tasks")
    assert _hash_params(page.url).get("don-vi") == NN_UNIT, page.url
    rows = _task_rows(page)
    assert rows and len(rows) < len(everyone), (len(rows), len(everyone))
    assert all(NN_UNIT in r["unit"] for r in rows), [r["unit"] for r in rows]
    expect(page.locator("#tasks-table tbody tr strong", has_text=NN_UNIT).first).to_be_visible()
    expect(page.locator("#tasks-status")).to_contain_text(f"giao cho {NN_UNIT}")

    with page.expect_response(lambda r: "/api/tasks" in r.url and "due_to=2024-09-30" in r.url):
        page.locator("#tasks-due").fill("2024-09-30")
    _wait_view(page, "tasks")
    assert _hash_params(page.url).get("han-truoc") == "2024-09-30"
    due_rows = _task_rows(page)
    assert due_rows and len(due_rows) < len(rows)
    assert all(NN_UNIT in r["unit"] for r in due_rows)
    assert all(r["due_attr"] is None or r["due_attr"][:7] <= "2024-09" for r in due_rows), due_rows
    assert all(r["due"] != "—" for r in due_rows)

    # Reloading the route restores the form.
    page.reload()
    _wait_view(page, "tasks")
    assert page.locator("#tasks-q").input_value() == "bão số 3"
    assert page.locator("#tasks-unit").input_value() == NN_UNIT
    assert page.locator("#tasks-due").input_value() == "2024-09-30"
    assert len(_task_rows(page)) == len(due_rows)


def test_recurring_view_shows_a_dated_timeline(tab, artifacts):
    tab.goto("#/ton-tai")
    page = tab.page
    page.locator("#recurring-q").fill(GPMB_SLOW)
    with page.expect_response(lambda r: "/api/shortcomings/recurring" in r.url):
        page.keyboard.press("Enter")
    _wait_view(page, "recurring")
    assert _hash_params(page.url).get("q") == GPMB_SLOW
    group = page.locator("#recurring-groups .recur-group").first
    expect(group).to_be_visible()
    meta = group.locator(".recur-meta").inner_text()
    m = re.match(r"^Nêu trong (\d+) văn bản, từ (\d{1,2})/(\d{1,2})/(\d{4})", meta)
    assert m and int(m.group(1)) >= 3, meta
    items = group.locator("ol.timeline > li")
    dates = group.locator("ol.timeline > li time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    assert len(dates) == items.count() >= 3, dates
    assert dates == sorted(dates), dates
    first = dates[0].split("-")
    assert (int(m.group(2)), int(m.group(3)), m.group(4)) == (int(first[2]), int(first[1]), first[0]), (meta, dates)
    docs = set(group.locator("ol.timeline a.tl-link").evaluate_all("els => els.map(e => e.dataset.doc)"))
    assert len(docs) >= 3, docs
    page.screenshot(path=str(artifacts / "recurring.png"), full_page=True)

    # An entry links to its document with that very sentence marked.
    entry = items.nth(1)
    sentence = " ".join(entry.locator(".tl-passage").inner_text().split())
    entry.locator("a.tl-link").click()
    expect(page.locator("#cited")).to_be_in_viewport()
    cited = " ".join(" ".join(page.locator("#doc-text mark.cited").all_inner_texts()).split())
    assert cited == sentence, (cited, sentence)
    expect(page.locator("#back-link")).to_have_text("← Quay lại tồn tại lặp lại")
    page.go_back()
    _wait_view(page, "recurring")
    expect(page.locator("#recurring-groups .recur-group").first).to_be_visible()


def test_recurring_entry_dated_by_meeting_is_marked(tab):
    """A document without an issue date sits on the timeline at its meeting date, said so."""
    page = tab.page

    def mark_event(route):
        response = route.fetch()
        body = response.json()
        occurrence = body["groups"][0]["occurrences"][-1]
        occurrence["date"] = "2024-09-24"
        occurrence["date_kind"] = "event"
        occurrence["citation"]["issued_date"] = None
        occurrence["citation"]["event_date"] = "2024-09-24"
        route.fulfill(response=response, json=body)

    page.route("**/api/shortcomings/recurring*", mark_event)
    tab.goto("#/ton-tai?q=" + quote(GPMB_SLOW))
    _wait_view(page, "recurring")
    last = page.locator("#recurring-groups .recur-group").first.locator("ol.timeline > li").last
    expect(last.locator(".tl-date")).to_have_text("24/9/2024 (ngày họp)")
    expect(page.locator("#recurring-groups .recur-meta").first).to_contain_text("đến 24/9/2024 (ngày họp)")


def test_similar_passages_from_results_and_from_the_document(tab):
    tab.goto(tab.search_hash("GPMB"))
    tab.wait_results()
    page = tab.page
    result = page.locator("#results .hit").first
    own = result.locator("a.passage-link").get_attribute("href")
    toggle = result.get_by_role("button", name="Tương tự")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    with page.expect_response(lambda r: re.search(r"/api/passages/\d+/similar", r.url) is not None):
        toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    links = result.locator(".similar a.similar-link")
    expect(links.first).to_be_visible()
    hrefs = [a.get_attribute("href") for a in links.all()]
    assert 1 <= len(hrefs) <= 5 and own not in hrefs, hrefs
    assert all(re.match(r"^#/van-ban/[^?]+\?doan=\d+-\d+&ma-doan=\d+$", h) for h in hrefs), hrefs
    assert result.locator(".similar .kind-label").count() == len(hrefs)
    toggle.click()
    expect(result.locator(".similar")).to_be_hidden()

    # The document view offers the same for its cited passage; a similar passage opens
    # its own document, and the back link still returns to the results.
    result.locator("a.passage-link").click()
    doc_toggle = page.locator("#cited-block").get_by_role("button", name="Đoạn tương tự")
    expect(doc_toggle).to_be_visible()
    doc_toggle.click()
    similar = page.locator("#cited-block .similar a.similar-link")
    expect(similar.first).to_be_visible()
    target = similar.first.get_attribute("href")
    similar.first.click()
    assert page.url.endswith(target), page.url
    expect(page.locator("#cited")).to_be_in_viewport()
    page.locator("#back-link").click()
    tab.wait_results()
    assert _hash_params(page.url).get("q") == "GPMB"
    assert page.evaluate("document.activeElement.getAttribute('href')") == own


def test_shortcoming_result_links_to_its_recurrences(tab):
    tab.goto(tab.search_hash(GPMB_SLOW, **{"loai-doan": "shortcoming"}))
    tab.wait_results()
    page = tab.page
    link = page.locator("#results .hit").first.get_by_role("link", name="Lặp lại ở văn bản nào?")
    with page.expect_response(lambda r: "/api/shortcomings/recurring" in r.url and "passage_id=" in r.url):
        link.click()
    _wait_view(page, "recurring")
    assert re.search(r"#/ton-tai\?ma-doan=\d+$", page.url), page.url
    expect(page.locator("#recurring-status")).to_contain_text("đoạn đã chọn")
    expect(page.locator("#recurring-groups .recur-group").first).to_be_visible()


def test_narrow_screen_tasks_and_recurring_views(browser, server, artifacts):
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="vi-VN", is_mobile=True, has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        t = Tab(page, server)
        t.goto("#/nhiem-vu?q=" + quote("bão số 3"))
        _wait_view(page, "tasks")
        assert len(_task_rows(page)) >= 10
        assert page.evaluate(NO_SCROLL), page.evaluate(WIDTHS)
        # Every cell fits the screen: rows are stacked, nothing is cut off on the right.
        right = page.locator("#tasks-table td").evaluate_all("els => Math.max(...els.map(e => e.getBoundingClientRect().right))")
        assert right <= 375, right
        page.screenshot(path=str(artifacts / "narrow-tasks.png"))

        t.goto("#/ton-tai?q=" + quote(GPMB_SLOW))
        _wait_view(page, "recurring")
        expect(page.locator("#recurring-groups .recur-group").first).to_be_visible()
        assert page.evaluate(NO_SCROLL), page.evaluate(WIDTHS)
        page.screenshot(path=str(artifacts / "narrow-recurring.png"), full_page=True)
    finally:
        context.close()
    assert not errors, errors


# ---------------------------------------------------------------- documents: grouping, badges, relations

CV_812 = "2024-09-cv-812-khac-phuc-hau-qua-bao-so-3.md"
QD_156 = "2024-01-qd-156-quy-che-cong-thong-tin-dien-tu.md"
TB_236 = "2024-10-tb-236-ket-luan-phien-hop-thang-9.docx"
HTML_TEXT = '<img src="x" onerror="alert(2)">'


def _doc_href(doc_id: str) -> str:
    return "#/van-ban/" + quote(doc_id, safe="")


def _cards(page) -> list[dict]:
    """The document cards as [{doc, head, hits, places, more, more_href}]."""
    return page.locator("#results > li.doc-result").evaluate_all(
        """cards => cards.map(c => ({
             doc: c.dataset.doc,
             head: c.querySelector('h3.citation a.result-link').getAttribute('href'),
             hits: c.querySelectorAll('.hit').length,
             places: [...c.querySelectorAll('.hit a.passage-link')].map(a => a.getAttribute('href')),
             more: c.querySelector('a.more-link') ? c.querySelector('a.more-link').innerText : null,
             more_href: c.querySelector('a.more-link') ? c.querySelector('a.more-link').getAttribute('href') : null,
           }))"""
    )


def test_results_by_document_one_card_per_document(tab, artifacts):
    tab.goto(tab.search_hash("bao so 3"))
    tab.wait_results()
    page = tab.page
    api = page.request.get(tab.base + "/api/search?q=bao+so+3&k=10&group=document").json()
    cards = _cards(page)
    # One card per document, in the API's order; the status line counts documents.
    assert [c["doc"] for c in cards] == [d["doc_id"] for d in api["documents"]], cards
    assert len({c["doc"] for c in cards}) == len(cards) == min(10, api["total"]) > 1
    expect(page.locator("#status")).to_contain_text(f"Tìm thấy {api['total']} văn bản")
    expect(page.locator("#group-document")).to_have_attribute("aria-current", "true")
    assert page.locator("#group-passage").get_attribute("aria-current") is None
    for card, doc in zip(cards, api["documents"]):
        # Its best passages, each linked into the document at that passage.
        assert card["hits"] == len(doc["passages"]) and 1 <= card["hits"] <= 3, card
        own = _doc_href(card["doc"])
        assert all(re.match(re.escape(own) + r"\?doan=\d+-\d+&ma-doan=\d+$", h) for h in card["places"]), card
        assert card["head"] == card["places"][0], card  # the title opens the document at its best passage
        # "N đoạn khác" for the passages not shown, linking to the document.
        if doc["more"]:
            assert card["more"] == f"{doc['more']} đoạn khác trong văn bản này", card
            assert card["more_href"] == own, card
        else:
            assert card["more"] is None, card
    assert any(c["more"] for c in cards), cards  # some notice has more passages than a card shows
    assert page.locator("#results .doc-result .hit mark").count() > 0
    page.screenshot(path=str(artifacts / "results-by-document.png"), full_page=True)

    more = page.locator("#results a.more-link").first
    doc = more.get_attribute("data-doc")
    more.click()
    expect(page.locator("#doc-content")).to_be_visible()
    assert page.url.endswith(_doc_href(doc)), page.url
    expect(page.locator("#doc-title")).to_be_focused()


def test_grouping_toggle_switches_and_is_kept_in_the_url(tab):
    tab.goto(tab.search_hash("bao so 3"))
    tab.wait_results()
    page = tab.page
    assert "theo" not in _hash_params(page.url)
    docs = tab.result_hrefs()
    with page.expect_response(lambda r: "/api/search" in r.url and "group=passage" in r.url):
        page.get_by_role("link", name="Theo đoạn").click()
    tab.wait_results()
    assert _hash_params(page.url).get("theo") == "doan", page.url
    expect(page.locator("#status")).to_contain_text(re.compile(r"Tìm thấy [\d.]+ đoạn \([\d.]+ ms\) — trang 1/\d+"))
    expect(page.locator("#group-passage")).to_have_attribute("aria-current", "true")
    assert page.locator("#results > li.doc-result").count() == 0
    assert page.locator("#results > li.result.hit").count() == 10
    # A passage cites its section as well as its document.
    assert all(" — mục " in c for c in tab.citations()[:3]), tab.citations()
    passages = tab.result_hrefs()

    # The grouping is the route's: a reload and a new query keep it, back returns to documents.
    page.reload()
    tab.wait_results()
    assert tab.result_hrefs() == passages
    page.locator("#q").fill("GPMB")
    with page.expect_response(lambda r: "/api/search" in r.url and "q=GPMB" in r.url and "group=passage" in r.url):
        page.keyboard.press("Enter")
    tab.wait_results()
    assert _hash_params(page.url) == {"q": "GPMB", "theo": "doan"}, page.url
    page.go_back()
    tab.wait_results()
    assert "theo" not in _hash_params(page.url)
    expect(page.locator("#status")).to_contain_text(re.compile(r"Tìm thấy [\d.]+ văn bản"))
    assert tab.result_hrefs() == docs

    page.goto(tab.base + "/" + tab.search_hash("bao so 3", theo="doan"))
    tab.wait_results()
    with page.expect_response(lambda r: "/api/search" in r.url and "group=document" in r.url):
        page.get_by_role("link", name="Theo văn bản").click()
    tab.wait_results()
    assert "theo" not in _hash_params(page.url)
    assert tab.result_hrefs() == docs


def test_number_query_marks_the_document_that_bears_it(tab, artifacts):
    page = tab.page
    for query in ("công văn 812", "812/UBND-NN"):
        tab.goto(tab.search_hash(query))
        tab.wait_results()
        first = page.locator("#results > li.doc-result").first
        expect(first).to_have_attribute("data-doc", CV_812)
        expect(first.locator(".badge-match")).to_have_text("Đúng số văn bản")
        expect(first.locator(".citation")).to_contain_text("812/UBND-NN")
        # Only the document that bears the number is marked.
        expect(page.locator("#results .badge-match")).to_have_count(1)
    page.screenshot(path=str(artifacts / "results-number.png"))
    page.get_by_role("link", name="Theo đoạn").click()
    tab.wait_results()
    first = page.locator("#results > li.result").first
    expect(first.locator("a.result-link")).to_have_attribute("data-doc", CV_812)
    expect(first.locator(".badge-match")).to_have_text("Đúng số văn bản")


def test_status_and_citing_badges(tab, artifacts):
    """What a later document did to a result, newest first, linked to it; and why a citing
    document came up. The samples have no such links: the answer is edited on its way."""
    page = tab.page

    def add_status(route):
        response = route.fetch()
        body = response.json()
        docs = body["documents"] if body.get("documents") is not None else body["results"]
        docs[0]["status"] = [
            {"status": "amended_by", "doc_id": QD_156, "number": "156/QĐ-UBND", "issued_date": "2024-01-10"},
            {"status": "replaced_by", "doc_id": TB_236, "number": HTML_TEXT, "issued_date": "2024-07-01"},
        ]
        docs[1]["match"] = "cites:amends"
        for p in docs[1].get("passages", []):
            p["match"] = "cites:amends"
        docs[2]["match"] = "cites:basis"
        route.fulfill(response=response, json=body)

    page.route("**/api/search*", add_status)
    tab.goto(tab.search_hash("bao so 3"))
    tab.wait_results()
    cards = page.locator("#results > li.result")
    statuses = cards.nth(0).locator("a.badge-status")
    expect(statuses).to_have_count(2)
    # Newest first; the number as text, however it is written.
    expect(statuses.nth(0)).to_have_text(f"Bị thay thế bởi {HTML_TEXT} ngày 1/7/2024")
    expect(statuses.nth(0)).to_have_attribute("href", _doc_href(TB_236))
    expect(statuses.nth(0)).to_have_class(re.compile(r"\bbadge-superseded\b"))
    expect(statuses.nth(1)).to_have_text("Được sửa đổi, bổ sung bởi 156/QĐ-UBND ngày 10/1/2024")
    expect(statuses.nth(1)).to_have_attribute("href", _doc_href(QD_156))
    assert page.locator("#results img").count() == 0
    expect(cards.nth(1).locator(".badge-cites")).to_have_text("Sửa đổi, bổ sung văn bản được tìm")
    expect(cards.nth(2).locator(".badge-cites")).to_have_text("Căn cứ văn bản được tìm")
    page.screenshot(path=str(artifacts / "results-status.png"))

    # The same badges by passage.
    page.get_by_role("link", name="Theo đoạn").click()
    tab.wait_results()
    expect(cards.nth(0).locator("a.badge-status").first).to_have_text(f"Bị thay thế bởi {HTML_TEXT} ngày 1/7/2024")
    expect(cards.nth(1).locator(".badge-cites")).to_have_text("Sửa đổi, bổ sung văn bản được tìm")
    page.get_by_role("link", name="Theo văn bản").click()
    tab.wait_results()

    statuses.nth(1).click()
    expect(page.locator("#doc-title")).to_contain_text("156/QĐ-UBND")
    assert tab.dialogs == []


def test_only_documents_in_force(tab):
    tab.goto(tab.search_hash("bao so 3"))
    tab.wait_results()
    page = tab.page
    everything = tab.result_hrefs()
    box = page.get_by_label("Chỉ văn bản còn hiệu lực")
    expect(box).not_to_be_checked()
    with page.expect_response(lambda r: "/api/search" in r.url and "status=current" in r.url):
        box.check()
    tab.wait_results()
    assert _hash_params(page.url).get("hieu-luc") == "con", page.url
    expect(box).to_be_checked()
    expect(page.locator("#filters summary")).to_contain_text("còn hiệu lực")
    # Nothing in the samples is replaced or repealed: the same documents.
    assert tab.result_hrefs() == everything
    # Kept by the switch to passages; a filter, so "Xóa bộ lọc" clears it.
    wanted = ("/api/search", "status=current", "group=passage")
    with page.expect_response(lambda r: all(w in r.url for w in wanted)):
        page.get_by_role("link", name="Theo đoạn").click()
    tab.wait_results()
    with page.expect_response(lambda r: "/api/search" in r.url and "status=" not in r.url):
        page.get_by_role("link", name="Xóa bộ lọc").click()
    tab.wait_results()
    assert _hash_params(page.url) == {"q": "bao so 3", "theo": "doan"}, page.url
    expect(box).not_to_be_checked()


def test_document_view_lists_related_documents(tab):
    """Over the samples as indexed: the section is there, and lists what the API gives."""
    page = tab.page
    tab.goto(_doc_href("2024-11-cv-1127-su-co-an-toan-thong-tin-cong-ttdt.txt"))
    expect(page.locator("#doc-content")).to_be_visible()
    api = page.request.get(tab.base + "/api/documents/2024-11-cv-1127-su-co-an-toan-thong-tin-cong-ttdt.txt/relations")
    assert api.ok
    found = api.json()
    section = page.locator("#doc-relations")
    expect(section.locator("h3")).to_have_text("Văn bản liên quan")
    if not found["outgoing"] and not found["incoming"]:
        expect(section.locator(".rel-empty")).to_have_text("Chưa ghi nhận văn bản liên quan trong kho.")
    else:
        expect(section.locator(".rel-item").first).to_be_visible()
        for target in {link["target"] for link in found["outgoing"] if link["target"]}:
            assert section.locator(f'a.rel-link[href="{_doc_href(target)}"]').count() == 1, target
    if not found["status"]:
        expect(page.locator("#doc-status")).to_be_hidden()


def test_document_view_relations_both_ways_and_status(tab, artifacts):
    """Links of every kind and state, sent in place of the samples' (which have none yet)."""
    page = tab.page
    text = page.request.get(tab.base + "/api/documents/" + quote(QD_156, safe="")).json()["text"]
    replaced = "Quyết định số 1240/QĐ-UBND ngày 15/8/2019"
    start = text.index(replaced)
    basis = "Nghị định số 85/2016/NĐ-CP ngày 01 tháng 7 năm 2016"

    def link(relation, target, number, written, span=None, source=QD_156, source_number=None, source_date=None):
        return {"source": source, "source_number": source_number, "source_date": source_date, "target": target,
                "number": number, "relation": relation, "doc_type": None, "date": None, "issuer": None,
                "text": written, "char_span": span}

    body = {
        "doc_id": QD_156,
        "outgoing": [
            link("basis", None, "85/2016/NĐ-CP", basis),
            link("replaces", None, "1240/QĐ-UBND", replaced, [start, start + len(replaced)]),
            link("basis", None, "85/2016/NĐ-CP", basis),  # named twice, listed once
            link("amends", TB_236, "236/TB-UBND", "Thông báo số 236/TB-UBND " + HTML_TEXT),
        ],
        "incoming": [
            link("cites", QD_156, "156/QĐ-UBND", "Quyết định số 156/QĐ-UBND ngày 10/01/2024", [100, 140],
                 source="2024-11-cv-1127-su-co-an-toan-thong-tin-cong-ttdt.txt"),
            link("amends", QD_156, "156/QĐ-UBND", "Quyết định số 156/QĐ-UBND", [50, 80], source=CV_812,
                 source_number="812/UBND-NN", source_date="2024-09-11"),
        ],
        "status": [{"status": "amended_by", "doc_id": CV_812, "number": "812/UBND-NN", "issued_date": "2024-09-11"}],
    }
    page.route(re.compile(r".*/api/documents/[^/]+/relations$"), lambda route: route.fulfill(json=body))
    tab.goto(_doc_href(QD_156))
    expect(page.locator("#doc-content")).to_be_visible()
    section = page.locator("#doc-relations")
    expect(section.locator(".rel-group").first).to_be_visible()
    titles = section.locator(".rel-title").evaluate_all("els => els.map(e => e.textContent)")
    assert titles == ["Văn bản này sửa đổi, bổ sung", "Văn bản này thay thế", "Văn bản này căn cứ",
                      "Được sửa đổi, bổ sung bởi", "Được dẫn chiếu bởi"], titles
    groups = {(g["direction"], g["relation"]): g for g in section.locator(".rel-group").evaluate_all(
        """gs => gs.map(g => ({direction: g.dataset.direction, relation: g.dataset.relation,
                               items: [...g.querySelectorAll('.rel-item')].map(i => i.textContent),
                               links: [...g.querySelectorAll('a.rel-link')].map(a => a.getAttribute('href'))}))"""
    )}
    # Resolved: linked to the target, its text as text (no element made of it).
    assert groups[("out", "amends")]["links"] == [_doc_href(TB_236)]
    assert groups[("out", "amends")]["items"] == [f"Thông báo số 236/TB-UBND {HTML_TEXT}"]
    assert section.locator("img").count() == 0
    # Not in the archive: said so, not linked; where the document says it, linked.
    assert groups[("out", "replaces")]["links"] == []
    assert groups[("out", "replaces")]["items"] == [f"{replaced} chưa có trong kho (chỗ dẫn)"]
    assert groups[("out", "basis")]["items"] == [f"{basis} chưa có trong kho"]
    # Incoming: the citing document opened where it cites this one; named by its number when known.
    assert groups[("in", "amends")]["links"] == [_doc_href(CV_812) + "?doan=50-80"]
    assert groups[("in", "amends")]["items"] == ["Văn bản số 812/UBND-NN ngày 11/9/2024 — “Quyết định số 156/QĐ-UBND”"]
    assert groups[("in", "cites")]["links"] == [
        _doc_href("2024-11-cv-1127-su-co-an-toan-thong-tin-cong-ttdt.txt") + "?doan=100-140"
    ]
    # without a number, the citing document is named by its id
    assert groups[("in", "cites")]["items"][0].startswith("2024-11-cv-1127-su-co-an-toan-thong-tin-cong-ttdt.txt — ")
    # The status at the top of the view, linked to the later document.
    status = page.locator("#doc-status a.badge-status")
    expect(status).to_have_count(1)
    expect(status).to_have_text("Được sửa đổi, bổ sung bởi 812/UBND-NN ngày 11/9/2024")
    expect(status).to_have_attribute("href", _doc_href(CV_812))
    section.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "document-relations.png"))

    # "(chỗ dẫn)" marks the reference in this document's text.
    section.get_by_role("link", name="(chỗ dẫn)").click()
    expect(page.locator("#cited")).to_be_in_viewport()
    cited = " ".join(page.locator("#doc-text mark.cited").all_inner_texts())
    assert " ".join(cited.split()) == replaced, cited
    # A resolved link opens its document.
    page.locator("#doc-relations a.rel-link", has_text="236/TB-UBND").click()
    expect(page.locator("#doc-title")).to_contain_text("236/TB-UBND")

    # On a phone the section fits the screen.
    page.set_viewport_size({"width": 375, "height": 740})
    tab.goto(_doc_href(QD_156))
    expect(page.locator("#doc-relations .rel-group").first).to_be_visible()
    assert page.evaluate(NO_SCROLL), page.evaluate(WIDTHS)
    page.locator("#doc-relations").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "narrow-document-relations.png"))
    assert tab.dialogs == []


# ---------------------------------------------------------------- signing in: who may read what

RESTRICTED_GROUP = "thanh-tra"
RESTRICTED_FILE = "2024-06-kl-19-thanh-tra-nha-van-hoa-phieng-lum.txt"
# Words only the restricted document contains (a place made up for this test).
SECRET_WORDS = "Phiêng Lúm"
SECRET_QUERY = "kết luận thanh tra nhà văn hóa Phiêng Lúm"
# A fictional inspection finding, for the inspectorate only.
RESTRICTED_TEXT = """<!-- Văn bản hư cấu, chỉ dùng trong kiểm thử: thôn Phiêng Lúm, huyện Sông Mây không có thật. -->

THANH TRA HUYỆN SÔNG MÂY

CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc

Số: 19/KL-TTr

Sông Mây, ngày 20 tháng 6 năm 2024

KẾT LUẬN THANH TRA

Về việc quản lý, sử dụng kinh phí xây dựng nhà văn hóa thôn Phiêng Lúm, xã Khe Mơ

Thực hiện Quyết định số 42/QĐ-TTr ngày 06/5/2024 của Chánh Thanh tra huyện, Đoàn thanh tra đã thanh tra việc \
quản lý, sử dụng kinh phí xây dựng nhà văn hóa thôn Phiêng Lúm từ ngày 13/5/2024 đến ngày 07/6/2024. Chánh Thanh \
tra huyện kết luận như sau:

I. KẾT QUẢ THANH TRA

1. Hồ sơ dự toán công trình nhà văn hóa thôn Phiêng Lúm lập chưa đúng định mức; khối lượng nghiệm thu vượt thực \
tế 126 triệu đồng.

2. Ban quản lý công trình chưa công khai kinh phí đóng góp của nhân dân thôn Phiêng Lúm theo quy định.

II. KIẾN NGHỊ

1. Yêu cầu UBND xã Khe Mơ thu hồi 126 triệu đồng nộp ngân sách nhà nước trước ngày 31/7/2024.

2. Yêu cầu Ban quản lý công trình công khai kinh phí đóng góp của nhân dân trước ngày 15/7/2024.

Nơi nhận:
- Chủ tịch UBND huyện;
- Lưu: TTr.

CHÁNH THANH TRA
Lò Văn Khiêm
"""
LAN, LAN_PASSWORD = "lan", "lan-doc-ket-luan-2024"
MINH, MINH_PASSWORD = "minh", "minh-doc-ket-luan-2024"


class AccessServer:
    """A server whose index holds the samples (public) and one document of the inspectorate."""

    def __init__(self, base: str, data_dir: Path, env: dict[str, str]):
        self.base = base
        self.data_dir = data_dir
        self.env = env

    def vanban(self, *args: str, stdin: str | None = None) -> str:
        """Run the CLI over this server's data directory; its output."""
        run = subprocess.run(cli(*args, "--data-dir", str(self.data_dir)), cwd=REPO, env=self.env, input=stdin,
                             capture_output=True, text=True, timeout=900)
        assert run.returncode == 0, f"vanban {' '.join(args)} failed ({run.returncode}):\n{run.stderr[-3000:]}"
        return run.stdout


@pytest.fixture(scope="module")
def access_server(tmp_path_factory):
    """The samples and a restricted document indexed, users made, all through the CLI as an
    administrator would; then ``vanban serve`` over it."""
    work = tmp_path_factory.mktemp("browser-access")
    data_dir = work / "data"
    restricted = work / "thanh-tra"
    restricted.mkdir()
    (restricted / RESTRICTED_FILE).write_text(RESTRICTED_TEXT, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    env.pop("VANBAN_ADMIN_TOKEN", None)
    env.pop("VANBAN_ANONYMOUS", None)
    admin = AccessServer("", data_dir, env)
    admin.vanban("index", str(SAMPLES.relative_to(REPO)))
    admin.vanban("index", str(restricted), "--access", RESTRICTED_GROUP)
    for name, password in ((LAN, LAN_PASSWORD), (MINH, MINH_PASSWORD)):
        admin.vanban("users", "add", name, "--groups", RESTRICTED_GROUP)
        admin.vanban("users", "password", name, stdin=password + "\n")
    try:
        with served(data_dir, work / "server.log", env=env, start_timeout_s=HEALTH_TIMEOUT_S) as (base, _proc):
            yield AccessServer(base, data_dir, env)
    except ServerError as exc:
        pytest.fail(str(exc), pytrace=False)


class Reader(Tab):
    """A browser tab of its own (its own cookies), and what it sent and logged: requests'
    URLs and bodies, console lines."""

    def __init__(self, context, base: str):
        super().__init__(context.new_page(), base)
        self.context = context
        self.page.set_default_timeout(30_000)
        self.requests: list[tuple[str, str, str]] = []
        self.console: list[str] = []
        self.page.on("request", lambda r: self.requests.append((r.method, r.url, r.post_data or "")))
        self.page.on("console", lambda m: self.console.append(m.text))

    def session_cookie(self) -> dict | None:
        return next((c for c in self.context.cookies() if c["name"] == "vanban_session"), None)

    def sign_in(self, name: str, password: str) -> None:
        page = self.page
        if page.locator("#sign-in-form").is_hidden():
            page.locator("#sign-in-open").click()
        expect(page.locator("#sign-in-form")).to_be_visible()
        page.locator("#sign-in-name").fill(name)
        page.locator("#sign-in-password").fill(password)
        page.locator("#sign-in-password").press("Enter")

    def result_docs(self) -> list[str]:
        return self.page.locator("#results a.result-link").evaluate_all("as => as.map(a => a.dataset.doc)")

    def result_texts(self) -> str:
        return " ".join(self.page.locator("#results li.result").all_inner_texts())


@pytest.fixture
def reader(browser, access_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    r = Reader(context, access_server.base)
    yield r
    context.close()
    assert not r.errors, f"uncaught errors in the page: {r.errors}"
    assert not r.dialogs, f"the page opened dialogs: {r.dialogs}"


def _restricted_doc_href() -> str:
    return "#/van-ban/" + quote(RESTRICTED_FILE, safe="")


def test_sign_in_finds_restricted_document_and_sign_out_hides_it(reader, artifacts):
    page = reader.page
    reader.goto(reader.search_hash(SECRET_QUERY))
    reader.wait_results()
    # Anonymous: public documents only; nothing of the inspectorate's finding.
    assert RESTRICTED_FILE not in reader.result_docs()
    assert SECRET_WORDS not in reader.result_texts()
    expect(page.locator("#sign-in-open")).to_be_visible()
    expect(page.locator("#session-user")).to_be_hidden()
    expect(page.locator("#sign-in-form")).to_be_hidden()

    page.locator("#sign-in-open").click()
    expect(page.locator("#sign-in-form")).to_be_visible()
    expect(page.locator("#sign-in-title")).to_have_text("Đăng nhập")
    expect(page.get_by_label("Tên đăng nhập")).to_be_focused()
    expect(page.get_by_label("Mật khẩu")).to_have_attribute("type", "password")
    reader.sign_in(LAN, LAN_PASSWORD)

    # Signed in: who is reading, and the same search asked again finds the restricted document.
    expect(page.locator("#session-who")).to_have_text(f"Đang đăng nhập: {LAN} (nhóm: {RESTRICTED_GROUP})")
    expect(page.locator("#sign-out")).to_have_text("Đăng xuất")
    expect(page.locator("#sign-in-form")).to_be_hidden()
    expect(page.locator("#sign-in-open")).to_be_hidden()
    restricted_link = page.locator(f'#results a.result-link[data-doc="{RESTRICTED_FILE}"]')
    expect(restricted_link).to_be_visible()
    _wait_until(page, "!document.body.classList.contains('is-busy')")
    assert SECRET_WORDS in reader.result_texts()
    page.screenshot(path=str(artifacts / "signed-in.png"))

    # The session cookie: HttpOnly (no script reads it), SameSite=Strict, with an expiry.
    cookie = reader.session_cookie()
    assert cookie is not None
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict", cookie
    assert time.time() < cookie["expires"] <= time.time() + 12 * 3600 + 60, cookie
    assert "vanban_session" not in page.evaluate("document.cookie")
    # The password went once, as JSON in the body of a POST, and nowhere else.
    posts = [(m, u, body) for m, u, body in reader.requests if m == "POST"]
    assert [(m, urlsplit(u).path) for m, u, _ in posts] == [("POST", "/api/session")], posts
    assert '"password"' in posts[0][2] and LAN_PASSWORD in posts[0][2]
    assert not any(LAN_PASSWORD in u for _, u, _ in reader.requests)
    assert not any(LAN_PASSWORD in line for line in reader.console)
    stored = page.evaluate("JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])")
    assert LAN_PASSWORD not in stored and LAN_PASSWORD not in page.url
    assert page.locator("#sign-in-password").input_value() == ""

    # It opens.
    restricted_link.click()
    expect(page.locator("#doc-content")).to_be_visible()
    expect(page.locator("#doc-title")).to_contain_text("19/KL-TTr")
    expect(page.locator("#doc-text")).to_contain_text(SECRET_WORDS)

    # Signed out on the document: it is gone, as if it did not exist, and nothing of it stays on the page.
    page.locator("#sign-out").click()
    expect(page.locator("#sign-in-open")).to_be_visible()
    expect(page.locator("#session-user")).to_be_hidden()
    expect(page.locator("#doc-error")).to_be_visible()
    expect(page.locator("#doc-error")).to_contain_text("Không có văn bản")
    expect(page.locator("#doc-content")).to_be_hidden()
    assert SECRET_WORDS not in page.locator("main").text_content()
    assert reader.session_cookie() is None

    reader.goto(reader.search_hash(SECRET_QUERY))
    reader.wait_results()
    assert RESTRICTED_FILE not in reader.result_docs()
    assert SECRET_WORDS not in reader.result_texts()
    # Its address, opened directly: the "not found" view.
    reader.goto(_restricted_doc_href())
    expect(page.locator("#doc-error")).to_contain_text("Không có văn bản")
    expect(page.locator("#doc-content")).to_be_hidden()


def test_sign_in_on_a_document_not_found_opens_it(reader):
    page = reader.page
    reader.goto(_restricted_doc_href())
    expect(page.locator("#doc-error")).to_contain_text("Không có văn bản")
    reader.sign_in(LAN, LAN_PASSWORD)
    expect(page.locator("#doc-content")).to_be_visible()
    expect(page.locator("#doc-error")).to_be_hidden()
    expect(page.locator("#doc-text")).to_contain_text(SECRET_WORDS)


def test_wrong_password_is_refused_with_a_message(reader, artifacts):
    page = reader.page
    reader.goto()
    reader.sign_in(LAN, "khong-phai-mat-khau")
    expect(page.locator("#session-message")).to_have_text("Tên đăng nhập hoặc mật khẩu không đúng")
    expect(page.locator("#sign-in-form")).to_be_visible()
    expect(page.locator("#session-user")).to_be_hidden()
    expect(page.locator("#sign-in-password")).to_have_value("")
    expect(page.locator("#sign-in-password")).to_be_focused()
    assert reader.session_cookie() is None
    # Empty fields are not sent.
    page.locator("#sign-in-name").fill("")
    page.locator("#sign-in-submit").click()
    expect(page.locator("#session-message")).to_have_text("Nhập tên đăng nhập và mật khẩu.")
    assert sum(1 for m, _, _ in reader.requests if m == "POST") == 1
    page.screenshot(path=str(artifacts / "sign-in-error.png"))
    # On a phone the open form fits the screen.
    page.set_viewport_size({"width": 375, "height": 740})
    assert page.evaluate(NO_SCROLL), page.evaluate(WIDTHS)
    page.screenshot(path=str(artifacts / "narrow-sign-in.png"))


def test_too_many_attempts_shows_the_wait(reader):
    """429 from the server's throttle (answered here by the test: five real failures would hold
    back this address for every other test)."""
    page = reader.page
    error = {"error": {"code": "too_many_attempts", "message": "Đăng nhập sai quá nhiều lần; thử lại sau 120 giây"}}

    def throttled(route):
        if route.request.method == "POST":
            route.fulfill(status=429, json=error, headers={"Retry-After": "120"})
        else:
            route.continue_()

    page.route(re.compile(r".*/api/session$"), throttled)
    reader.goto()
    reader.sign_in(LAN, LAN_PASSWORD)
    expect(page.locator("#session-message")).to_have_text("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 2 phút.")
    expect(page.locator("#sign-in-submit")).to_be_disabled()
    expect(page.locator("#session-user")).to_be_hidden()


def test_session_ended_on_the_server_says_so_and_goes_on_anonymously(reader, access_server):
    page = reader.page
    reader.goto(reader.search_hash(SECRET_QUERY))
    reader.wait_results()
    reader.sign_in(MINH, MINH_PASSWORD)
    expect(page.locator("#session-who")).to_contain_text(f"Đang đăng nhập: {MINH}")
    expect(page.locator(f'#results a.result-link[data-doc="{RESTRICTED_FILE}"]')).to_be_visible()

    # The administrator removes her while she is signed in; her next search finds the session over.
    access_server.vanban("users", "remove", MINH)
    page.locator("#q").fill("bao so 3")
    page.locator("#q").press("Enter")
    expect(page.locator("#session-message")).to_contain_text("Phiên đăng nhập đã hết hạn")
    expect(page.locator("#sign-in-form")).to_be_visible()
    expect(page.locator("#session-user")).to_be_hidden()
    # The page goes on as an anonymous reader: public results, the error gone, the cookie dropped.
    _wait_until(page, "document.title === 'bao so 3 — vanban' && !document.body.classList.contains('is-busy')"
                      " && document.querySelectorAll('#results a.result-link').length > 0")
    expect(page.locator("#error")).to_be_hidden()
    assert RESTRICTED_FILE not in reader.result_docs()
    assert reader.session_cookie() is None
    reader.goto(reader.search_hash(SECRET_QUERY))
    reader.wait_results()
    assert RESTRICTED_FILE not in reader.result_docs()


def test_cookie_dropped_by_the_browser_is_noticed(reader):
    """The browser drops the cookie when its Max-Age runs out, telling the page nothing: coming
    back to the tab, the page asks who reads, says the session is over and reloads the view."""
    page = reader.page
    reader.goto(reader.search_hash(SECRET_QUERY))
    reader.wait_results()
    reader.sign_in(LAN, LAN_PASSWORD)
    expect(page.locator(f'#results a.result-link[data-doc="{RESTRICTED_FILE}"]')).to_be_visible()
    reader.context.clear_cookies()
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(page.locator("#session-message")).to_contain_text("Phiên đăng nhập đã kết thúc")
    expect(page.locator("#session-user")).to_be_hidden()
    expect(page.locator(f'#results a.result-link[data-doc="{RESTRICTED_FILE}"]')).to_have_count(0)
    reader.wait_results()
    assert SECRET_WORDS not in reader.result_texts()


def test_anonymous_refused_asks_to_sign_in(browser, access_server, tmp_path):
    """VANBAN_ANONYMOUS=none: the page says that one must sign in, never a blank page; signing
    in shows the results."""
    env = dict(access_server.env, VANBAN_ANONYMOUS="none")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    try:
        with served(access_server.data_dir, tmp_path / "server.log", env=env, start_timeout_s=HEALTH_TIMEOUT_S) as (
            base,
            _proc,
        ):
            r = Reader(context, base)
            page = r.page
            r.goto(r.search_hash(SECRET_QUERY))
            expect(page.locator("#error")).to_contain_text("Cần đăng nhập để xem nội dung này")
            expect(page.locator("#session-message")).to_have_text("Cần đăng nhập để xem nội dung này")
            expect(page.locator("#sign-in-form")).to_be_visible()
            r.sign_in(LAN, LAN_PASSWORD)
            expect(page.locator("#session-who")).to_contain_text(f"Đang đăng nhập: {LAN}")
            expect(page.locator(f'#results a.result-link[data-doc="{RESTRICTED_FILE}"]')).to_be_visible()
            expect(page.locator("#error")).to_be_hidden()
            expect(page.locator("#session-message")).to_be_hidden()
            assert not r.errors and not r.dialogs, (r.errors, r.dialogs)
    except ServerError as exc:
        pytest.fail(str(exc), pytrace=False)
    finally:
        context.close()
