"""The umpire's event list (MSEL) in the browser: fire a row, fire an edited copy, delay, skip, reorder,
edit and add rows, switch to "ask me" (kept after a reload), import a CSV file with mistakes and export
one; a delegation sees what is fired to it and never a controller's note; after the end nothing can be
fired or changed."""

from __future__ import annotations

from playwright.sync_api import expect

from facilitator.engine import AdvancePhase, EndExercise
from facilitator.engine.audience import UMPIRE_ACTOR
from facilitator.engine.injects import AddInject, InjectRow, SkipInject
from flows import PHONE, SCREENSHOTS, event_row, open_console, screenshot, tab, umpire_and_members


def talks(exercises):
    created = exercises.create("demo")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    return created


def row_numbers(umpire) -> list[str]:
    return [n.strip() for n in umpire.locator(".el-rows > li:not([hidden]) .el-num").all_inner_texts()]


def test_the_umpire_runs_the_event_list_and_players_never_see_a_controller_note(live_server, exercises, watched):
    created = exercises.create("demo")
    # The history row (Briefing +00) skipped before the start: a change of phase fires what fell due.
    exercises.execute(created.id, SkipInject("deal-signed-history"), UMPIRE_ACTOR)
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    base = live_server.url
    umpire, ukraine, russia = umpire_and_members(watched, base, created, ukraine="Olena", russia="Dmitri")

    event_list = umpire.locator("#event-list")
    expect(event_list.locator(".el-next")).to_contain_text("Next: #2 Missiles hit the port of Odesa in 10 min")
    expect(event_row(umpire, 2)).to_contain_text("Talks +10")
    expect(event_row(umpire, 3)).to_contain_text("unscheduled")

    # Add a row for Ukraine only, with notes for controllers; what is being typed elsewhere survives updates.
    add = event_list.locator(".el-add")
    add.locator("summary").click()
    add.get_by_label("Title").fill("Convoy spotted at dawn")
    add.get_by_label("Text", exact=True).fill("Your coast guard reports a convoy of six ships heading for Odesa.")
    add.get_by_label("Kind").select_option("intelligence")
    add.get_by_label("From (sender)").fill("Coast guard")
    add.get_by_label("Chosen delegations").check()
    add.locator(".recipients").get_by_label("Ukraine").check()
    add.get_by_label("Phase").select_option("talks")
    add.get_by_label("Minute of play").fill("20")
    add.get_by_label("Change to Escalation risk").fill("2")
    add.get_by_label("Expected player action").fill("EXPECTED-Ukraine asks Turkey to inspect")
    add.get_by_label("Controller note").fill("CONTROLLER-NOTE-fire only if talks stall")
    add.get_by_label("Scenario date").fill("23 July 2022")
    add.get_by_role("button", name="Add to the event list").click()
    added = event_row(umpire, 5)
    expect(added).to_contain_text("Talks +20")
    expect(added).to_contain_text("Convoy spotted at dawn")
    expect(added).to_contain_text("to Ukraine")
    expect(added).to_contain_text("from Coast guard")
    expect(add.get_by_label("Title")).to_have_value("")

    add.get_by_label("Title").fill("Half-typed row")  # kept while the list below changes

    # Fire a row as written: it reaches everyone.
    event_row(umpire, 4).get_by_role("button", name="Fire inject: The first ship sails").click()
    expect(event_row(umpire, 4)).to_contain_text("fired ✓")
    expect(russia.locator(".banners > .banner--inject")).to_contain_text("The first ship sails")

    # Fire an edited copy of the Ukraine-only row, to Russia as well: the row keeps its text.
    warships = event_row(umpire, 3)
    warships.locator(".inject-more summary").click()
    warships.get_by_role("button", name="Fire an edited copy of #3").click()
    copy = warships.locator(".el-form-slot")
    expect(copy.get_by_label("Title")).to_have_value("Intelligence: warships shadow the route")
    expect(copy.get_by_label("Ukraine")).to_be_checked()
    copy.get_by_label("Title").fill("Warships shadow the route (revised)")
    copy.get_by_label("Russia").check()
    copy.get_by_role("button", name="Fire edited copy of #3").click()
    expect(warships).to_contain_text("fired to Ukraine, Russia")
    expect(russia.locator(".banners > .banner--inject")).to_contain_text("Warships shadow the route (revised)")
    expect(warships.locator(".inject-row-title")).to_contain_text("Intelligence: warships shadow the route")

    # Delay, skip and put back, move.
    odesa = event_row(umpire, 2)
    odesa.get_by_role("button", name="+5 min: delay #2").click()
    expect(odesa).to_contain_text("Talks +15")
    expect(event_list.locator(".el-next")).to_contain_text("#2 Missiles hit the port of Odesa in 15 min")
    odesa.locator(".inject-more summary").click()
    odesa.get_by_role("button", name="Delay by some minutes: #2").click()
    odesa.get_by_label("Delay #2 by (minutes)").fill("-3")
    odesa.locator(".el-form-slot").get_by_role("button", name="Delay", exact=True).click()
    expect(odesa).to_contain_text("Talks +12")
    history = event_row(umpire, 1)
    expect(history).to_contain_text("skipped")
    event_list.get_by_role("radio", name="Skipped (1)").check()
    assert row_numbers(umpire) == ["#1"]
    history.get_by_role("button", name="Put back #1").click()
    expect(history).to_contain_text("pending")
    expect(history).to_contain_text("not fired: its phase is over")
    event_list.get_by_role("radio", name="All (5)").check()
    history.get_by_role("button", name="Skip #1").click()
    expect(history).to_contain_text("skipped")
    history.get_by_role("button", name="Put back #1").click()
    expect(history).to_contain_text("pending")
    added.get_by_role("button", name="Move #5 up").click()
    expect(umpire.locator(".el-rows > li").nth(3)).to_have_attribute("data-inject", "row-5")
    assert row_numbers(umpire) == ["#1", "#2", "#3", "#5", "#4"]
    event_row(umpire, 1).get_by_role("button", name="Move #1 down").click()
    expect(umpire.locator(".el-rows > li").first).to_have_attribute("data-inject", "odesa-strike")

    # Edit a pending row: every field, prefilled.
    odesa.get_by_role("button", name="Edit #2").click()
    edit = odesa.locator(".el-form-slot")
    expect(edit.get_by_label("Minute of play")).to_have_value("12")
    edit.get_by_label("Title").fill("Missiles hit the port of Odesa again")
    edit.get_by_role("button", name="Save #2").click()
    expect(odesa.locator(".inject-row-title")).to_contain_text("Missiles hit the port of Odesa again")
    expect(edit).to_be_empty()

    # The added row goes to Ukraine alone; its notes are the umpire's.
    added.locator(".inject-more summary").click()
    expect(added.locator(".el-info")).to_contain_text("controllers only")
    expect(added.locator(".el-info")).to_contain_text("CONTROLLER-NOTE-fire only if talks stall")
    added.get_by_role("button", name="Fire inject: Convoy spotted at dawn").click()
    expect(ukraine.locator(".banners > .banner--inject")).to_contain_text("Convoy spotted at dawn")
    tab(ukraine, "Situation")
    expect(ukraine.locator(".injects-received")).to_contain_text("convoy of six ships")
    tab(ukraine, "Timeline")
    for page in (ukraine, russia):
        html = page.content()
        assert "CONTROLLER-NOTE" not in html and "EXPECTED-Ukraine" not in html
    assert "Convoy spotted" not in russia.content()
    event_list.get_by_role("radio", name="Fired (3)").check()
    assert row_numbers(umpire) == ["#3", "#5", "#4"]
    event_list.get_by_role("radio", name="All (5)").check()

    expect(add.get_by_label("Title")).to_have_value("Half-typed row")

    # Ask me: kept by the server, so after a reload too.
    event_list.get_by_label("ask me").check()
    tab(umpire, "Timeline")
    expect(umpire.locator(".timeline")).to_contain_text("Due injects now wait for the umpire")
    umpire.reload()
    expect(umpire.get_by_test_id("connection")).to_have_attribute("data-status", "live")
    tab(umpire, "Control")
    expect(umpire.locator("#event-list").get_by_label("ask me")).to_be_checked()
    expect(umpire.locator("#event-list").get_by_label("automatically")).not_to_be_checked()
    umpire.locator("#event-list").scroll_into_view_if_needed()
    screenshot(umpire, "umpire-event-list")


