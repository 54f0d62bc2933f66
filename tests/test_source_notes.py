"""Corrections in the source notes stay made: a fact says what its article says, and an error the article makes
is reported as the article's, with the correction in the note's remarks. Fact numbers do not move (cards cite
them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from facilitator.decks import load_notes

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def notes():
    return load_notes(ROOT / "seeds")


def fact(note: dict, n: int) -> str:
    (found,) = [f["text"] for f in note["facts"] if f["n"] == n]
    return found


def test_the_seattle_poll_asked_whether_the_united_states_should_enter_negotiations(notes):
    # The article: "53 percent of likely voters saying the United States should enter negotiations to end the
    # war even if it means making compromises with Putin". It says nothing of talks led by the United States.
    text = fact(notes["chances-negotiated-end"], 22)
    assert "53 percent" in text and "Seattle poll" in text
    assert "the United States should enter negotiations to end the war" in text
    assert "US-led" not in text
    assert len(notes["chances-negotiated-end"]["facts"]) == 25


def test_the_soviet_invasion_of_poland_is_dated_17_september_1939(notes):
    note = notes["two-to-tango"]
    text = fact(note, 5)
    # The claim stays as the article makes it, pointing to the remarks, as fact 16 does for its chronology.
    assert "invaded Poland on Sept. 1, 1939" in text and "(see remarks on this date)" in text
    assert "(see remarks on this chronology)" in fact(note, 16)
    remarks = " ".join(note["remarks"].split())
    assert "the Soviet invasion of Poland began on 17 September 1939" in remarks
    assert "Germany invaded Poland on 1 September 1939" in remarks
    assert len(note["facts"]) == 21
