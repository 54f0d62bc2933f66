"""Checks that many commands share: who may act, whether the exercise has started, texts and names.

Texts people type are normalised here, by the standard library alone (``unicodedata``), before any
rule reads them; the rules are those of "Names and texts" in docs/protocol.md.
"""

from __future__ import annotations

import re
import unicodedata

from .audience import DELEGATION, UMPIRE, Actor
from .errors import RuleError

MAX_TEXT = 2000  # characters of a message, a clause's terms, an ad hoc inject's text
MAX_NAME = 40  # characters of a display name
MAX_TITLE = 120  # characters of a proposal or inject title, or an adjustment's reason


def umpire(actor: Actor) -> None:
    """``forbidden`` unless ``actor`` is exercise control (the umpire or an assistant)."""
    if not actor.is_umpire:
        raise RuleError("forbidden", "Only the umpire may do this.")


def chief(actor: Actor) -> None:
    """``forbidden`` unless ``actor`` is the umpire: assistants fire injects and adjudicate, but do not end the
    exercise, re-issue links or seat staff."""
    umpire(actor)
    if actor.role != UMPIRE:
        raise RuleError("forbidden", "Only the umpire may do this, not an assistant.")


def member(actor: Actor) -> str:
    """The actor's delegation; ``forbidden`` unless the actor is a delegation's member."""
    if actor.role != DELEGATION or not actor.delegation:
        raise RuleError("forbidden", "Only a delegation's members may do this.")
    return actor.delegation


def started(state) -> None:
    if state.phase is None:
        raise RuleError("not_started", "The exercise has not started yet: the umpire opens the first phase.")


def known_delegations(state, ids, field: str) -> tuple[str, ...]:
    """``ids`` without repeats, in order; ``not_found`` naming the unknown ones."""
    unknown = [d for d in ids if state.deck.delegation(d) is None]
    if unknown:
        raise RuleError("not_found", f"Unknown delegation(s): {', '.join(unknown)}.", {field: unknown})
    return tuple(dict.fromkeys(ids))


# ---- what a character looks like --------------------------------------------------------------------

# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt) is every format character (Cf) but
# those below, plus the variation selectors and Other_Default_Ignorable_Code_Point (PropList.txt); the
# Hangul fillers are among the latter. unicodedata has the categories, not these two lists, so they are here.
_VISIBLE_FORMAT = frozenset(
    [*range(0x0600, 0x0606), 0x06DD, 0x070F, 0x0890, 0x0891, 0x08E2, 0x110BD, 0x110CD,  # prepended marks
     *range(0xFFF9, 0xFFFC), *range(0x13430, 0x13440)])  # interlinear annotation, Egyptian hieroglyph format
_IGNORABLE_RANGES = (
    (0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F), (0x2065, 0x2065),
    (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0xE0000, 0xE0FFF))
_BLANK = frozenset({0x2800})  # BRAILLE PATTERN BLANK: a character that is drawn as nothing at all
_TAGS = (0xE0020, 0xE007F)  # emoji tag sequences (subdivision flags) end with these
# Unicode's control characters (category Cc) but tab and line feed, and lone surrogates (Cs)
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_LINE_BREAKS = {"\r\n": "\n", "\r": "\n", "\x0b": "\n", "\x0c": "\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n"}


def invisible(char: str) -> bool:
    """Whether ``char`` is drawn as nothing: a default-ignorable code point in Unicode's sense (zero-width
    space, joiners, bidi controls, soft hyphen, BOM, variation selectors, tags, Hangul fillers …) or
    U+2800 BRAILLE PATTERN BLANK. Whitespace and control characters are not counted here."""
    code = ord(char)
    if code < 0x80:  # ASCII has none (the common case, asked of both ends of every text)
        return False
    if unicodedata.category(char) == "Cf":
        return code not in _VISIBLE_FORMAT
    return code in _BLANK or any(low <= code <= high for low, high in _IGNORABLE_RANGES)


def _blank(char: str) -> bool:
    return char.isspace() or invisible(char) or unicodedata.category(char) in ("Cc", "Cs")


