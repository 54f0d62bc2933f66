"""A server with a public URL: the home page opened at 127.0.0.1 still shows, encodes and prints links
students can open."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from facilitator import create_app
from flows import create_exercise
from tests.conftest import migrated_url

PUBLIC = "https://class.example.org"


@pytest.fixture
def app(tmp_path, monkeypatch):
    """The app as ``FACILITATOR_PUBLIC_URL=https://class.example.org`` starts it (``live_server`` serves it)."""
    monkeypatch.setenv("FACILITATOR_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("FACILITATOR_PUBLIC_URL", PUBLIC)
    app = create_app({"TESTING": True, "DATABASE_URL": migrated_url(tmp_path / "test.sqlite3")})
    yield app
    app.extensions["facilitator"].db.dispose()


def test_links_qr_codes_and_join_sheets_use_the_public_url(live_server, watched):
    home = watched.page(label="home")
    links = create_exercise(home, live_server.url, title="Room 101")
    assert live_server.url.startswith("http://127.0.0.1:")  # the page's own origin is not the public one
    assert links["umpire"].startswith(PUBLIC + "/umpire#token=")
    assert links["projector"].startswith(PUBLIC + "/projector#code=")
    assert set(links["join"]) == {"ukraine", "russia", "turkey", "un"}
    for delegation, url in links["join"].items():
        assert url == f"{PUBLIC}/join#code={links['codes'][delegation]}"

    # Each QR code encodes its delegation's public join link (the image itself comes from this server).
    for card in home.locator(".join-card").all():
        delegation = card.get_attribute("data-delegation")
        qr = card.locator("img.qr")
        src = qr.get_attribute("src")
        assert urlsplit(src).path == "/api/qr.svg"
        assert parse_qs(urlsplit(src).query)["data"] == [links["join"][delegation]]
        expect(qr).to_have_js_property("complete", True)
        assert home.evaluate("(img) => img.naturalWidth > 0", qr.element_handle())

    expect(home.locator(".created .hint").filter(has_text="/join")).to_contain_text(f"at {PUBLIC}/join.")

    # The printed sheet tells students the public address, never the one this page was opened at.
    home.emulate_media(media="print")
    for delegation in links["join"]:
        sheet_line = home.get_by_test_id(f"print-{delegation}")
        expect(sheet_line).to_be_visible()
        expect(sheet_line).to_have_text(f"Open {PUBLIC}/join and type the code, or scan the square.")
    printed = home.locator(".join-cards").inner_text()
    assert PUBLIC in printed and "127.0.0.1" not in printed
