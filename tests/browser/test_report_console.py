"""The after-action report from the consoles: exercise control opens it (a new tab, the HTML as fetched with the
console's token) or downloads the PDF at any time; a delegation's member gets its own once the exercise ends."""

from __future__ import annotations

import pytest

from facilitator.engine import AdvancePhase, EndExercise, PostMessage
from facilitator.engine.audience import UMPIRE_ACTOR
from flows import PHONE, open_console
from tests.test_report import play_demo


def test_the_umpire_opens_the_report_and_downloads_the_pdf(live_server, exercises, watched):
    created = exercises.create("demo", "Report drill")
    olena, _ = exercises.join(created.join_codes["ukraine"], "Olena Kovalenko")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    exercises.execute(created.id, PostMessage("delegation:ukraine", "Kyiv only <b>bold</b>"), olena.actor)
    umpire = watched.page(label="umpire")
    open_console(umpire, f"{live_server.url}/umpire#token={created.umpire_token}")

    with umpire.context.expect_page() as opened:
        umpire.get_by_test_id("report-open").click()
    report = opened.value
    watched.watch(report, "report")
    report.wait_for_url(lambda url: url.startswith("blob:"))
    report.get_by_role("heading", name="Report drill").wait_for()
    assert "Kyiv only <b>bold</b>" in report.inner_text("#timeline")  # shown as text
    # Its own styles apply (the page holds them inline): the section titles are ruled.
    assert report.eval_on_selector("#timeline h2", "e => getComputedStyle(e).borderBottomWidth") == "2px"
    assert report.locator("svg.chart-svg").count() >= 3

    with umpire.expect_download() as download:
        umpire.get_by_test_id("report-pdf").click()
    assert download.value.suggested_filename == "report-drill-report-umpire.pdf"
    assert download.value.path().read_bytes().startswith(b"%PDF-")


def test_a_member_gets_its_own_report_once_the_exercise_has_ended(live_server, exercises, watched):
    created = exercises.create("demo", "Report drill")
    olena, token = exercises.join(created.join_codes["ukraine"], "Olena Kovalenko")
    boris, _ = exercises.join(created.join_codes["russia"], "Boris")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    exercises.execute(created.id, PostMessage("delegation:russia", "Moscow only"), boris.actor)
    member = watched.page(label="member")
    open_console(member, f"{live_server.url}/play#exercise={created.id}&token={token}")
    assert member.get_by_test_id("report-open").is_hidden()
    exercises.execute(created.id, EndExercise(), UMPIRE_ACTOR)
    member.get_by_test_id("report-open").wait_for()

    with member.context.expect_page() as opened:
        member.get_by_test_id("report-open").click()
    report = opened.value
    watched.watch(report, "report")
    report.wait_for_url(lambda url: url.startswith("blob:"))
    report.get_by_text("As seen by: Ukraine").wait_for()
    assert "Moscow only" not in report.content()

    with member.expect_download() as download:
        member.get_by_test_id("report-pdf").click()
    assert download.value.suggested_filename == "report-drill-report-ukraine.pdf"


@pytest.mark.parametrize("size", [PHONE, {"width": 1366, "height": 768}], ids=["phone", "laptop"])
def test_the_report_never_scrolls_sideways(live_server, watched, size):
    """On a 390 px phone the page keeps to the screen's width: cells wrap (the trust and readiness table
    included), and a table or chart still too wide scrolls inside its own box. On a laptop every table fits."""
    with live_server.app.app_context():
        game, _ = play_demo()
    page = watched.page(viewport=size, label="report")
    page.context.set_extra_http_headers({"Authorization": f"Bearer {game.created.umpire_token}"})
    page.goto(f"{live_server.url}/api/exercises/{game.id}/report?as=umpire")
    page.get_by_role("heading", name="Corridor drill").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    assert page.evaluate("""Math.max(...[...document.querySelectorAll('body > *, section > *, .table-scroll')]
                              .map(e => e.getBoundingClientRect().right))""") <= size["width"]
    relations = page.locator(".table-scroll", has=page.get_by_role("columnheader", name="Trust at start"))
    assert relations.evaluate("e => e.scrollWidth <= e.clientWidth")  # a wide trust and readiness table fits a phone
    if size is not PHONE:
        assert page.evaluate("[...document.querySelectorAll('.table-scroll, .chart-scroll')]"
                             ".every(e => e.scrollWidth <= e.clientWidth)")
