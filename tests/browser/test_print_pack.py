"""The print pack printed by Chromium (docs/teaching.md): the umpire's packet and a role sheet of every deck, and
its handout, as PDF; the pages' own styles apply under the server's Content-Security-Policy; no card and no
table row is split across two pages; the handout is one page; the home page links to each deck's pack.

A split is found in the PDF's text (``pdftotext`` from poppler-utils, which ``make test`` installs): the first
and the last words of every cell and card the page shows (where they occur once in the document) must be on the
same page. The PDFs are kept in ``test-artifacts/print/`` to look at.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from facilitator.decks import load_decks
from flows import ROOT

DECKS = {deck_id: loaded.deck for deck_id, loaded in load_decks(ROOT / "scenarios", ROOT / "seeds").items()}
ARTIFACTS = ROOT / "test-artifacts" / "print"
ENDS = 24  # characters (spaces left out) at each end of a cell or card looked for in the PDF's text

# The text of every table cell (row by row) and of every card, as the page shows it.
BLOCKS = """() => [...document.querySelectorAll('tbody tr, .card')].map((el) =>
  el.matches('tr') ? [...el.cells].map((cell) => cell.innerText) : [el.innerText])"""


def pdf_pages(pdf: bytes, name: str) -> list[str]:
    """The text of each page of ``pdf`` (kept as ``name``.pdf), spaces left out."""
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: the print tests read the PDFs with it. Run `make test` (it installs "
                    "poppler-utils with apt-get) or `apt-get install -y --no-install-recommends poppler-utils`.",
                    pytrace=False)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [re.sub(r"\s+", "", page) for page in text.split("\f")[:-1]]


def split_blocks(pages: list[str], blocks: list[list[str]]) -> tuple[int, list[str]]:
    """How many blocks (rows, cards) could be checked, and those whose text starts on one page and ends on
    another."""
    whole = "".join(pages)
    checked, split = 0, []
    for cells in blocks:
        seen = False
        for cell in cells:
            text = re.sub(r"\s+", "", cell)
            if len(text) < ENDS:
                continue
            head, tail = text[:ENDS], text[-ENDS:]
            if whole.count(head) != 1 or whole.count(tail) != 1:
                continue  # not unique (a repeated heading or source line): says nothing about where it lies
            starts = [i for i, page in enumerate(pages) if head in page]
            ends = [i for i, page in enumerate(pages) if tail in page]
            seen = True
            if starts != ends or not starts:  # not found at all: its words cross from one page to the next
                split.append(f"{cell[:70]!r}: starts on page {starts}, ends on page {ends}")
        checked += seen
    return checked, split


def print_sheet(page, url: str, name: str, paper: str) -> tuple[list[str], int, list[str]]:
    """Open ``url``, print it to PDF; returns its pages' text, the blocks checked and the split ones."""
    page.goto(url)
    expect(page.locator("main h1")).to_be_visible()
    # The inline stylesheet applies (the CSP lets it in by its hash): section titles are ruled.
    assert page.eval_on_selector("h2", "e => getComputedStyle(e).borderBottomWidth") == "2px"
    page.emulate_media(media="print")
    assert page.locator("nav.bar").is_hidden()  # no screen chrome on paper
    blocks = page.evaluate(BLOCKS)
    pdf = page.pdf(prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF-")
    pages = pdf_pages(pdf, name)
    size = {"a4": rb"/MediaBox\s*\[0 0 59[45]\.\d+ 841\.\d+\]", "letter": rb"/MediaBox\s*\[0 0 612 792\]"}[paper]
    assert re.search(size, pdf), f"{name}: not printed on {paper}"
    checked, split = split_blocks(pages, blocks)
    return pages, checked, split


@pytest.mark.parametrize("deck_id", sorted(DECKS))
def test_the_umpire_packet_and_a_role_sheet_print_without_split_rows(deck_id, app, live_server, watched):
    deck = DECKS[deck_id]
    app.config["PUBLIC_URL"] = "http://192.168.1.20:5000"  # the handout then shows the join page and its QR code
    page = watched.page(label="print")
    paper = "letter" if deck_id == "demo" else "a4"
    query = "?paper=letter" if paper == "letter" else ""
    pages, checked, split = print_sheet(page, f"{live_server.url}/decks/{deck_id}/print/umpire{query}",
                                        f"{deck_id}-umpire", paper)
    assert len(pages) > 1
    assert not split, "split across pages:\n" + "\n".join(split)
    assert checked >= len(deck.injects) // 2  # the check saw most of the event list
    assert any("Eventlist(MSEL)" in p for p in pages)

    first = deck.delegations[0]
    pages, checked, split = print_sheet(page, f"{live_server.url}/decks/{deck_id}/print/role-{first.id}{query}",
                                        f"{deck_id}-role-{first.id}", paper)
    assert len(pages) >= 1 and not split, "split across pages:\n" + "\n".join(split)
    assert re.sub(r"\s+", "", first.name) in pages[0]

    for handout_query, name in ((query, f"{deck_id}-handout"), ("?paper=a4" if query else "?paper=letter",
                                                               f"{deck_id}-handout-other-paper")):
        page.emulate_media(media="screen")
        page.goto(f"{live_server.url}/decks/{deck_id}/print/handout{handout_query}")
        expect(page.locator("svg.qr")).to_be_visible()
        expect(page.locator("dt", has_text="Glossary")).to_be_visible()
        page.emulate_media(media="print")
        assert len(pdf_pages(page.pdf(prefer_css_page_size=True), name)) == 1  # one page, on A4 and on Letter


def test_the_home_page_links_to_each_decks_print_pack(live_server, watched):
    page = watched.page(label="home")
    page.goto(live_server.url + "/")
    for deck_id in DECKS:
        link = page.get_by_test_id(f"print-pack-{deck_id}")
        expect(link).to_have_attribute("href", f"/decks/{deck_id}/print")
    with page.context.expect_page() as opened:
        page.get_by_test_id("print-pack-demo").click()
    index = opened.value
    watched.watch(index, "index")
    expect(index.get_by_role("heading", name=DECKS["demo"].title)).to_be_visible()
    index.get_by_role("link", name="Umpire's packet").click()
    expect(index.get_by_role("heading", name="Event list (MSEL)")).to_be_visible()


def test_the_index_asks_for_the_instructor_key_when_the_server_has_one(app, live_server, watched):
    app.config["INSTRUCTOR_KEY"] = "ABCD-EFGH-JKMN"
    page = watched.page(label="index")
    page.goto(f"{live_server.url}/decks/demo/print")
    expect(page.get_by_role("link", name="Umpire's packet")).to_have_count(0)
    page.get_by_label("Instructor key").fill("abcd-efgh-jkmn")
    page.get_by_role("button", name="Show the sheets").click()
    expect(page.get_by_role("link", name="Umpire's packet")).to_be_visible()
    assert "key" not in page.url  # posted, traded for a pass: in no address
    page.get_by_role("link", name="Umpire's packet").click()
    expect(page.get_by_role("heading", name="Event list (MSEL)")).to_be_visible()
    assert Path(page.url).name == "umpire"  # the pass, not the key, opens it


def test_a_key_typed_on_the_home_page_opens_the_print_pack_without_entering_an_address(app, live_server, watched):
    app.config["INSTRUCTOR_KEY"] = "ABCD-EFGH-JKMN"
    page = watched.page(label="home")
    requested = []
    page.context.on("request", lambda request: requested.append(request.url))
    page.goto(live_server.url + "/")
    page.get_by_test_id("instructor-key").fill("ABCD-EFGH-JKMN")
    with page.context.expect_page() as opened:
        page.get_by_test_id("print-pack-kyiv-decides").click()
    index = opened.value
    watched.watch(index, "index")
    index.on("request", lambda request: requested.append(request.url))
    expect(index.get_by_role("heading", name=DECKS["kyiv-decides"].title)).to_be_visible()
    expect(index.get_by_label("Instructor key")).to_have_count(0)  # unlocked: the sheets are links
    index.get_by_role("link", name="Umpire's packet").click()
    expect(index.get_by_role("heading", name="Event list (MSEL)")).to_be_visible()
    assert not [url for url in requested if "ABCD" in url.upper() or "key=" in url], requested


def test_the_home_page_lists_each_base_deck_then_its_variants(live_server, watched):
    page = watched.page(label="home")
    page.goto(live_server.url + "/")
    expect(page.locator(".scenario").first).to_be_visible()
    order = page.eval_on_selector_all(".scenario", "cards => cards.map((c) => c.dataset.deck)")
    assert sorted(order) == sorted(DECKS)
    for deck_id in order:
        base = DECKS[deck_id].variant_of
        if base:
            between = order[order.index(base) + 1:order.index(deck_id)]
            assert all(DECKS[x].variant_of == base for x in between), order


def test_a_sheet_reads_on_a_phone_and_prints_as_tables(live_server, watched):
    from flows import PHONE
    page = watched.page(viewport=PHONE, label="phone")
    for url in ("/decks/kyiv-decides/print/umpire", "/decks/three-track-talks-workshop/print/role-ukraine"):
        page.goto(live_server.url + url)
        expect(page.locator("main h1")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], url
        # Every cell, the event list's Effects included, lies within the screen.
        widest = page.evaluate("Math.max(...[...document.querySelectorAll('td, th, dd, p')].map((e) => "
                               "e.getBoundingClientRect().right))")
        assert widest <= PHONE["width"], (url, widest)
    effects = page.locator("td[data-label='Effects']")
    page.goto(live_server.url + "/decks/kyiv-decides/print/umpire")
    expect(effects.first).to_be_visible()
    assert page.eval_on_selector("td[data-label='Effects']", "e => getComputedStyle(e, '::before').content") \
        == '"Effects"'
    page.emulate_media(media="print")  # paper keeps its tables
    assert page.eval_on_selector("table.msel", "e => getComputedStyle(e).display") == "table"
    assert page.eval_on_selector("table.msel thead", "e => getComputedStyle(e).display") == "table-header-group"


def test_the_map_prints_under_its_heading_on_a_role_sheet(live_server, watched):
    page = watched.page(label="print")
    pages, _, split = print_sheet(page, f"{live_server.url}/decks/kyiv-decides/print/role-ukraine",
                                  "kyiv-decides-role-ukraine-map", "a4")
    assert not split, split
    caption = re.sub(r"\s+", "", DECKS["kyiv-decides"].map.caption)[:40]
    [at] = [i for i, text in enumerate(pages) if caption in text]
    assert "Map" in pages[at].split(caption)[0], "the map's heading is not on the map's page"


def test_the_console_numbers_rows_as_the_packet_does_and_links_to_it(live_server, exercises, watched):
    from flows import event_row, open_console
    created = exercises.create("kyiv-decides")
    umpire = watched.page(label="umpire")
    open_console(umpire, f"{live_server.url}/umpire#token={created.umpire_token}")
    deck = DECKS["kyiv-decides"]
    expect(event_row(umpire, 26)).to_contain_text("#26")
    expect(event_row(umpire, 26)).to_contain_text(deck.inject("c-kyiv-waits").title)
    link = umpire.get_by_test_id("learning-objectives").get_by_test_id("print-pack-link")
    expect(link).to_have_attribute("href", "/decks/kyiv-decides/print/umpire")
    with umpire.context.expect_page() as opened:
        link.click()
    packet = opened.value
    watched.watch(packet, "packet")
    expect(packet.get_by_role("heading", name="Run sheet")).to_be_visible()
    expect(packet.locator("#run-sheet")).to_contain_text("fire #26 Contingency: Kyiv is told to hurry")
