"""Every inject of every shipped deck says what players are expected to do about it (``expected_action``), so
that no row of the umpire's packet or of the console's event list leaves the umpire guessing: in one or two
sentences, naming the deck's own cards, clause types and tables (by title, in “quotes”), present in every
deck that ships the inject (a variant, a deck played without its optional delegations)."""

from __future__ import annotations

import re
from itertools import combinations
from pathlib import Path

import pytest

from facilitator.decks import deck_from_data, load_decks, load_notes
from facilitator.decks.variants import leave_out
from facilitator.print_pack import render_sheet

ROOT = Path(__file__).resolve().parent.parent
LOADED = load_decks(ROOT / "scenarios", ROOT / "seeds")
NOTES = load_notes(ROOT / "seeds")
QUOTED = re.compile(r"“([^”]+)”")


def _sentences(text: str) -> int:
    return len(re.findall(r"[.!?](?:\s|$)", text.strip()))


def test_there_are_76_injects_in_the_base_decks():
    assert sum(len(l.deck.injects) for l in LOADED.values() if not l.deck.variant_of) == 76


@pytest.mark.parametrize("deck_id", sorted(LOADED))
def test_every_inject_has_an_expected_action(deck_id):
    deck = LOADED[deck_id].deck
    missing = [row.id for row in deck.injects if not row.expected_action.strip()]
    assert not missing, f"injects without an expected action: {missing}"
    for row in deck.injects:
        text = " ".join(row.expected_action.split())
        assert 1 <= _sentences(text) <= 2, (row.id, text)
        assert len(text) <= 330, (row.id, len(text))
        assert not re.search(r"(?<![\w-])(?:h|hy|in|c|poll)-[a-z0-9-]+", text), (row.id, "names an id")


@pytest.mark.parametrize("deck_id", sorted(LOADED))
def test_expected_actions_name_what_the_deck_has(deck_id):
    """Each title quoted is a card, a clause type or a table of the deck, and stays there when the optional
    delegations are left out (a card of theirs is named without quotes, "if China is in play")."""
    data, deck = LOADED[deck_id].data, LOADED[deck_id].deck
    optional = [d.id for d in deck.delegations if d.optional]
    for deck_ in [deck] + [deck_from_data(leave_out(data, gone), deck_id, NOTES) for gone in
                           (combo for k in range(1, len(optional) + 1) for combo in combinations(optional, k))]:
        titles = {s.title for s in deck_.signals} | {k.title for k in deck_.clause_types} | \
            {t.name for t in deck_.tables}
        for row in deck_.injects:
            for quoted in QUOTED.findall(" ".join(row.expected_action.split())):
                assert quoted in titles, (deck_id, row.id, quoted)
    assert any(QUOTED.search(row.expected_action) for row in deck.injects)


@pytest.mark.parametrize("deck_id", sorted(LOADED))
def test_the_packet_shows_every_expected_action(deck_id):
    deck = LOADED[deck_id].deck
    packet = render_sheet(deck, "umpire", NOTES)
    msel = packet.split('<section id="event-list"', 1)[1].split("</section>", 1)[0]
    for row in deck.injects:
        cell = msel.split(f'<tr id="inject-{row.id}">', 1)[1].split("</tr>", 1)[0]
        assert '<span class="label">Expected:</span>' in cell, row.id
        assert 'data-label="Expected action; controller note"><span class="muted">—</span>' not in cell, row.id