def test_a_csv_file_with_mistakes_is_explained_line_by_line_and_the_list_exports(live_server, exercises, watched):
    created = talks(exercises)
    umpire = watched.page(label="umpire")
    open_console(umpire, f"{live_server.url}/umpire#token={created.umpire_token}")
    event_list = umpire.locator("#event-list")

    with umpire.expect_download() as download:
        event_list.get_by_role("button", name="Export CSV").click()
    exported = download.value.path().read_text(encoding="utf-8-sig")
    assert exported.startswith("number,") and "Missiles hit the port of Odesa" in exported

    header = ("number,time,from,to,subject,message,expected action,controller note,type,delivery,scenario date,"
              "historical,effects,id\n")
    bad = header + (",talks +5,,everyone,Good row,Some text,,,contingency,banner,,,,\n"
                    ",nowhere +5,,everyone,Bad row,Other text,,,contingency,banner,,,,\n")
    watched.allow("status of 400")  # the refused import, as the browser logs it
    event_list.get_by_label("Import CSV").set_input_files(
        files=[{"name": "plan.csv", "mimeType": "text/csv", "buffer": bad.encode()}])
    importing = event_list.locator("button[data-key='import-csv']")
    importing.click()
    importing.click()  # confirm: it replaces the pending rows
    errors = event_list.locator(".el-import-errors")
    expect(errors).to_contain_text("Nothing was imported")
    expect(errors.locator("li")).to_have_count(1)
    expect(errors.locator("li")).to_contain_text("Line 3, column “time”: unknown phase 'nowhere'")
    expect(event_row(umpire, 2)).to_contain_text("Missiles hit the port of Odesa")

    good = header + (",talks +5,,everyone,First news,Some text,,,contingency,banner,,,,\n"
                     ",,,ukraine,Second news,Other text,,,intelligence,banner,,,,\n")
    event_list.get_by_label("Import CSV").set_input_files(
        files=[{"name": "plan.csv", "mimeType": "text/csv", "buffer": good.encode()}])
    importing.click()
    importing.click()
    expect(event_list.locator(".el-import-ok")).to_contain_text("Imported 2 rows")
    fired = [r for r in exercises.state(created.id).injects.rows if r.status != "pending"]  # kept by an import
    expect(umpire.locator(".el-rows > li")).to_have_count(2 + len(fired))
    expect(umpire.locator(".el-rows")).to_contain_text("First news")
    expect(umpire.locator(".el-rows")).to_contain_text("Talks +05")


