"""Secret cards: one card dealt privately to a delegation when the exercise is created (say, Russia's real
aim: limited, maximalist, or buying time), seen by its holder and exercise control only.

The deal is drawn from the exercise's seed, which is made once at creation and kept on the server: it is
fixed from the first moment and a replay always finds the same card, with no event to say it (nothing is
dealt later, so nothing about the deal ever travels to anyone outside its audience). The card shifts the
odds of the deck's cease-fire risks (``risk``: rule id -> change) and adds its objectives to its holder's
(measured in the debrief like the others). It goes before the room when the debrief reveals its holder's
objectives (``reveal_debrief``): the view then shows it to everyone who was told of that reveal.
"""

from __future__ import annotations

import random

from .core import view
from .deck import Secret, SecretCard
from .participants import private_audience
from .visibility import sees


def dealt(state, secret: Secret) -> SecretCard:
    """The card ``secret`` dealt in this exercise: drawn once from the seed, the same in every replay."""
    return random.Random(f"{state.seed}:secret:{secret.id}").choice(secret.cards)


def dealt_cards(state) -> list[tuple[Secret, SecretCard]]:
    return [(s, dealt(state, s)) for s in state.deck.secrets]


def secret_odds(state, rule) -> float:
    """What the dealt cards add to a cease-fire risk's odds."""
    return sum(card.risk.get(rule.id, 0.0) for _, card in dealt_cards(state))


def secret_objectives(state, holder: str) -> tuple:
    """The objectives the cards dealt to ``holder`` add to its own."""
    return tuple(goal for secret, card in dealt_cards(state) if secret.holder == holder for goal in card.objectives)


@view("secrets", reads=("debrief",), key="id")
def _secrets(state, viewer) -> list[dict] | None:
    """The secret cards the viewer may see: its own, all for exercise control, and those whose holder's
    objectives the debrief revealed to it: ``[{id, holder, title, card: {id, title, text, objectives}, revealed}]``
    (``objectives``: the words of those the card adds)."""
    shown = []
    for secret, card in dealt_cards(state):
        reveal = state.debrief.revealed.get(secret.holder)
        revealed = reveal is not None and sees(viewer, reveal.audience)
        if revealed or sees(viewer, private_audience(secret.holder)):
            shown.append({"id": secret.id, "holder": secret.holder, "title": secret.title,
                          "card": {"id": card.id, "title": card.title, "text": card.text,
                                   "objectives": [goal.text for goal in card.objectives]},
                          "revealed": reveal is not None})
    return shown or None
