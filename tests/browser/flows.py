"""What people do in the browser, as steps the tests share."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SCREEN_SIZES = [(1024, 768), (1280, 720), (1366, 768), (1920, 1080), (390, 844)]  # a class's screens


def create_exercise(page: Page, base_url: str, deck: str = "demo", title: str | None = None) -> dict:
    """Create an exercise from the home page; returns the links it shows."""
    page.goto(base_url + "/")
    card = page.locator(f".scenario[data-deck='{deck}']")
    if title:
        card.get_by_label("Title for your session (optional)").fill(title)
    card.get_by_role("button", name="Create exercise").click()
    created = page.get_by_test_id("created")
    expect(created).to_be_visible()
    links = {
        "umpire": page.get_by_test_id("umpire-link").get_attribute("href"),
        "projector": page.get_by_test_id("projector-link").get_attribute("href"),
        "join": {},
        "codes": {},
    }
    for item in page.locator(".join-card").all():
        delegation = item.get_attribute("data-delegation")
        links["join"][delegation] = item.get_by_test_id(f"join-{delegation}").get_attribute("href")
        links["codes"][delegation] = item.get_by_test_id(f"code-{delegation}").inner_text()
    return links


def join(page: Page, url: str, name: str) -> None:
    page.goto(url)
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Join", exact=True).click()
    expect(page.get_by_test_id("connection")).to_have_attribute("data-status", "live")
    expect(page.locator(".tabs")).to_be_visible()


def open_console(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.get_by_test_id("connection")).to_have_attribute("data-status", "live")
    expect(page.locator(".tabs")).to_be_visible()


def tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name).first.click()


def confirm_click(page: Page, key: str) -> None:
    """The two-step buttons (advance phase, end exercise): press, then confirm."""
    button = page.locator(f"button[data-key='{key}']")
    button.click()
    expect(button).to_contain_text("Confirm")
    button.click()


def advance_to(umpire: Page, phase_name: str) -> None:
    tab(umpire, "Control")
    confirm_click(umpire, "advance")
    expect(umpire.get_by_test_id("phase")).to_contain_text(phase_name)


def channel(page: Page, channel_id: str) -> None:
    page.locator(f"button[data-channel='{channel_id}']").click()
    expect(page.locator(f"button[data-channel='{channel_id}']")).to_have_attribute("aria-current", "true")


def post(page: Page, channel_id: str, text: str) -> None:
    channel(page, channel_id)
    box = page.locator("#composer-text")
    box.fill(text)
    box.press("Enter")
    expect(page.locator(".msg-text", has_text=text).first).to_be_visible()
    expect(box).to_have_value("")


def expect_message(page: Page, channel_id: str, text: str) -> None:
    channel(page, channel_id)
    expect(page.locator(".messages .msg-text", has_text=text).first).to_be_visible()


def screenshot(page: Page, name: str, *, full_page: bool = False, before_phone=None) -> None:
    """Save ``name``-``W``x``H``.png under test-artifacts/screenshots/, at each size a class brings (a
    1024×768 laptop to a 1920×1080 projector, and a 390×844 phone).

    ``before_phone(page)`` runs once the page is at phone width (e.g. to open the tab worth showing).
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    for width, height in SCREEN_SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(150)
        if width < 600 and before_phone:
            before_phone(page)
            page.wait_for_timeout(150)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}x{height}.png"), full_page=full_page)
    page.set_viewport_size(size)
    page.wait_for_timeout(100)


def event_row(umpire: Page, number: int):
    """A row of the umpire's event list, by its number (#1, #2 …)."""
    return umpire.locator(f".el-rows > li.inject-row[data-number='{number}']")


def tab_to(page: Page, selector: str, presses: int = 80) -> None:
    """Press Tab until the element matching ``selector`` has the focus: a keyboard user's way there."""
    for _ in range(presses):
        if page.evaluate("(s) => Boolean(document.activeElement?.matches(s))", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} cannot be reached with Tab")


def issued_link(page: Page, title: str) -> str:
    """The address of a link the umpire console shows once (a new personal link, a staff seat's link)."""
    box = page.get_by_role("group", name=title).first
    expect(box).to_be_visible()
    return box.locator("a.link-url").first.get_attribute("href")


def people_row(umpire: Page, name: str):
    """A participant's row in the umpire's People card, by display name."""
    return umpire.locator("#people .person", has=umpire.locator(".person-name", has_text=name))


def umpire_and_members(watched, base: str, created, **members: str) -> list[Page]:
    """The umpire console and one joined page per ``delegation=name`` given, in that order."""
    umpire = watched.page(label="umpire")
    open_console(umpire, f"{base}/umpire#token={created.umpire_token}")
    pages = [umpire]
    for delegation, name in members.items():
        page = watched.page(label=delegation)
        join(page, f"{base}/join#code={created.join_codes[delegation]}", name)
        pages.append(page)
    return pages
