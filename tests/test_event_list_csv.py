"""The event list (MSEL) as a CSV file: export, parse and import, exactly; every problem on its line and column;
the command line and REST."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitator.decks import load_deck, load_notes
from facilitator.engine import FireInject, RuleError, run
from facilitator.engine.audience import UMPIRE_ACTOR
from facilitator.engine.deck import DELIVERIES
from facilitator.engine.guards import clean_text
from facilitator.engine.injects import KINDS, AddInject, BeliefDelta, PollRow, ImportEventList, IndicatorDelta, InjectRow, MoveInject, \
    SkipInject
from facilitator.engine.state import initial_state
from facilitator.event_list_csv import COLUMNS, CsvError, decode, engine_problems, export_csv, import_csv, parse_csv

ROOT = Path(__file__).resolve().parent.parent
DECKS = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
HEADER = ",".join(COLUMNS)
GOOD = ("7,talks +15,Reuters,ukraine; Russia,Ships sail,The first ships leave Odesa.,Welcome it,Watch Turkey,"
        "hypothetical,news,1 Aug 2022,hypothetical,grain +5; trust +2,")


def csv_of(*rows: str, header: str = HEADER) -> str:
    return "\r\n".join([header, *rows]) + "\r\n"


def good(**cells: str) -> str:
    """The GOOD row with some cells replaced (by column name, spaces as underscores)."""
    values = next(csv.reader([GOOD]))
    for name, value in cells.items():
        values[COLUMNS.index(name.replace("_", " "))] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(values)
    return out.getvalue()[:-2]


def as_given(row) -> InjectRow:
    """A row of the state as the umpire would write it (what an exact parse must give back)."""
    audience = row.audience if isinstance(row.audience, str) else "delegations"
    to = row.audience if isinstance(row.audience, tuple) else ()
    return InjectRow(row.title, row.text, row.kind, row.sender, audience, to, row.delivery, row.phase, row.minute,
                     tuple(IndicatorDelta(k, v) for k, v in row.effects.indicators.items()), row.effects.trust,
                     row.effects.readiness, tuple(BeliefDelta(b.holder, b.about, b.by) for b in row.effects.beliefs),
                     tuple(PollRow(p.indicator, p.margin) for p in row.effects.polls),
                     row.expected_action, row.controller_note, row.scenario_date,
                     row.historical, row.number, row.id)


def normalised(row):
    """``row`` with its texts as the engine stores what an umpire writes (``clean_text``)."""
    return replace(row, title=clean_text(row.title, False), text=clean_text(row.text),
                   sender=clean_text(row.sender, False), expected_action=clean_text(row.expected_action),
                   controller_note=clean_text(row.controller_note),
                   scenario_date=clean_text(row.scenario_date, False))


@pytest.fixture(scope="module")
def demo():
    return load_deck(ROOT / "scenarios" / "demo.yaml", load_notes(ROOT / "seeds")).deck


@pytest.fixture
def exercise(exercises):
    return exercises.create("demo").id


def problems_of(text: str, deck) -> list[tuple[int, str | None, str]]:
    with pytest.raises(CsvError) as info:
        parse_csv(text, deck)
    return [(p.line, p.column, p.message) for p in info.value.problems]


# ---- round trips ------------------------------------------------------------------------------------

@pytest.mark.parametrize("deck_id", DECKS)
def test_every_shipped_deck_round_trips(exercises, deck_id):
    exercise_id = exercises.create(deck_id).id
    before = exercises.state(exercise_id).injects.rows
    assert before, f"{deck_id} has an event list"
    text = export_csv(exercises.state(exercise_id))
    # The file says exactly what the rows say: every field of every row, in order.
    assert parse_csv(text, exercises.deck(exercise_id)) == tuple(as_given(r) for r in before)
    assert import_csv(exercises, exercise_id, text, UMPIRE_ACTOR) == len(before)
    # Importing stores texts as the engine stores whatever an umpire writes; nothing else
    # moves: ids, numbers, order, deck links (inject, sources), times, audiences, effects.
    assert exercises.state(exercise_id).injects.rows == tuple(normalised(r) for r in before)
    again = export_csv(exercises.state(exercise_id))
    seq = exercises.state(exercise_id).seq
    assert import_csv(exercises, exercise_id, again, UMPIRE_ACTOR) == len(before)
    assert exercises.state(exercise_id).seq == seq + 1
    assert exercises.state(exercise_id).injects.rows == tuple(normalised(r) for r in before)
    assert export_csv(exercises.state(exercise_id)) == again


def test_deck_rows_survive_an_import_byte_for_byte(exercises):
    exercise_id = exercises.create("demo").id
    before = exercises.state(exercise_id).injects.rows
    import_csv(exercises, exercise_id, export_csv(exercises.state(exercise_id)), UMPIRE_ACTOR)
    assert exercises.state(exercise_id).injects.rows == before


def test_a_moved_row_keeps_its_place(exercises, exercise):
    exercises.execute(exercise, MoveInject("first-ship", before="deal-signed-history"), UMPIRE_ACTOR)
    import_csv(exercises, exercise, export_csv(exercises.state(exercise)), UMPIRE_ACTOR)
    import_csv(exercises, exercise, export_csv(exercises.state(exercise)), UMPIRE_ACTOR)
    assert [r.id for r in exercises.state(exercise).injects.rows][0] == "first-ship"


def test_a_row_with_every_field_and_awkward_texts_round_trips(exercises, exercise):
    awkward = InjectRow(
        '=HYPERLINK("x"), +1; -2 @ "quoted"', 'Line one, with a comma;\nline "two"\n\tindented\n\nлінія 3 — ok',
        "ad hoc", sender="-Reuters", audience="delegations", to=("turkey", "un"), delivery="message",
        phase=None, minute=45, indicators=(IndicatorDelta("grain", -1000), IndicatorDelta("escalation", 0)),
        trust=-100, readiness=10, expected_action="@umpire: watch", controller_note="'=not a formula",
        scenario_date="+3 days", historical=True)
    exercises.execute(exercise, AddInject(awkward), UMPIRE_ACTOR)
    exercises.execute(exercise, AddInject(InjectRow("Umpire only", "For control.", "contingency",
                                                    audience="umpire", phase="talks")), UMPIRE_ACTOR)
    import_csv(exercises, exercise, export_csv(exercises.state(exercise)), UMPIRE_ACTOR)  # deck texts cleaned
    before = exercises.state(exercise).injects.rows
    text = export_csv(exercises.state(exercise))
    assert "'=HYPERLINK" in text and "'-Reuters" in text and "''=not a formula" in text  # no formula in Excel
    assert ",talks,," in text and ",+45," in text and "grain -1000; escalation +0; trust -100; readiness +10" in text
    assert import_csv(exercises, exercise, text, UMPIRE_ACTOR) == 6
    assert exercises.state(exercise).injects.rows == before
    added = before[4]
    assert (added.title, added.sender, added.controller_note, added.audience) == \
        ('=HYPERLINK("x"), +1; -2 @ "quoted"', "-Reuters", "'=not a formula", ("turkey", "un"))


def test_fired_and_skipped_rows_are_exported_but_left_as_they_were(exercises, exercise):
    exercises.execute(exercise, FireInject("deal-signed-history"), UMPIRE_ACTOR)
    exercises.execute(exercise, SkipInject("warships-report"), UMPIRE_ACTOR)
    before = exercises.state(exercise).injects.rows
    text = export_csv(exercises.state(exercise))
    assert text.count("\r\n1,") == 1 and "deal-signed-history" in text and "warships-report" in text
    changed = text.replace("History: the July 2022 grain deal", "Rewritten").replace("odesa-strike", "odesa")
    assert import_csv(exercises, exercise, changed, UMPIRE_ACTOR) == 2  # the two rows still to come
    after = {r.id: r for r in exercises.state(exercise).injects.rows}
    assert after["deal-signed-history"] == before[0] and after["deal-signed-history"].status == "fired"
    assert after["warships-report"] == before[2] and after["warships-report"].status == "skipped"
    assert "odesa-strike" not in after and after["odesa"].inject is None and after["odesa"].sources == ()


def test_a_controllers_spreadsheet_file_is_read_as_meant(demo):
    # Excel in a European locale: a byte-order mark, ';' between cells, CRLF, the plus sign of '+5' dropped,
    # delegation and phase names in any case, a minus sign from a word processor, trailing empty cells.
    text = ("\ufeffNumber;Time;From;To;Subject;Message;Expected_Action;Controller note;Type;Delivery;"
            "Scenario date;Historical;Effects;ID;;\r\n"
            "1;Talks +15;;\"United nations; TURKEY\";Ships sail;\"The ships; they sail.\";;;Hypothetical;;;;"
            "Grain +5, escalation \u22123;;;\r\n"
            ";;;;;;;;;;;;;;;\r\n"
            "2;5;;Everyone;Rumour;A rumour.;;;ad-hoc;NEWS;;historical;;rumour;;\r\n"
            "3;briefing;control;umpire;Note;For control only.;;;contingency;banner;;;trust -5;;;\r\n"
            "4;;;ukraine;Intel;Eyes only.;;;intelligence;message;24 Aug 2022;;readiness 1;;;\r\n")
    rows = parse_csv(text, demo)
    assert rows == (
        InjectRow("Ships sail", "The ships; they sail.", "hypothetical", "", "delegations", ("un", "turkey"),
                  "banner", "talks", 15, (IndicatorDelta("grain", 5), IndicatorDelta("escalation", -3)),
                  historical=False, number=1),
        InjectRow("Rumour", "A rumour.", "ad hoc", "", "all", (), "news", None, 5, historical=True, number=2,
                  id="rumour"),
        InjectRow("Note", "For control only.", "contingency", "control", "umpire", (), "banner", "briefing", None,
                  trust=-5, number=3),
        InjectRow("Intel", "Eyes only.", "intelligence", "", "delegations", ("ukraine",), "message",
                  readiness=1, scenario_date="24 Aug 2022", number=4),
    )


def test_a_file_naming_its_delimiter_and_rows_without_numbers(exercises, exercise):
    text = "sep=;\r\n" + csv_of(good(number="", id=""), good(number="", subject="Second")).replace(",", ";")
    text = text.replace("ukraine; Russia", "ukraine").replace("grain +5; trust +2", "grain +5")
    assert import_csv(exercises, exercise, text, UMPIRE_ACTOR) == 2
    rows = exercises.state(exercise).injects.rows
    assert [(r.number, r.id, r.title) for r in rows] == [(1, "row-1", "Ships sail"), (2, "row-2", "Second")]


# ---- the property: any valid event list survives export and import --------------------------------------

def _texts(lines: bool, most: int):
    tricky = st.sampled_from(["=SUM(A1:A3)", "+15", "-5 tension", "@here", "'=x", "''+y", "'plain", "a,b;c",
                              'say "hi"', "x\ny", "\r\n", " ", "ñ\u0301", "\ufeffbom", "tab\there", "#1"])
    plain = st.text(st.characters(exclude_categories=("Cs",)), max_size=most)
    return st.lists(st.one_of(tricky, plain), min_size=1, max_size=3).map("".join).map(
        lambda s: s[:most]).filter(lambda s: len(clean_text(s, lines)) <= most)


def _rows(deck):
    delegations = [d.id for d in deck.delegations]
    audiences = st.one_of(st.just(("all", ())), st.just(("umpire", ())),
                          st.lists(st.sampled_from(delegations), min_size=1, unique=True).map(
                              lambda to: ("delegations", tuple(to))))
    row = st.builds(
        lambda title, text, audience, **kw: InjectRow(title, text, audience=audience[0], to=audience[1], **kw),
        title=_texts(False, 60).filter(lambda s: clean_text(s, False)),
        text=_texts(True, 300).filter(clean_text),
        audience=audiences,
        kind=st.sampled_from(KINDS), sender=_texts(False, 40) | st.just(""), delivery=st.sampled_from(DELIVERIES),
        phase=st.none() | st.sampled_from([p.id for p in deck.phases]), minute=st.none() | st.integers(0, 600),
        indicators=st.dictionaries(st.sampled_from([i.id for i in deck.indicators]), st.integers(-1000, 1000))
        .map(lambda d: tuple(IndicatorDelta(k, v) for k, v in d.items())),
        trust=st.integers(-100, 100), readiness=st.integers(-10, 10),
        expected_action=_texts(True, 100) | st.just(""), controller_note=_texts(True, 100) | st.just(""),
        scenario_date=_texts(False, 40) | st.just(""), historical=st.booleans(),
        number=st.none() | st.integers(1, 99_000),  # the engine numbers unnumbered rows past the largest
        id=st.none() | st.from_regex(r"[a-z][a-z0-9-]{0,30}", fullmatch=True) | st.sampled_from(
            [i.id for i in deck.injects]))
    return st.lists(row, max_size=8, unique_by=(lambda r: r.number or object(), lambda r: r.id or object()))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_any_valid_event_list_survives_export_and_import(demo, data):
    state = initial_state(demo, "seed")
    if data.draw(st.booleans(), label="fire a row first"):
        state = run(state, FireInject("odesa-strike"), UMPIRE_ACTOR, T0)[1]
    rows = data.draw(_rows(demo), label="rows")
    try:
        state = run(state, ImportEventList(tuple(rows)), UMPIRE_ACTOR, T0)[1]
    except RuleError as exc:  # an id the generator made twice (row-N, or a fired deck row's): not a valid list
        assert exc.fields and all("used twice" in m for m in exc.fields.values()), exc.fields
        return
    text = export_csv(state)
    parsed = parse_csv(text, demo)
    assert parsed == tuple(as_given(r) for r in state.injects.rows)
    after = run(state, ImportEventList(parsed), UMPIRE_ACTOR, T0)[1]
    assert after.injects.rows == state.injects.rows
    assert export_csv(after) == text
    # The same file as Excel saves it in a ';' locale, with a byte-order mark, reads the same.
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(csv.reader(io.StringIO(text, newline="")))
    assert parse_csv("\ufeff" + out.getvalue(), demo) == parsed


# ---- broken files: every problem on its line and column --------------------------------------------------

BROKEN = {
    "unknown delegation": (csv_of(GOOD, good(number="8", to="ukraine; atlantis")),
                           [(3, "to", "unknown delegation 'atlantis': the delegations are ukraine, russia, turkey, "
                                      "un (or everyone, umpire)")]),
    "bad time (a clock time)": (csv_of(good(time="10:15")), [(2, "time", "'10:15' is not a time")]),
    "negative minutes": (csv_of(good(time="talks -5")), [(2, "time", "'talks -5': minutes into a phase cannot "
                                                                     "be negative")]),
    "minute over 600": (csv_of(good(time="+601")), [(2, "time", "minute 601 is over 600")]),
    "unknown phase": (csv_of(good(time="overtime +5")), [(2, "time", "unknown phase 'overtime': the phases are "
                                                                      "briefing, talks, signing, aftermath")]),
    "missing message": (csv_of(good(message="  ")), [(2, "message", "empty: every row needs a message")]),
    "missing subject": (csv_of(good(subject="")), [(2, "subject", "empty: every row needs a subject")]),
    "empty to": (csv_of(good(to="")), [(2, "to", "empty: write everyone, umpire, or delegation ids")]),
    "unknown column": (csv_of(GOOD + ",red", header=HEADER + ",Colour"),
                       [(1, "Colour", "unknown column 'Colour': the columns are number, time, from")]),
    "missing column": (csv_of(header=HEADER.replace(",effects", "")),
                       [(1, "effects", "missing column 'effects'")]),
    "repeated column": (csv_of(header=HEADER + ",to"), [(1, "to", "column 'to' appears twice (cells 4 and 15)")]),
    "duplicate number": (csv_of(GOOD, good(subject="Again")), [(3, "number", "number 7 is used twice (also on "
                                                                              "line 2)")]),
    "duplicate id": (csv_of(good(id="x"), good(number="8", id="x")), [(3, "id", "id 'x' is used twice")]),
    "bad number": (csv_of(good(number="seven")), [(2, "number", "'seven' is not a row number")]),
    "unknown indicator": (csv_of(good(effects="tension +5")),
                          [(2, "effects", "unknown indicator 'tension': the indicators are escalation, grain, "
                                          "ua-support (and trust, readiness)")]),
    "effect without a change": (csv_of(good(effects="grain lots")), [(2, "effects", "'grain lots' is not an "
                                                                                    "effect")]),
    "effect too large": (csv_of(good(effects="trust -101")), [(2, "effects", "trust -101: a change is at most "
                                                                             "100 either way")]),
    "effect twice": (csv_of(good(effects="grain +1; Grain -1")), [(2, "effects", "'grain' is given twice")]),
    "bad historical": (csv_of(good(historical="maybe")), [(2, "historical", "'maybe': write historical or "
                                                                            "hypothetical")]),
    "bad type": (csv_of(good(type="rumour")), [(2, "type", "unknown type 'rumour': write one of historical, "
                                                           "hypothetical, intelligence, contingency, ad hoc")]),
    "empty type": (csv_of(good(type="")), [(2, "type", "empty: write one of historical")]),
    "bad delivery": (csv_of(good(delivery="carrier pigeon")),
                     [(2, "delivery", "unknown delivery 'carrier pigeon': write one of banner, news, message")]),
    "a cell under no column": (csv_of(GOOD + ",stray"), [(2, None, "cell 15 ('stray') is under no column")]),
    "unterminated quote": (csv_of(GOOD, '8,,,everyone,"Open,never closed'), [(3, None, "not valid CSV")]),
    "too many rows": (csv_of(*(good(number=str(n)) for n in range(1, 502))),
                      [(502, None, "over 500 rows: an event list has at most 500")]),
    "empty file": ("", [(1, None, "the file is empty: the first line must name the columns number, time")]),
    "blank lines only": ("\ufeff\r\n \r\n", [(1, None, "the file is empty")]),
    "not a CSV event list": ("Dear controllers,\nplease find attached.\n",
                             [(1, None, "no header row: the first line must name the columns number, time")]),
    "data where the header should be": (GOOD + "\r\n", [(1, None, "no header row")]),
    "a binary file": ("PK\x03\x04\x00\x00", [(1, None, "not a CSV text file (it holds NUL characters)")]),
}


@pytest.mark.parametrize("name", BROKEN)
def test_a_broken_file_names_the_line_and_column_of_each_problem(demo, name):
    text, expected = BROKEN[name]
    found = problems_of(text, demo)
    assert [(line, column) for line, column, _ in found] == [(line, column) for line, column, _ in expected], found
    for (_, _, message), (_, _, start) in zip(found, expected):
        assert message.startswith(start), (message, start)


def test_lines_count_the_line_breaks_inside_quoted_cells(demo):
    text = csv_of(good(message="One\nTwo\nThree"), "", good(number="8", to="atlantis"))
    assert problems_of(text, demo) == [(6, "to", "unknown delegation 'atlantis': the delegations are ukraine, "
                                                 "russia, turkey, un (or everyone, umpire)")]


def test_every_problem_of_a_file_is_listed_in_line_order(demo):
    text = csv_of(good(to="atlantis", type="rumour"), good(number="8"), good(number="9", time="10:15", subject=""))
    assert [(line, column) for line, column, _ in problems_of(text, demo)] == \
        [(2, "to"), (2, "type"), (4, "time"), (4, "subject")]


def test_files_that_are_not_utf8_or_too_large_are_refused():
    with pytest.raises(CsvError) as info:
        decode("number;subject\r\n1;Caf\u00e9\r\n".encode("cp1252"))
    assert [(p.line, p.column) for p in info.value.problems] == [(2, None)]
    assert "not UTF-8 text: save the file as 'CSV UTF-8'" in str(info.value)
    with pytest.raises(CsvError) as info:
        decode(b"x" * (1024 * 1024 + 1))
    assert "over 1 MiB" in info.value.problems[0].message
    assert decode("\ufeffnumber".encode("utf-8")) == "number"


def test_a_text_over_1_mib_is_refused(demo):
    assert problems_of(csv_of(good(message="x" * (1024 * 1024))), demo)[0][:2] == (1, None)


# ---- the engine's problems, on the file's lines and columns --------------------------------------------

def test_the_engines_problems_come_back_on_the_row_line_and_column(exercises, exercise):
    exercises.execute(exercise, FireInject("deal-signed-history"), UMPIRE_ACTOR)
    # Ids the file cannot know are taken: a fired row's, and the one the engine gives an unnumbered row.
    text = csv_of(good(number="8"), good(number="9", id="deal-signed-history"), good(number="10"),
                  good(number="11", id="row-10"))
    with pytest.raises(CsvError) as info:
        import_csv(exercises, exercise, text, UMPIRE_ACTOR)
    assert [(p.line, p.column, p.message) for p in info.value.problems] == [
        (3, "id", "id 'deal-signed-history' is used twice"), (5, "id", "id 'row-10' is used twice")]


def test_engine_fields_map_to_columns():
    exc = RuleError("invalid", "…", {"rows.0.phase": "unknown phase 'x'", "rows.1.indicators.0": "unknown "
                                     "indicator 'y'", "rows.1.to": "empty", "rows.2.kind": "one of a, b",
                                     "rows.2.minute": "0 to 600", "rows.2.title": "empty"})
    assert [(p.line, p.column, p.message) for p in engine_problems(exc, [2, 5, 9])] == [
        (2, "time", "unknown phase 'x'"), (5, "effects", "unknown indicator 'y'"),
        (5, "to", "empty: this column must be filled in"), (9, "type", "must be one of a, b"),
        (9, "time", "0 to 600"), (9, "subject", "empty: this column must be filled in")]
    assert engine_problems(RuleError("forbidden", "No."), [2]) is None
    assert engine_problems(RuleError("invalid", "No.", {"inject": "unknown"}), [2]) is None


def test_nothing_is_imported_when_one_row_is_bad(exercises, exercise):
    state = exercises.state(exercise)
    good_rows = export_csv(state).rstrip("\r\n").split("\r\n")[1:]
    for bad in (good(number="9", to="atlantis"), good(number="9", subject="S" * 121)):
        with pytest.raises(CsvError) as info:
            import_csv(exercises, exercise, csv_of(*good_rows, bad), UMPIRE_ACTOR)
        assert [p.line for p in info.value.problems] == [csv_of(*good_rows).count("\n") + 1]
        after = exercises.state(exercise)
        assert after.seq == state.seq and after.injects == state.injects


def test_other_refusals_are_the_engines(exercises, exercise):
    with pytest.raises(RuleError) as info:
        import_csv(exercises, "no-such-exercise", csv_of(GOOD), UMPIRE_ACTOR)
    assert info.value.code == "not_found"
    from facilitator.engine import Actor
    with pytest.raises(RuleError) as info:
        import_csv(exercises, exercise, csv_of(GOOD), Actor("delegation", "ukraine", "p-1", "Olena"))
    assert info.value.code == "forbidden"


# ---- the command line ----------------------------------------------------------------------------------

def test_cli_exports_to_stdout_and_to_a_file_that_imports_back(runner, exercises, exercise, tmp_path):
    shown = runner.invoke(args=["event-list", "export", exercise])
    assert shown.exit_code == 0, shown.output
    assert shown.stdout_bytes.startswith(HEADER.encode() + b"\r\n") and "odesa-strike" in shown.output
    path = tmp_path / "msel.csv"
    written = runner.invoke(args=["event-list", "export", exercise, str(path)])
    assert written.exit_code == 0 and written.output == f"Wrote 4 rows to {path}.\n"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf" + HEADER.encode())
    imported = runner.invoke(args=["event-list", "import", exercise, str(path)])
    assert imported.exit_code == 0, imported.output
    assert imported.output == "Imported 4 rows.\n"


def test_cli_import_prints_each_problem_on_its_line_and_exits_1(runner, exercises, exercise, tmp_path):
    path = tmp_path / "msel.csv"
    path.write_text(csv_of(GOOD, good(number="8", to="atlantis"), good(number="9", time="later")),
                    encoding="utf-8", newline="")
    before = exercises.state(exercise).seq
    result = runner.invoke(args=["event-list", "import", exercise, str(path)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{path}:3: column 'to': unknown delegation 'atlantis': the delegations are ukraine, russia, turkey, un "
        "(or everyone, umpire)",
        f"{path}:4: column 'time': unknown phase 'later': the phases are briefing, talks, signing, aftermath",
        "2 problem(s); nothing was imported."]
    assert exercises.state(exercise).seq == before


def test_cli_refuses_an_unknown_exercise(runner, tmp_path):
    path = tmp_path / "msel.csv"
    path.write_text(csv_of(GOOD), encoding="utf-8")
    for args in (["export", "nope"], ["import", "nope", str(path)]):
        result = runner.invoke(args=["event-list", *args])
        assert result.exit_code == 1 and "There is no exercise 'nope'." in result.output


# ---- REST ------------------------------------------------------------------------------------------------

@pytest.fixture
def created(client):
    response = client.post("/api/exercises", json={"deck": "demo", "title": "Tuesday class: Чорне море"})
    assert response.status_code == 201
    return response.get_json()


def bearer(token: str, **headers) -> dict:
    return {"Authorization": f"Bearer {token}", **headers}


def delegation_token(client, created) -> str:
    code = created["delegations"][0]["code"]
    return client.post("/api/join", json={"code": code, "name": "Olena"}).get_json()["token"]


def test_rest_export_is_exercise_controls_only(client, created):
    url = f"/api/exercises/{created['id']}/event-list.csv"
    response = client.get(url, headers=bearer(created["umpire"]["token"]))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"tuesday-class-event-list.csv\"; filename*=UTF-8''Tuesday%20class%3A%20"
        "%D0%A7%D0%BE%D1%80%D0%BD%D0%B5%20%D0%BC%D0%BE%D1%80%D0%B5%20-%20event%20list.csv")
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff" + HEADER + "\r\n") and "odesa-strike" in body
    for token in (delegation_token(client, created), created["observer"]["code"]):
        refused = client.get(url, headers=bearer(token))
        assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    assert client.get(url).status_code == 401
    other = client.post("/api/exercises", json={"deck": "demo"}).get_json()
    assert client.get(url, headers=bearer(other["umpire"]["token"])).status_code == 403


def test_rest_import_takes_the_file_and_says_how_many_rows(client, created):
    url = f"/api/exercises/{created['id']}/event-list.csv"
    umpire = created["umpire"]["token"]
    exported = client.get(url, headers=bearer(umpire)).get_data()
    response = client.post(url, data=exported, headers=bearer(umpire, **{"Content-Type": "text/csv"}))
    assert response.status_code == 200 and response.get_json() == {"imported": 4}
    response = client.post(url, data=csv_of(GOOD).encode(), headers=bearer(umpire, **{"Content-Type": "text/csv"}))
    assert response.status_code == 200 and response.get_json() == {"imported": 1}
    assert client.get(url, headers=bearer(umpire)).get_data(as_text=True).count("\r\n") == 2


def test_rest_import_errors_name_each_row_and_column(client, created):
    url = f"/api/exercises/{created['id']}/event-list.csv"
    headers = bearer(created["umpire"]["token"], **{"Content-Type": "text/csv; charset=utf-8"})
    response = client.post(url, data=csv_of(GOOD, good(number="8", to="atlantis", subject="S" * 200)).encode(),
                           headers=headers)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields", "rows"} and error["code"] == "invalid"
    assert error["message"].startswith("2 problems in the event list file; nothing was imported.")
    assert error["rows"] == [
        {"line": 3, "column": "to", "message": "unknown delegation 'atlantis': the delegations are ukraine, "
                                               "russia, turkey, un (or everyone, umpire)"},
        {"line": 3, "column": "subject", "message": "over 120 characters"}]
    assert error["fields"] == {"lines.3.to": error["rows"][0]["message"], "lines.3.subject": "over 120 characters"}
    # the engine's problems come back the same way
    response = client.post(url, data=csv_of(GOOD, good(number="8", id="odesa-strike"), good(number="9",
                                                                                          id="odesa-strike"))
                           .encode(), headers=headers)
    assert response.get_json()["error"]["rows"][0]["column"] == "id"
    response = client.post(url, data=b"\x89PNG\r\n\x1a\n\x00\x00", headers=headers)
    assert response.status_code == 400 and response.get_json()["error"]["rows"][0]["line"] == 1


def test_rest_import_refuses_players_and_other_bodies(client, created):
    url = f"/api/exercises/{created['id']}/event-list.csv"
    players = (delegation_token(client, created), created["observer"]["code"])
    before = client.get(f"/api/exercises/{created['id']}").get_json()["last_seq"]
    for token in players:
        refused = client.post(url, data=csv_of(GOOD).encode(), headers=bearer(token, **{"Content-Type": "text/csv"}))
        assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    refused = client.post(url, json={"rows": []}, headers=bearer(created["umpire"]["token"]))
    assert refused.status_code == 415 and refused.get_json()["error"]["code"] == "unsupported_media_type"
    assert client.get(f"/api/exercises/{created['id']}").get_json()["last_seq"] == before  # nothing imported


def test_rest_import_takes_files_up_to_1_mib(client, created):
    url = f"/api/exercises/{created['id']}/event-list.csv"
    headers = bearer(created["umpire"]["token"], **{"Content-Type": "text/csv"})
    big = csv_of(*(good(number=str(n), message="word " * 300) for n in range(1, 501))).encode()
    assert 512 * 1024 < len(big) < 1024 * 1024  # over the app's limit for JSON bodies
    response = client.post(url, data=big, headers=headers)
    assert response.status_code == 200 and response.get_json() == {"imported": 500}
    response = client.post(url, data=big + b" " * (1024 * 1024), headers=headers)
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_large"
    assert "over 1 MiB" in response.get_json()["error"]["message"]


def test_the_documented_examples_read(demo):
    doc = (ROOT / "docs" / "event-list-csv.md").read_text(encoding="utf-8")
    blocks = [b.split("```")[0].strip("\n") for b in doc.split("```csv\n")[1:]]
    assert len(blocks) == 2 and blocks[0].startswith(HEADER + "\n")
    listed = parse_csv(blocks[0], demo)
    assert [(r.number, r.id, r.phase, r.minute, r.to) for r in listed] == [
        (1, "deal-signed-history", "briefing", 0, ()), (2, "odesa-strike", "talks", 10, ()),
        (3, "warships-report", None, None, ("ukraine",)), (4, "first-ship", None, None, ())]
    added, = parse_csv(HEADER + "\n" + blocks[1], demo)
    assert (added.number, added.id, added.to, added.delivery, added.indicators) == \
        (None, None, ("turkey", "un"), "news", (IndicatorDelta("grain", 5),))


def test_polls_and_beliefs_in_the_effects_cell_are_read_and_checked():
    talking = load_deck(ROOT / "scenarios" / "talking-about-talking.yaml", load_notes(ROOT / "seeds")).deck
    indicator = next(i.id for i in talking.indicators if i.visible_to != "all")  # a poll of a private one
    [row] = parse_csv(csv_of(good(time="", to="everyone", effects=f"poll {indicator} ±7; "
                                                                   "belief ukraine>russia -4")), talking)
    assert row.polls == (PollRow(indicator, 7),) and row.beliefs == (BeliefDelta("ukraine", "russia", -4),)
    found = problems_of(csv_of(good(time="", to="everyone",
                                    effects="poll nowhere ±5; poll " + indicator + " ±90; belief russia>ukraine +3")),
                        talking)
    messages = [m for _, _, m in found]
    assert any("poll of an unknown indicator 'nowhere'" in m for m in messages), messages
    assert any("a margin is 1 to 50" in m for m in messages), messages
    assert any("tracks no such belief" in m for m in messages), messages


@pytest.mark.parametrize(("effects", "says"), [
    ("poll ua-outlook ±-3", "is not a poll: write 'poll <indicator> ±<margin>'"),
    ("poll ±6", "is not a poll"),
    ("poll ua-outlook ±6.5", "is not a poll"),
    ("poll escalation ±5", "everyone already sees it"),
    ("poll ua-outlook ±5; poll ua-outlook ±3", "poll ua-outlook is given twice"),
    ("belief ukraine>russia 4", "is not a belief's move"),
    ("belief ukraine russia +4", "is not a belief's move"),
    ("belief ukraine>russia +4; belief ukraine>russia -2", "belief ukraine>russia is given twice"),
    ("belief eu>russia +4", "tracks no such belief (it tracks: ukraine>russia"),
])
def test_a_malformed_poll_or_belief_says_what_to_write(effects, says):
    talking = load_deck(ROOT / "scenarios" / "talking-about-talking.yaml", load_notes(ROOT / "seeds")).deck
    messages = [m for _, _, m in problems_of(csv_of(good(time="", to="everyone", effects=effects)), talking)]
    assert any(says in m for m in messages), messages


def test_a_belief_names_its_delegations_by_name_too():
    talking = load_deck(ROOT / "scenarios" / "talking-about-talking.yaml", load_notes(ROOT / "seeds")).deck
    [row] = parse_csv(csv_of(good(time="", to="everyone", effects="belief United States>Russia -3")), talking)
    assert row.beliefs == (BeliefDelta("united-states", "russia", -3),)
