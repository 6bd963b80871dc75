"""The review app in a real browser: ``streamlit run app.py`` on a free loopback port, driven by Playwright through
Debian's Chromium. A visitor gets the sign-in page and signs in through its form (the accounts are made in the
database before the server starts); then every page opens without a Python exception (a screenshot of each is kept
under ``test-artifacts/screenshots/``), 「播放」 moves the audio element to the finding, a verdict saved in the page
reaches the database's trail under the signed-in reviewer, and a team lead's link to another team's call is
refused. A reload keeps the user signed in until they sign out; five failures make sign-in wait and an admin sees them;
pages show no code names; and running the app leaves the checkout as it was (issue 14)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from audit import accounts
from audit.reviewapp.call_view import clock, player_start
from audit.storage import Store
from conftest import REPO

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]
PAGES = [("", "总览"),  # the default page lives at the root, not at /overview
         ("queue", "复核队列"), ("call?call_id=c04_violence_threat", "通话详情"), ("agents", "坐席"),
         ("batch", "批量质检"), ("rules", "规则库"), ("export", "导出"), ("users", "用户"), ("accuracy", "规则准确率")]
PASSWORD = "a long password"
PHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
         "Version/17.0 Mobile/15E148 Safari/604.1")
USERS = {"li": ("reviewer", None, "质检-浏览器"), "zhao": ("team_lead", "一组", "组长-赵"), "root": ("admin", None, "合规-张"),
         "qian": ("team_lead", "一组", "组长-钱")}  # qian: a lead whose sign-in no test makes wait

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (scripts/system-packages.sh)")


def git_status() -> str:
    return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=REPO, capture_output=True,
                          text=True, check=True).stdout


@pytest.fixture(scope="module")
def checkout_before() -> str:
    return git_status()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(seeded_db, tmp_path_factory, checkout_before):
    """The app served by `streamlit run` against a copy of the seeded database; yields (base URL, database)."""
    folder = tmp_path_factory.mktemp("browser")
    db = folder / "audit.db"
    shutil.copy(seeded_db, db)
    store = Store(db)
    for username, (role, team, name) in USERS.items():
        accounts.create_account(store, username, PASSWORD, role, team, name)
    store.engine.dispose()
    port = free_port()
    # the app's data goes where it goes by default (no AUDIT_DATA_DIR), under a private XDG data home
    env = {**os.environ, "AUDIT_DB": str(db), "XDG_DATA_HOME": str(folder / "xdg")}
    env.pop("AUDIT_DATA_DIR", None)
    env.pop("AUDIT_DB_URL", None)
    env.pop("AUDIT_SESSION_SECRET", None)
    log = open(folder / "streamlit.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.read().strip() == b"ok":
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("streamlit did not start:\n" + (folder / "streamlit.log").read_text(errors="replace"))
        time.sleep(0.3)
    yield url, db
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    yield context.new_page()
    context.close()


def open_and_settle(page, url: str, title: str) -> None:
    """Load a page and wait until Streamlit has drawn it and finished running the script."""
    page.goto(url)
    page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=60_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    page.wait_for_timeout(800)  # charts and tables draw after the script has finished


def assert_no_exception(page) -> None:
    shown = page.locator('[data-testid="stException"]')
    assert shown.count() == 0, shown.first.inner_text()


def fill_sign_in(page, username: str, password: str) -> None:
    page.get_by_role("textbox", name="用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录", exact=True).click()


def sign_in_and_open(page, url: str, path: str, title: str, username: str = "root") -> None:
    """Open a page's URL as a new visitor: the sign-in page stands in for it; signing in through the form opens it."""
    open_and_settle(page, f"{url}/{path}", "登录")
    fill_sign_in(page, username, PASSWORD)
    page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=60_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    page.wait_for_timeout(800)


