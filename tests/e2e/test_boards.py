"""The boards in a real browser: Debian's Chromium (never a downloaded build) driven by Playwright for Python,
against the whole platform (conftest.py) with the demo data. Log in, see the demo store's boards, dispatch a job
from the workshop board, watch another open board change without a reload, see the figures drawn as charts, and
a technician kept off the figures. A screenshot of each page goes to .local/screenshots/."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, async_playwright, expect

from deploy import demo
from tests.support.factories import eventually, new_phone, new_vin

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / ".local" / "screenshots"
STORE = "s-sh-pd"  # the demo's 上海浦东店
DEMO = demo.Size(stores=3, days=0, visits_per_day=3)  # the demo group and its stores without history: quick
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _apt_install(package: str) -> None:
    if shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", package], check=False,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def chromium() -> str:
    """Debian's Chromium (and a Chinese font, or the screenshots show boxes); installed here if missing and we
    may (root with apt-get, as ./run test does), else a clear failure."""
    if not CHROMIUM.exists():
        _apt_install("chromium")
    if not subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout.strip():
        _apt_install("fonts-wqy-zenhei")
    if not CHROMIUM.exists():
        pytest.fail("the boards' browser tests need Debian's Chromium at /usr/bin/chromium: `apt-get install -y "
                    "chromium` as root (./run test installs it); a downloaded browser build is not used")
    return str(CHROMIUM)


@asynccontextmanager
async def browser():
    """A fresh profile each time; a script error or a missing file on any page fails the test at the end."""
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="boards-chromium-") as profile:
        async with async_playwright() as pw:
            context = await pw.chromium.launch_persistent_context(
                profile, executable_path=chromium(), args=ARGS, headless=True, locale="zh-CN",
                viewport={"width": 1280, "height": 900})
            context.on("weberror", lambda e: problems.append(f"script error: {e.error}"))
            context.on("response", lambda r: problems.append(f"{r.status} {r.url}")
                       if r.status == 404 or r.status >= 500 else None)
            try:
                yield context
            finally:
                await context.close()
    assert not problems, problems


async def log_in(page: Page, gateway: str, user: str) -> None:
    await page.goto(f"{gateway}/boards/login")
    await page.fill("input[name=username]", user)
    await page.fill("input[name=password]", demo.PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_load_state("networkidle")


async def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def bearer(gw: httpx.AsyncClient, user: str) -> dict[str, str]:
    r = await gw.post("/auth/token", data={"username": user, "password": demo.PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def car_in_the_workshop(gw: httpx.AsyncClient) -> tuple[str, str, str]:
    """A walk-in at the demo store, its repair order opened with one job: (order id, its number, job id) once
    workshop has queued the job."""
    advisor = await bearer(gw, "advisor.pd")
    r = await gw.post("/api/reception/check-ins", headers=advisor, json={
        "store_id": STORE, "vin": new_vin(), "plate": "沪E54321", "odometer_km": 20100, "covers_fitted": True,
        "customer_complaint": "刹车异响", "first_visit": {
            "customer": {"name": "蔡明", "phones": [new_phone()]}, "vehicle": {"model": "帕萨特"}}})
    assert r.status_code == 201, r.text
    ro = r.json()
    r = await gw.post(f"/api/reception/repair-orders/{ro['id']}/open", headers=advisor, json={
        "version": ro["version"], "payment_method": "card", "old_parts": "customer_keeps",
        "signature": {"name": "蔡明", "image_ref": "blob://signatures/boards.png"},
        "jobs": [{"description": "更换前刹车片", "flat_rate_hours": "1.2", "pay_type": "customer"}]})
    assert r.status_code == 200, r.text
    opened = r.json()
    sup = await bearer(gw, "workshop.pd")

    async def queued():
        b = (await gw.get("/api/workshop/board", params={"store_id": STORE}, headers=sup)).json()
        return next((o for o in b["orders"] if o["repair_order_id"] == ro["id"]), None)

    assert await eventually(queued), "workshop never queued the order"
    return ro["id"], opened["number"], opened["jobs"][0]["job_id"]


async def test_store_staff_log_in_see_the_boards_and_dispatch_a_job_the_other_board_follows_live(platform):
    await demo.load_demo(platform, DEMO)
    gateway = platform.url("gateway")
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as gw:
        ro_id, number, job_id = await car_in_the_workshop(gw)
    async with browser() as context:
        watcher = await context.new_page()  # the workshop supervisor's board on the wall
        await log_in(watcher, gateway, "workshop.pd")
        await watcher.goto(f"{gateway}/boards/{STORE}/workshop")
        job = watcher.locator(f"[data-order='{ro_id}'] [data-job='{job_id}']")
        await expect(job).to_have_attribute("data-state", "queued")
        await expect(watcher.locator("[data-live]")).to_have_attribute("data-connected", "1", timeout=10_000)
        await expect(watcher.locator(f"[data-order='{ro_id}'] h2")).to_contain_text(number)
        await watcher.evaluate("window.__notReloaded = true")
        await shot(watcher, "workshop-board")

        actor = await context.new_page()  # another tab: dispatch from the board, to 钱技师
        await actor.goto(f"{gateway}/boards/{STORE}/workshop")
        form = actor.locator(f"[data-order='{ro_id}'] [data-job='{job_id}'] form.dispatch")
        await form.locator("select[name=technician_id]").select_option("tech.pd")
        clicked = time.perf_counter()
        await form.locator("button[type=submit]").click()
        await expect(actor.locator("[data-notice]")).to_have_class("ok")
        await expect(actor.locator(f"[data-job='{job_id}']")).to_have_attribute("data-state", "dispatched")

        await expect(job).to_have_attribute("data-state", "dispatched", timeout=20_000)  # the events' refresh
        print(f"boards: the other open board showed the dispatch {time.perf_counter() - clicked:.2f} s after the click")
        await expect(job.locator("[data-technician]")).to_contain_text("钱技师")
        assert await watcher.evaluate("window.__notReloaded === true"), "the board reloaded instead of refreshing"
        await shot(watcher, "workshop-board-after-dispatch")

        # the technician clocks on and asks for a part (their app, the API): the board follows, still no reload
        async with httpx.AsyncClient(base_url=gateway, timeout=10) as gw:
            tech, path = await bearer(gw, "tech.pd"), f"/api/workshop/work-orders/{ro_id}/jobs/{job_id}"
            assert (await gw.post(f"{path}/start", headers=tech, json={})).status_code == 200
            await expect(job).to_have_attribute("data-state", "in_progress", timeout=20_000)
            r = await gw.post(f"{path}/parts-requests", headers=tech,
                              json={"lines": [{"part_no": "5Q0698151D", "quantity": "1"}]})
            assert r.status_code == 200, r.text
        await expect(job).to_contain_text("5Q0698151D", timeout=20_000)  # waiting for the part
        await expect(job.locator("[data-waiting]")).to_have_text("配件未发料: 5Q0698151D")  # in the page's language
        await expect(watcher.locator(f"[data-order='{ro_id}'] [data-order-state]")).to_have_text("在厂维修")
        assert await watcher.evaluate("window.__notReloaded === true")
        await watcher.set_viewport_size({"width": 820, "height": 1180})  # a tablet held upright
        assert await watcher.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), \
            "the workshop board is wider than a tablet"
        await shot(watcher, "workshop-board-tablet")

        # a workshop supervisor reads no follow-ups, complaints or claims: not in the menu, refused as the API does
        assert await actor.locator("nav a[data-page=care]").count() == 0
        for page in ("care", "claims"):
            response = await actor.goto(f"{gateway}/boards/{STORE}/{page}")
            assert response is not None and response.status == 403, page
            await expect(actor.locator("[data-forbidden]")).to_be_visible()

        await log_in(actor, gateway, "manager.pd")  # the service manager reads every board
        for page in ("today", "workshop", "parts", "care", "claims"):
            await actor.goto(f"{gateway}/boards/{STORE}/{page}")
            await expect(actor.locator(f"[data-board='{page}']")).to_be_visible()
            assert await actor.locator("[data-withheld], [data-unavailable]").count() == 0, page
            if page == "parts":  # the technician's request reaches the parts room's open requests (over Kafka)
                for _ in range(40):
                    if "5Q0698151D" in await actor.locator("[data-open-requests]").inner_text():
                        break
                    await actor.wait_for_timeout(500)
                    await actor.reload()
                await expect(actor.locator("[data-open-requests]")).to_contain_text("5Q0698151D")
                row = actor.locator("[data-open-requests] tbody tr", has_text="5Q0698151D")
                for shown in (number, "钱技师"):  # the order's number and the technician's name, not their ids
                    await expect(row).to_contain_text(shown)
            await shot(actor, f"board-{page}")


async def test_the_figures_page_draws_its_charts_and_a_technician_is_kept_off_it(platform):
    await demo.load_demo(platform, DEMO)
    gateway = platform.url("gateway")
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as gw:
        await car_in_the_workshop(gw)  # a vehicle in this week, at least
    async with browser() as context:
        page = await context.new_page()
        await log_in(page, gateway, "manager.pd")
        await page.goto(f"{gateway}/boards/figures?granularity=week")
        await expect(page.locator("body")).to_have_attribute("data-charts-drawn", "1")
        charts = page.locator("canvas[data-kpi]")
        assert await charts.count() > 0, "no chart on the figures page"
        drawn = await charts.evaluate_all(
            "cs => cs.filter(c => c.chart && c.width > 0 && Number(c.dataset.points) > 0).length")
        assert drawn > 0, "no chart has data points"
        vehicles_in = await page.locator("canvas[data-kpi=vehicles_in]").evaluate(
            f"c => c.chart.data.datasets.find(d => d.store_id === '{STORE}').data.at(-1)")
        assert vehicles_in >= 1, "this week's vehicle is not on the vehicles-in chart"
        first = page.locator("figure.chart figcaption").first  # the headline figure first, titled in Chinese
        await expect(first).to_have_text("进厂台次 (数量)")
        await shot(page, "figures")
        await page.goto(f"{gateway}/boards/figures?lang=en")  # the English labels, remembered
        await expect(page.locator("h1")).to_have_text("Figures")
        await page.goto(f"{gateway}/boards/{STORE}/workshop")
        await expect(page.locator("h1")).to_contain_text("Workshop board")
        await shot(page, "workshop-board-en")

    async with browser() as context:
        page = await context.new_page()
        await log_in(page, gateway, "tech.pd")
        assert await page.locator("nav a[data-page=figures]").count() == 0
        assert await page.locator("nav a[data-page=workshop]").count() == 1
        response = await page.goto(f"{gateway}/boards/figures")
        assert response is not None and response.status == 403
        await expect(page.locator("[data-forbidden]")).to_be_visible()
        await shot(page, "figures-refused-to-a-technician")