def test_after_the_end_nothing_can_be_fired_or_changed(live_server, exercises, watched):
    created = talks(exercises)
    exercises.execute(created.id, EndExercise(), UMPIRE_ACTOR)
    umpire = watched.page(label="umpire")
    open_console(umpire, f"{live_server.url}/umpire#token={created.umpire_token}")
    event_list = umpire.locator("#event-list")
    expect(event_list.locator(".el-next")).to_contain_text("The exercise has ended")
    expect(event_list.locator(".inject-row")).to_have_count(4)
    expect(event_list.get_by_role("button", name="Fire inject")).to_have_count(0)
    expect(event_list.get_by_role("button", name="Skip")).to_have_count(0)
    expect(event_list.get_by_role("button", name="Fire an edited copy")).to_have_count(0)
    expect(event_list.get_by_label("ask me")).to_be_disabled()
    expect(event_list.get_by_label("Import CSV")).to_be_disabled()
    expect(event_list.get_by_role("button", name="Export CSV")).to_be_enabled()
    event_list.locator(".el-add summary").click()
    expect(event_list.get_by_role("button", name="Add to the event list")).to_be_disabled()
    expect(umpire.get_by_role("button", name="Fire ad hoc inject")).to_be_disabled()


def test_a_csv_file_that_is_not_utf8_is_refused_not_garbled(live_server, exercises, watched):
    """Excel's plain "CSV" is Windows-1252: its bytes go to the server as they are, which refuses them."""
    created = talks(exercises)
    umpire = watched.page(label="umpire")
    open_console(umpire, f"{live_server.url}/umpire#token={created.umpire_token}")
    event_list = umpire.locator("#event-list")
    before = row_numbers(umpire)

    header = ("number,time,from,to,subject,message,expected action,controller note,type,delivery,scenario date,"
              "historical,effects,id\n")
    excel = header + ",talks +5,,everyone,Café crème,Une réunion au café,,,contingency,banner,,,,\n"
    watched.allow("status of 400")  # the refused import, as the browser logs it
    event_list.get_by_label("Import CSV").set_input_files(
        files=[{"name": "plan.csv", "mimeType": "text/csv", "buffer": excel.encode("cp1252")}])
    importing = event_list.locator("button[data-key='import-csv']")
    importing.click()
    importing.click()  # confirm
    errors = event_list.locator(".el-import-errors")
    expect(errors).to_contain_text("Nothing was imported")
    expect(errors.locator("li")).to_contain_text("not UTF-8 text: save the file as 'CSV UTF-8'")
    assert row_numbers(umpire) == before
    assert "Caf" not in umpire.locator(".el-rows").inner_text()
    assert not any(r.title.startswith("Caf") for r in exercises.state(created.id).injects.rows)