def test_a_visitor_gets_only_the_sign_in_page_and_a_wrong_password_is_refused(server, page):
    url, _ = server
    open_and_settle(page, f"{url}/call?call_id=c04_violence_threat", "登录")
    assert_no_exception(page)
    assert page.locator('[data-testid="stDataFrame"], [data-testid="stMetric"], audio').count() == 0
    assert page.get_by_text("刘洋").count() == 0 and page.get_by_role("heading", name="通话详情").count() == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "sign_in.png"), full_page=True)
    fill_sign_in(page, "root", "not the password")
    page.get_by_text("登录失败").first.wait_for(timeout=30_000)
    assert page.get_by_role("heading", name="通话详情").count() == 0


def test_a_team_leads_link_to_another_teams_call_is_refused(server, page):
    url, _ = server
    sign_in_and_open(page, url, "call?call_id=c04_violence_threat", "通话详情", "zhao")
    # read exactly like a call that does not exist: a refusal would confirm the id
    page.get_by_text("找不到通话 c04_violence_threat").first.wait_for(timeout=30_000)
    assert page.locator("audio").count() == 0 and page.get_by_text("刘洋").count() == 0
    assert page.get_by_text("无权").count() == 0
    assert_no_exception(page)


@pytest.mark.parametrize(("path", "title"), PAGES, ids=[p.split("?")[0] or "overview" for p, _ in PAGES])
def test_every_page_opens_in_a_browser_without_an_exception(server, page, path, title):
    url, _ = server
    sign_in_and_open(page, url, path, title)
    assert_no_exception(page)
    assert page.get_by_text("Page not found").count() == 0
    if page.locator('[data-testid="stPlotlyChart"]').count():
        page.locator('[data-testid="stPlotlyChart"] .main-svg').first.wait_for(timeout=30_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{path.split('?')[0] or 'overview'}.png"), full_page=True)


def test_play_moves_the_audio_to_the_finding_and_a_verdict_is_saved(server, page):
    url, db = server
    finding = Store(db).findings("c04_violence_threat")[-1]
    expected = player_start(finding.start_s)
    sign_in_and_open(page, url, "call?call_id=c04_violence_threat", "通话详情", "li")
    page.locator("audio").wait_for(state="attached", timeout=30_000)
    assert page.evaluate("() => document.querySelector('audio').currentTime") < expected

    page.get_by_role("button", name=re.compile(f"播放 {clock(finding.start_s)}")).click()
    page.wait_for_function(f"() => {{ const a = document.querySelector('audio');"
                           f" return a && a.currentTime >= {expected} - 0.01; }}", timeout=30_000)
    assert_no_exception(page)

    page.locator('[data-testid="stSelectbox"]').first.click()  # the form starts empty: the reviewer chooses
    page.keyboard.type("确认违规")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="保存").first.click()
    page.get_by_text("已保存").first.wait_for(timeout=30_000)
    assert_no_exception(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "call_after_verdict.png"), full_page=True)
    reviews = list(Store(db).reviews())
    assert [(r.reviewer, r.verdict) for r in reviews] == [("质检-浏览器 (li)", "upheld")]


