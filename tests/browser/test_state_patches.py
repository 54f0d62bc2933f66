"""The page applies an ``update``'s state patch as docs/protocol.md says (static/js/lib/store.js ``applyPatch``):
without ``order``, kept entries keep their places and new ones come at the end in the order of ``upsert``; with
it, the list is in that order. A live page holds what a fresh sync gives after a run of injects whose patches
carry no ``order``."""

from __future__ import annotations

from playwright.sync_api import expect

from facilitator.engine import AdvancePhase, FireInject
from facilitator.engine.audience import UMPIRE_ACTOR
from flows import join, tab

CASES = [  # (list before, merge change, keys after)
    ([1, 2], {"key": "seq", "upsert": [{"seq": 3}, {"seq": 4}]}, [1, 2, 3, 4]),  # only grew: no order sent
    ([1, 2, 3], {"key": "seq", "upsert": [{"seq": 2, "v": "changed"}, {"seq": 9}]}, [1, 2, 3, 9]),
    ([1, 2, 3], {"key": "seq", "upsert": [{"seq": 7}], "remove": [2]}, [1, 3, 7]),
    ([1, 2, 3], {"key": "seq", "upsert": [{"seq": 5}], "order": [5, 3, 1, 2]}, [5, 3, 1, 2]),
    ([], {"key": "seq", "upsert": [{"seq": 1}]}, [1]),
]


def test_the_page_applies_patches_as_the_protocol_says(live_server, watched):
    page = watched.page(label="patches")
    page.goto(live_server.url + "/join")
    results = page.evaluate("""async (cases) => {
        const { applyPatch } = await import('/static/js/lib/store.js');
        return cases.map(([before, change]) => {
            const state = { list: before.map((seq) => ({ seq })) };
            applyPatch(state, { merge: { list: change } });
            return state.list;
        });
    }""", [[before, change] for before, change, _ in CASES])
    for (before, change, keys), after in zip(CASES, results):
        assert [entry["seq"] for entry in after] == keys, (before, change)
    assert results[1][1] == {"seq": 2, "v": "changed"}  # an entry upserted in place keeps its place


def shown_injects(page) -> list[str]:
    return page.locator(".inject-item .inject-title").all_inner_texts()


def test_a_live_page_holds_every_inject_fired_in_order(live_server, exercises, watched):
    created = exercises.create("demo")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    page = watched.page(label="ukraine")
    join(page, f"{live_server.url}/join#code={created.join_codes['ukraine']}", "Olena")
    tab(page, "Situation")
    published = []
    exercises.subscribe(lambda exercise_id, payloads: published.append(payloads))
    titles = [f"Convoy stopped at checkpoint {n}" for n in range(1, 6)]
    for title in titles:
        exercises.execute(created.id, FireInject(title=title, text="The ministry asks for an answer."), UMPIRE_ACTOR)
        expect(page.locator(".inject-item .inject-title", has_text=title)).to_be_visible()
    change = published[-1]["d:ukraine"]["state"]["merge"]["injects_fired"]
    assert "order" not in change and [e["title"] for e in change["upsert"]] == [titles[-1]]  # only what is new
    # what the page holds is what a page opened now is given (the news, newest first)
    fresh = watched.page(label="ukraine, again")
    join(fresh, f"{live_server.url}/join#code={created.join_codes['ukraine']}", "Olena again")
    tab(fresh, "Situation")
    expect(fresh.locator(".inject-item .inject-title", has_text=titles[-1])).to_be_visible()
    assert shown_injects(page) == shown_injects(fresh)
    assert [t for t in shown_injects(page) if t in titles] == titles[::-1]