def test_row_details_are_readable_on_a_phone(live_server, exercises, watched):
    """Long labels (expected action, controller note) leave the text its room: above it on a phone, in a
    bounded column of the same width in every row on a wide screen."""
    created = talks(exercises)
    note = "Fire only if the talks stall for more than ten minutes; otherwise skip it and say so at the debrief."
    exercises.execute(created.id, AddInject(InjectRow(
        title="Convoy spotted at dawn", text="Your coast guard reports a convoy of six ships.",
        expected_action="Ukraine asks Turkey to inspect the convoy before it reaches Odesa.",
        controller_note=note)), UMPIRE_ACTOR)
    umpire = watched.page(viewport=PHONE, label="umpire")
    open_console(umpire, f"{live_server.url}/umpire#token={created.umpire_token}")
    tab(umpire, "Control")
    row = event_row(umpire, 5)
    row.locator(".inject-more summary").click()
    value = row.locator(".el-info dd", has=umpire.locator(".el-note"))
    expect(value).to_contain_text(note)
    value.scroll_into_view_if_needed()
    assert value.bounding_box()["width"] >= 250
    expected = row.locator(".el-info dd", has_text="Ukraine asks Turkey")
    assert expected.bounding_box()["width"] >= 250
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    umpire.screenshot(path=str(SCREENSHOTS / "umpire-event-row-details-390x844.png"))

    # Wide: the label column is bounded, and as wide in a row without long labels as in this one.
    umpire.set_viewport_size({"width": 1366, "height": 768})
    event_row(umpire, 2).locator(".inject-more summary").click()
    label = lambda n: event_row(umpire, n).locator(".el-info dt").first.bounding_box()["width"]
    assert label(5) == label(2)
    assert label(5) <= 12 * 16 + 1
    assert value.bounding_box()["width"] >= 400
    value.scroll_into_view_if_needed()
    umpire.screenshot(path=str(SCREENSHOTS / "umpire-event-row-details-1366x768.png"))