def _attached(char: str) -> bool:
    """An invisible character that modifies the one before it (a variation selector, an emoji tag)."""
    return unicodedata.category(char) in ("Mn", "Me") or _TAGS[0] <= ord(char) <= _TAGS[1]


# ---- texts and names ---------------------------------------------------------------------------------

def clean_text(value: str | None, lines: bool = True) -> str:
    """A free text (a message, a title …) as it is stored and shown; never raises.

    NFC; line breaks (CR LF, CR, NEL, LS, PS, VT, FF) become one ``\\n``; other control characters and
    lone surrogates are removed, but tabs kept; with ``lines`` false, line breaks and tabs become spaces.
    At both ends, whitespace and invisible characters (see ``invisible``) are trimmed, except a variation
    selector or emoji tag ending the text (it belongs to the character before it). Inside, invisible
    characters stay: a zero-width joiner builds emoji sequences, a zero-width non-joiner spells Persian.
    Only-invisible input comes back empty.
    """
    value = value or ""
    for old, new in _LINE_BREAKS.items():
        value = value.replace(old, new)
    if not lines:
        value = value.replace("\n", " ").replace("\t", " ")
    value = unicodedata.normalize("NFC", _CONTROLS.sub("", value))
    start, end = 0, len(value)
    while start < end and _blank(value[start]):
        start += 1
    while end > start and _blank(value[end - 1]) and not _attached(value[end - 1]):
        end -= 1
    return value[start:end]


def text(value: str | None, field: str, limit: int, lines: bool | None = None) -> str:
    """``value`` normalised by ``clean_text``; ``invalid`` if nothing visible is left, ``too_long`` over
    ``limit`` characters (code points, counted once normalised).

    ``lines``: whether line breaks and tabs are kept. By default they are in the long texts (a limit over
    ``MAX_TITLE``: messages, terms, inject texts) and become spaces in titles and reasons.
    """
    value = clean_text(value, limit > MAX_TITLE if lines is None else lines)
    if not value:
        raise RuleError("invalid", f"'{field}' must not be empty (nor only spaces or invisible characters).",
                        {field: "empty"})
    if len(value) > limit:
        raise RuleError("too_long", f"'{field}' is {len(value)} characters; the limit is {limit}.",
                        {field: f"over {limit} characters"})
    return value


def clean_name(value: str | None) -> str:
    """A display name as it is stored and shown; never raises (only-invisible input comes back empty).

    Control characters, lone surrogates and every invisible character (see ``invisible``) are removed,
    wherever they are; then NFC; then each run of whitespace (tabs, line breaks, no-break spaces …)
    becomes one space, and the ends are trimmed. A name is one line of visible characters.
    """
    kept = "".join(" " if c.isspace() else c for c in value or ""
                   if c.isspace() or not (invisible(c) or unicodedata.category(c) in ("Cc", "Cs")))
    return " ".join(unicodedata.normalize("NFC", kept).split())


def display_name(value: str | None) -> str:
    """``value`` normalised by ``clean_name``; ``invalid`` (``fields: {"name": "required"}``) if nothing
    visible is left, ``too_long`` over ``MAX_NAME`` characters (counted once normalised)."""
    name = clean_name(value)
    if not name:
        raise RuleError("invalid", "Choose a display name with at least one visible character.",
                        {"name": "required"})
    if len(name) > MAX_NAME:
        raise RuleError("too_long", f"The name is {len(name)} characters; the limit is {MAX_NAME}.",
                        {"name": f"over {MAX_NAME} characters"})
    return name


def name_keys(name: str) -> frozenset[str]:
    """The keys under which a display name is taken, by the standard library alone: the name normalised
    (``clean_name``), then NFKC and case-folded (Unicode's NFKC_Casefold), so that ``OLENA``, ``olena``
    and a fullwidth or mathematical-bold ``Olena`` share one key. Two names clash if they share a key.

    The server passes a stricter function to ``SeatParticipant`` (``facilitator.names.name_keys``, which
    adds Unicode TR39 confusable skeletons); this one is the engine's default and its floor.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", clean_name(name)).casefold())
    return frozenset({folded})


def name_of(state, delegation_id: str) -> str:
    return state.deck.delegation(delegation_id).name
