"""The web platform in a real browser: Debian's Chromium driven by Playwright against a real `resonance space
serve` process over a seeded registry. Screenshots of every page go to ``tests/web/artifacts/`` (git-ignored).

Never downloads a browser: Chromium is ``/usr/bin/chromium`` (``make test`` installs it with apt-get).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect, sync_playwright
from webworld import World, add_round

from _server import running_space
from resonance.registry.db import make_engine, make_sessionmaker, transaction

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).parent / "artifacts"
TIMEOUT_MS = 60_000  # generous: plotly.js (4.8 MB) takes seconds to parse on a loaded machine
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def server(seeded_url: tuple[str, World]) -> Iterator[str]:
    url, _ = seeded_url
    # the space home of this test run: it holds the key that signed the seeded ledger events
    with running_space(url, Path(os.environ["RESONANCE_HOME"]), timeout=240) as base:  # a busy machine starts slowly
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():  # fail loudly, as for PostgreSQL: the web platform must be tested in a browser
        pytest.fail(f"Chromium is not at {CHROMIUM}: `apt-get install chromium` (make test does)", pytrace=False)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def context(browser: Browser, server: str) -> Iterator[BrowserContext]:
    """One browser context for the module, as one user's browser: its cache keeps plotly.js between pages."""
    opened = browser.new_context(base_url=server, accept_downloads=True, locale="zh-CN")
    opened.set_default_timeout(TIMEOUT_MS)
    yield opened
    opened.close()


@pytest.fixture
def page(context: BrowserContext, server: str) -> Iterator[Any]:
    """A new tab with no cookies; every console error and uncaught page error is collected in ``page.errors``.

    Chromium logs a page answered with an error status (a refused login is 401, an unknown id 404) as a
    console error; those pages are expected where a test lists their address in ``page.expected_status``.
    """
    context.clear_cookies()
    tab = context.new_page()
    errors: list[str] = []
    expected: set[str] = set()

    def on_console(message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        if message.text.startswith("Failed to load resource") and url.removeprefix(server) in expected:
            return
        errors.append(f"console: {message.text} at {url or tab.url}")

    tab.on("console", on_console)
    tab.on("pageerror", lambda exc: errors.append(f"page error: {exc} at {tab.url}"))
    tab.errors = errors  # type: ignore[attr-defined]
    tab.expected_status = expected  # type: ignore[attr-defined]
    yield tab
    tab.close()


def login(page: Page, token: str) -> None:
    page.goto("/web/")  # without a token: to the login page, and back after it
    expect(page.locator("h1")).to_have_text("登录")
    page.get_by_label("API 令牌").fill(token)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("h1")).to_have_text("总览")


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_login_visit_every_page_with_no_console_errors(page: Any, seeded_url: tuple[str, World]) -> None:
    _, world = seeded_url
    page.expected_status.update({"/web/login", "/web/datasets/nope"})
    page.goto("/web/login")
    page.get_by_label("API 令牌").fill("rs_nothing_here")
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#login-error")).to_contain_text("no API token matches")
    shot(page, "00-login-refused")
    login(page, world.tokens["operator"])
    pages = {
        "01-overview": ("/web/", "总览"),
        "02-industries": ("/web/industries", "重点行业"),
        "03-industry-steel": ("/web/industries/steel", "钢铁"),
        "04-datasets": ("/web/datasets", "数据集目录"),
        "05-dataset-ai4i-l": ("/web/datasets/ai4i-l", "铣削加工过程故障数据集（L型产品）"),
        "06-scenarios": ("/web/scenarios", "场景档案"),
        "07-scenario": ("/web/scenarios/JS-MT-01", "数控机床刀具磨损预测与换刀决策"),
        "08-models": ("/web/models", "模型"),
        "09-model": ("/web/models/mt-failure", "工业母机故障预测行业模型"),
        "10-leaderboards": ("/web/leaderboards", "评测榜单"),
        "10b-flywheel": ("/web/flywheel", "数据飞轮"),
        "11-jobs": ("/web/jobs", "训练任务"),
        "12-job": (f"/web/jobs/{world.job_id}", f"任务 {world.job_id}: mt-failure federated"),
        "13-contracts": ("/web/contracts", "数字合约"),
        "14-contract": (f"/web/contracts/{world.contract_ids['mill']}", f"合约 {world.contract_ids['mill']} FINALIZED"),
        "15-ledger": ("/web/ledger", "存证账本"),
        "16-reports": ("/web/reports", "报告"),
        "17-conformance": ("/web/conformance", "TC609-6-2025-01《可信数据空间 技术架构》功能对照表"),
        "18-not-found": ("/web/datasets/nope", "未找到 (404)"),
    }
    for name, (path, heading) in pages.items():
        page.goto(path)
        expect(page.locator("h1")).to_have_text(heading)
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        if path in ("/web/datasets/ai4i-l", "/web/models/mt-failure", f"/web/jobs/{world.job_id}"):
            expect(page.locator(".plotly-chart .main-svg").first).to_be_visible()  # plotly.js drew it
        if path == "/web/ledger":
            expect(page.locator("#verify-status")).to_contain_text("账本完整")
        shot(page, name)
    assert page.errors == []