def test_the_player_stays_in_view_and_the_timeline_seeks_and_marks_the_turn_playing(server, page):
    url, db = server
    detail = Store(db).call_detail("c04_violence_threat")
    last = max((f for f in detail["findings"] if f["start_s"] is not None), key=lambda f: f["start_s"])
    sign_in_and_open(page, url, "call?call_id=c04_violence_threat", "通话详情", "li")
    marks = page.locator(".tl-mark")
    marks.first.wait_for(timeout=30_000)
    assert marks.count() == len([f for f in detail["findings"] if f["start_s"] is not None]) + len(
        [s for s in detail["audit"]["body"].get("signals") or [] if s.get("start_s") is not None])
    page.locator(".tl-mark.finding").last.click()  # the latest finding: the player jumps there and plays
    page.wait_for_function(f"() => document.querySelector('.st-key-call_player audio').currentTime >= "
                           f"{player_start(last['start_s'])}", timeout=30_000)
    playing = page.locator(".turn.playing")
    playing.first.wait_for(timeout=30_000)
    turn = int(playing.first.get_attribute("id").removeprefix("turn-"))
    segment = detail["transcript"]["segments"][turn]
    now = page.evaluate("() => document.querySelector('.st-key-call_player audio').currentTime")
    assert segment["start_s"] <= now + 0.5 and now - 0.5 < segment["end_s"]
    page.evaluate("() => document.querySelector('.st-key-call_player audio').pause()")  # pause is in the bar
    # scrolled down to the last finding's card, the player is still on screen, under Streamlit's header
    page.get_by_text(f"「{last['quote']}」").last.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    box = page.locator(".st-key-call_player audio").bounding_box()
    assert 0 <= box["y"] <= 200, box
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "call_player_in_view.png"))
    # a turn's time in the dialogue plays from that turn
    page.locator("#turn-1 .who").click()
    page.wait_for_function("() => document.querySelector('#turn-1.playing')", timeout=30_000)


# Streamlit draws its icons from a font by name (an expander's keyboard_arrow_right): those are no code names
CODE_NAME = re.compile(r"\b(?!c\d\d_|keyboard_arrow_)[a-z]+(?:_[a-z0-9]+)+\b|\b(?:finding|quality|disclosure):[a-z_]+")


def shown_text(page) -> str:
    """The page's text as a person reads it: Streamlit draws its icons from a font by name (fact_check), not words."""
    text = page.locator('[data-testid="stMain"]').inner_text()
    for icon in set(page.locator('[data-testid="stMain"] [data-testid="stIconMaterial"]').all_inner_texts()):
        text = text.replace(icon, "")
    return text


# Streamlit's own English, which it offers no setting for (the uploader's, a multiselect's placeholder)
STREAMLIT_ENGLISH = re.compile(r"Choose options?|Upload\b|per file|Drag and drop|Browse files|No options")


@pytest.mark.parametrize(("path", "title"), [("call?call_id=c13_vulnerable_promise", "通话详情"),
                                             ("call?call_id=c08_late_night_2240", "通话详情"), ("rules", "规则库"),
                                             ("agents", "坐席"), ("users", "用户"), ("", "总览"), ("queue", "复核队列"),
                                             ("batch", "批量质检"), ("export", "导出")],
                         ids=["call-c13", "call-c08", "rules", "agents", "users", "overview", "queue", "batch",
                              "export"])
def test_a_chinese_page_shows_no_code_names(server, page, path, title):
    url, _ = server
    sign_in_and_open(page, url, path, title)
    text = shown_text(page)
    assert not CODE_NAME.findall(text), CODE_NAME.findall(text)
    assert "customer may be vulnerable" not in text and "Threat" not in text
    assert not STREAMLIT_ENGLISH.findall(text), STREAMLIT_ENGLISH.findall(text)
    if path == "batch":  # Streamlit's uploader words, drawn in Chinese in their place
        words = page.locator('[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]')
        assert "选择文件" in words.first.evaluate("e => getComputedStyle(e, '::after').content")
        # and the layer Streamlit shows while a file is dragged over the uploader
        dropzone = page.locator('[data-testid="stFileUploaderDropzone"]').first
        dragged = page.evaluate_handle("() => { const files = new DataTransfer(); "
                                       "files.items.add(new File(['RIFF'], 'call.wav', {type: 'audio/wav'})); "
                                       "return files; }")
        dropzone.dispatch_event("dragenter", {"dataTransfer": dragged})
        layer = dropzone.locator(":scope > div:not([data-testid])", has=page.locator(":scope > span"))
        layer.wait_for(timeout=10_000)
        assert "拖放" in layer.evaluate("e => getComputedStyle(e, '::after').content")
        assert not STREAMLIT_ENGLISH.findall(shown_text(page)), STREAMLIT_ENGLISH.findall(shown_text(page))


