"""Display names compared as people see them: Unicode TR39 confusable skeletons.

The engine decides whether a name is free (``engine.participants.check_name_free``) with a pure
function from a name to the keys under which it is taken; it imports only the standard library, so
its own function (``engine.guards.name_keys``) knows case and compatibility forms but not look-alikes
across scripts. This module is the stricter function the server hands it when seating someone
(``services.exercises.ExerciseService.join``): it adds the name's TR39 skeleton (Unicode Technical
Standard #39, section 4, "Confusable Detection"), so that a Latin ``Olena`` and one spelt with a
Cyrillic ``О`` share a key.

The confusables data (Unicode's confusables.txt) comes from the ``confusable-homoglyphs`` package,
which ships it as a symmetric table: each character with the characters it may be confused with.
confusables.txt itself maps each confusable character to one prototype, so each group in that table
is a star around its prototype, which ``_prototypes`` recovers. Right-to-left characters appear there
wrapped in LEFT-TO-RIGHT MARKs (as in the comments of confusables.txt it was read from); the marks are
dropped, as the skeleton drops every default-ignorable character anyway.
"""

from __future__ import annotations

import json
import unicodedata
from importlib.resources import files
from functools import lru_cache


from facilitator.engine.guards import clean_name, invisible
from facilitator.engine.guards import name_keys as plain_keys

_LRM = "\u200e"


def _prototypes() -> dict[str, str]:
    """Each confusable character -> its prototype (a character or a short sequence), from the data.

    The package's data file is read here rather than through its modules, which would keep all of it (and
    import ``urllib.request`` to fetch updates): 10 MB of each server process, where this table is one."""
    def entry(pairs: list[tuple]):  # an entry {"c": character, "n": its name} -> the character: names unread
        return pairs[0][1] if len(pairs) == 2 and pairs[0][0] == "c" and pairs[1][0] == "n" else dict(pairs)
    data = json.loads(files("confusable_homoglyphs").joinpath("confusables.json").read_text(encoding="utf-8"),
                      object_pairs_hook=entry)
    alike: dict[str, list[str]] = {}
    for key, found in data.items():
        alike.setdefault(key.replace(_LRM, ""), []).extend(c.replace(_LRM, "") for c in found)
    table = {}
    for char, others in alike.items():
        if len(char) != 1 or len(others) != 1:
            continue  # a sequence, or a prototype with several look-alikes: prototypes map to themselves
        (other,) = others
        if len(other) == 1 and alike.get(other) == [char] and other > char:
            continue  # a pair: the data does not say which is the prototype, and either gives the same groups
        table[char] = other
    # A prototype is made of prototypes, in NFD. The data shows some composed (as confusables.txt's comments
    # do), and a pair above may have been ordered the other way: decompose and follow until nothing moves.
    for _ in range(8):
        settled = {char: unicodedata.normalize("NFD", "".join(table.get(c, c) for c in
                                                              unicodedata.normalize("NFD", prototype)))
                   for char, prototype in table.items()}
        if settled == table:
            break
        table = settled
    return table


PROTOTYPES = _prototypes()


def skeleton(text: str) -> str:
    """The TR39 skeleton of ``text``: NFD, without default-ignorable characters, each character replaced
    by its prototype, NFD again. Two strings with the same skeleton are confusable (``paypal`` and
    ``раураl`` spelt in Cyrillic; ``rn`` and ``m``; ``0`` and ``O``); a skeleton is for comparing only,
    never for showing."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFD", "".join(PROTOTYPES.get(c, c) for c in decomposed if not invisible(c)))


@lru_cache(maxsize=4096)
def name_keys(name: str) -> frozenset[str]:
    """The keys under which the display name ``name`` is taken (two names clash if they share one):
    the engine's own (``engine.guards.name_keys``: normalised, NFKC, case-folded), the skeleton of the
    name as written (``Iris`` and ``lris`` look alike), and the skeleton of its case-folded form
    (``OLENA`` and ``оlena`` with a Cyrillic ``о``)."""
    cleaned = clean_name(name)
    return plain_keys(cleaned) | {skeleton(cleaned), skeleton(cleaned.casefold())}