def test_search_finds_the_steel_dataset_and_language_switches(page: Any, seeded_url: tuple[str, World]) -> None:
    _, world = seeded_url
    login(page, world.tokens["viewer"])
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="数据集目录").click()
    page.get_by_label("关键词（中文或英文）").fill("轧钢")
    expect(page.locator("#result-count")).to_have_text("共 1 条")  # htmx swapped the results in
    link = page.get_by_role("link", name="热轧带钢表面缺陷图谱数据集")
    expect(link).to_be_visible()
    assert "q=%E8%BD%A7%E9%92%A2" in page.url  # the search is in the address (hx-push-url)
    shot(page, "20-search-zhagang")
    link.click()
    expect(page.locator("h1")).to_have_text("热轧带钢表面缺陷图谱数据集")
    page.locator("#lang-switch").click()
    expect(page.locator("h1")).to_have_text("Hot-rolled strip surface-defect dataset")
    assert page.locator("html").get_attribute("lang") == "en"
    nav = page.get_by_role("navigation", name="Main navigation")
    nav.get_by_role("link", name="Dataset catalog").click()
    expect(page.locator("h1")).to_have_text("Dataset catalog")  # remembered across pages
    shot(page, "21-catalog-en")
    expect(nav.get_by_role("link", name="Contracts")).to_have_count(0)  # a viewer is not shown them
    assert page.errors == []


def test_a_running_job_advances_on_its_page(page: Any, seeded_url: tuple[str, World]) -> None:
    url, world = seeded_url
    login(page, world.tokens["developer"])
    page.goto(f"/web/jobs/{world.job_id}")
    done = page.locator("#rounds-done")
    start = int(done.inner_text())
    engine = make_engine(url)
    try:
        for n in (start + 1, start + 2):
            with transaction(make_sessionmaker(engine)) as session:
                add_round(session, world.job_id, n)
            expect(done).to_have_text(str(n))  # the page polls its progress partial
            expect(page.locator("#job-progress [role=progressbar]")).to_have_attribute("aria-valuenow", str(n))
    finally:
        engine.dispose()
    expect(page.locator("#job-progress .plotly-chart .main-svg").first).to_be_visible()
    shot(page, "22-job-advanced")
    assert page.errors == []


def test_keyboard_skip_link_and_labelled_controls(page: Any, seeded_url: tuple[str, World]) -> None:
    _, world = seeded_url
    login(page, world.tokens["operator"])
    page.goto("/web/reports")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
              .filter(el => !el.labels || el.labels.length === 0).map(el => el.id || el.name)"""
    )
    assert unlabelled == []
    assert page.errors == []


def test_download_a_report(page: Any, seeded_url: tuple[str, World]) -> None:
    _, world = seeded_url
    login(page, world.tokens["authority"])
    page.goto("/web/reports")
    page.get_by_label("报告类型").select_option("plan")
    page.get_by_label("文件格式").select_option("docx")
    with page.expect_download() as info:
        page.get_by_role("button", name="下载").click()
    download = info.value
    assert download.suggested_filename == "jiangsu-plan-zh.docx"
    path = download.path()
    assert path is not None and Path(path).read_bytes()[:2] == b"PK"  # a DOCX is a zip
    assert page.errors == []
