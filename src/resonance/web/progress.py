"""Every action entity's progress on the quotas (``resonance.registry.rules.progress``), cached per registry state.

Evaluating every rule for every entity reads the whole registry (about 0.4–0.9 s for 90 entities on the busy
two-core development machine), and the overview asks for it on every visit. The result depends only on the
registry's contents, the rules, the language and the date, so it is kept per process until any of these
changes: the registry generation (``resonance.registry.generation``: bumped by every committed write, in this
process or another) is read with one query per request and is part of the key.
"""

from __future__ import annotations

import threading
from datetime import date

from sqlalchemy.orm import Session

from resonance.registry import generation, rules
from resonance.registry.rules import EntityProgress

_lock = threading.Lock()
_cache: dict[tuple[str, str], tuple[tuple[object, ...], list[EntityProgress]]] = {}


def all_progress(session: Session, lang: str, today: date) -> list[EntityProgress]:
    """``rules.progress`` of every entity, computed again only when the registry or the day has changed."""
    engine = session.get_bind()
    state = (generation.read(session.connection()), generation.local_writes(), today)
    slot = (engine.url.render_as_string(hide_password=True), lang)  # one entry per database and language
    with _lock:
        cached = _cache.get(slot)
    if cached is not None and cached[0] == state and state[0] is not None:
        return cached[1]
    result = rules.progress(session, lang=lang, today=today)
    with _lock:
        _cache[slot] = (state, result)
    return result


def entity_progress(session: Session, code: str, lang: str, today: date) -> EntityProgress:
    """One entity's progress (NotFound when no entity has that code or name)."""
    for entry in all_progress(session, lang, today):
        if code in (entry.code, entry.name_zh, entry.name_en):
            return entry
    return rules.progress(session, entity=code, lang=lang, today=today)[0]
