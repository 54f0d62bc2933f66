"""The links people are given. Secrets ride in the fragment (#…), which browsers never send to the server."""

from __future__ import annotations

from .services import CreatedExercise


def links(base_url: str, created: CreatedExercise, delegation_names: dict[str, str]) -> dict:
    base = base_url.rstrip("/")
    return {
        "id": created.id,
        "title": created.title,
        "deck": created.deck_id,
        "umpire": {"token": created.umpire_token, "url": f"{base}/umpire#token={created.umpire_token}"},
        "observer": {"code": created.observer_code, "url": f"{base}/observe#code={created.observer_code}",
                     "projector_url": f"{base}/projector#code={created.observer_code}"},
        "delegations": [{"id": d, "name": delegation_names.get(d, d), "code": code,
                         "url": f"{base}/join#code={code}"} for d, code in created.join_codes.items()],
    }