def test_a_reviewer_sees_no_server_paths(server, page):
    url, db = server
    sign_in_and_open(page, url, "batch", "批量质检", "li")
    page.get_by_role("tab", name="服务器文件夹").click()
    page.wait_for_timeout(500)
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert str(Path(db).parent) not in text and "/" + "tmp" not in text
    assert page.get_by_role("textbox", name="或输入路径").count() == 0  # typing a server path is an admin's


def test_on_a_phone_the_queue_folds_its_filters_and_a_call_shows_findings_first(server, browser):
    url, _ = server
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True,
                                  has_touch=True, user_agent=PHONE)
    page = context.new_page()
    try:
        sign_in_and_open(page, url, "queue", "复核队列", "li")
        assert not page.get_by_text("违规类别", exact=True).first.is_visible()  # folded
        page.get_by_text("筛选条件").first.click()
        page.get_by_text("违规类别", exact=True).first.wait_for(state="visible", timeout=30_000)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "phone_queue.png"), full_page=True)
        open_and_settle(page, f"{url}/call?call_id=c04_violence_threat", "通话详情")
        findings = page.get_by_role("heading", name="违规条目").bounding_box()["y"]
        assert findings < page.get_by_role("heading", name="对话").bounding_box()["y"]
        page.screenshot(path=str(SCREENSHOTS / "phone_call.png"))
    finally:
        context.close()


def test_a_calls_first_screen_says_what_went_wrong_when_and_where(server, page):
    url, _ = server
    sign_in_and_open(page, url, "call?call_id=c08_late_night_2240", "通话详情", "li")
    page.get_by_text("通话时间（Asia/Shanghai）：2026-11").first.wait_for(timeout=30_000)
    assert page.get_by_text("22:40").count() >= 1 and page.get_by_text("夜间催收").count() >= 1
    open_and_settle(page, f"{url}/call?call_id=c04_violence_threat", "通话详情")  # still signed in: the cookie
    summary = page.locator("h3").first.inner_text()
    assert "暴力威胁" in summary and re.search(r"\d:\d\d", summary), summary
    top = page.locator("h3").first.bounding_box()["y"]
    assert top < page.locator('[data-testid="stMetric"]').first.bounding_box()["y"]
    assert page.get_by_text("质检版本").count() == 0 or not page.get_by_text("质检版本").first.is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "call_first_screen.png"))


def test_a_reload_keeps_the_user_signed_in_until_they_sign_out(server, page):
    url, _ = server
    sign_in_and_open(page, url, "queue", "复核队列", "li")
    open_and_settle(page, f"{url}/queue", "复核队列")  # a reload: a new Streamlit session
    assert page.get_by_role("heading", name="登录").count() == 0
    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("heading", name="登录").first.wait_for(timeout=30_000)
    open_and_settle(page, f"{url}/queue", "登录")
    assert page.get_by_role("heading", name="复核队列").count() == 0


def test_five_failures_make_sign_in_wait_and_the_admin_sees_them(server, page):
    url, _ = server
    open_and_settle(page, f"{url}/", "登录")
    for _ in range(5):
        fill_sign_in(page, "zhao", "not the password")
        page.wait_for_timeout(1500)
    fill_sign_in(page, "zhao", PASSWORD)  # the right password, too soon
    page.get_by_text("分钟后再试").first.wait_for(timeout=30_000)
    assert page.get_by_role("heading", name="总览").count() == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "sign_in_wait.png"), full_page=True)
    page.context.clear_cookies()
    sign_in_and_open(page, url, "users", "用户", "root")
    page.get_by_text("登录失败记录").first.wait_for(timeout=30_000)
    assert page.get_by_text("没有登录失败记录").count() == 0
    page.screenshot(path=str(SCREENSHOTS / "users_failures.png"), full_page=True)


