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

    page.goto(f"{live_server.url}/decks/{deck_id}/print/handout{query}")
    expect(page.locator("svg.qr")).to_be_visible()
    page.emulate_media(media="print")
    assert len(pdf_pages(page.pdf(prefer_css_page_size=True), f"{deck_id}-handout")) == 1  # one page


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
    page.get_by_role("link", name="Umpire's packet").click()
    expect(page.get_by_role("heading", name="Event list (MSEL)")).to_be_visible()
    assert Path(page.url).name.startswith("umpire?")  # the key rode along