def test_running_the_app_leaves_the_checkout_clean_and_the_key_private(server, page, checkout_before):
    url, db = server
    sign_in_and_open(page, url, "users", "用户", "root")  # a session signed: the key exists, wherever it went
    secret = next((Path(db).parent / "xdg").rglob(".session_secret"))
    assert secret.stat().st_mode & 0o777 == 0o600
    assert git_status() == checkout_before


# -- the three journeys (reviewer, team lead, admin), each step ending on a page without an error, a screenshot per step

def step(page, journey: str, number: int, what: str) -> None:
    assert_no_exception(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"journey_{journey}_{number}_{what}.png"), full_page=True)


def test_journey_a_reviewer_on_monday_morning_works_through_the_queue(server, page):
    url, db = server
    sign_in_and_open(page, url, "queue", "复核队列", "li")
    step(page, "reviewer", 1, "queue")
    first = page.locator('[data-testid="stSelectbox"]').filter(has_text="打开通话")
    call_id = first.inner_text().split("\n")[-1].strip()
    page.get_by_role("button", name="打开", exact=True).click()  # the worst call first
    page.get_by_role("heading", name="通话详情", exact=True).first.wait_for(timeout=60_000)
    page.locator(".tl-mark").first.wait_for(timeout=60_000)
    step(page, "reviewer", 2, "call")
    page.locator(".tl-mark.finding").first.click()  # hear the first finding from the timeline
    page.locator(".turn.playing").first.wait_for(timeout=30_000)
    page.evaluate("() => document.querySelector('.st-key-call_player audio').pause()")
    page.locator('[data-testid="stSelectbox"]').filter(has_text="复核结论").first.click()
    page.keyboard.type("确认违规")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="保存").first.click()
    page.get_by_text("已保存").first.wait_for(timeout=30_000)
    step(page, "reviewer", 3, "verdict_saved")
    assert any(r.reviewer == "质检-浏览器 (li)" for r in Store(db).reviews())
    assert call_id
    open_and_settle(page, f"{url}/queue", "复核队列")
    step(page, "reviewer", 4, "back_to_queue")


def test_journey_a_team_lead_coaches_an_agent_of_their_team(server, page):
    url, db = server
    with sqlite3.connect(db) as raw:  # no 一组 sample call has a finding: hand c05 (agent A2002, insults) to 一组
        raw.execute("UPDATE calls SET team = '一组' WHERE call_id = 'c05_insults'")
    raw.close()
    sign_in_and_open(page, url, "", "总览", "qian")
    step(page, "team_lead", 1, "overview")
    open_and_settle(page, f"{url}/agents", "坐席")
    step(page, "team_lead", 2, "agents")
    page.locator('[data-testid="stSelectbox"]').filter(has_text="查看坐席").click()
    page.keyboard.type("A2002")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="下载辅导材料 (CSV)").wait_for(timeout=60_000)
    assert "委外二组" not in page.locator('[data-testid="stMain"]').inner_text()
    with page.expect_download() as download:
        page.get_by_role("button", name="下载辅导材料 (CSV)").click()
    lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("违规类别,严重程度,通话编号") and "原话" in lines[0], lines[0]
    assert "辱骂" in lines[1] and f"{url}/call?call_id=c05_insults" in lines[1], lines[1]  # a link that works
    step(page, "team_lead", 3, "coaching")


def test_journey_an_admin_prepares_a_regulator_audit(server, page):
    url, db = server
    sign_in_and_open(page, url, "", "总览", "root")
    step(page, "admin", 1, "overview")
    open_and_settle(page, f"{url}/export", "导出")
    step(page, "admin", 2, "export")
    page.get_by_role("button", name="生成导出包").click()
    page.get_by_text("通通话").first.wait_for(timeout=120_000)
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile("下载 audit_package")).click()
    assert download.value.suggested_filename.endswith(".zip")
    step(page, "admin", 3, "package_ready")
    assert [e.exported_by for e in Store(db).exports()][-1] == "合规-张 (root)"
    open_and_settle(page, f"{url}/users", "用户")
    step(page, "admin", 4, "users")
