"""Each list row's evidence on the 存证 ledger: the newest event whose subject names the row.

Subjects follow the ledger's convention (``resonance.ledger.chain.append``): ``dataset:code@version``,
``model:code@version``; the other concepts use ``<concept>:<code>`` (``scenario:JS-MT-01``), which is what
future events about them are expected to carry. A row without an event says so instead of inventing one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from resonance.registry import models as m

_CHUNK = 500  # bound the IN (…) list on both backends


@dataclass(frozen=True)
class Evidence:
    """The newest ledger event of one subject and how many events name it (``count`` 0: none yet)."""

    subject: str
    count: int = 0
    seq: int | None = None
    hash: str = ""
    kind: str = ""
    at: str = ""

    def line(self, lang: str) -> str:
        if not self.count:
            return "暂无存证事件" if lang == "zh" else "no ledger event yet"
        short = self.hash[:12]
        if lang == "zh":
            return f"#{self.seq} {self.kind}（共{self.count}条）{short}…"
        return f"#{self.seq} {self.kind} ({self.count} events) {short}…"

    def link(self, template: str) -> str:
        if not self.count or not template:
            return ""
        return template.format(subject=self.subject, seq=self.seq)


def lookup(session: Session, subjects: Iterable[str]) -> dict[str, Evidence]:
    """Evidence for every subject (those without an event get ``count`` 0), in two queries per 500 subjects."""
    wanted = sorted(set(subjects))
    found: dict[str, Evidence] = {s: Evidence(subject=s) for s in wanted}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        newest = (
            select(m.LedgerEvent.subject, func.max(m.LedgerEvent.seq), func.count())
            .where(m.LedgerEvent.subject.in_(chunk))
            .group_by(m.LedgerEvent.subject)
        )
        stats = {subject: (seq, count) for subject, seq, count in session.execute(newest)}
        if not stats:
            continue
        rows = session.execute(
            select(
                m.LedgerEvent.seq, m.LedgerEvent.subject, m.LedgerEvent.hash, m.LedgerEvent.kind, m.LedgerEvent.at
            ).where(m.LedgerEvent.seq.in_([seq for seq, _ in stats.values()]))
        )
        for seq, subject, digest, kind, at in rows:
            found[subject] = Evidence(subject=subject, count=stats[subject][1], seq=seq, hash=digest, kind=kind, at=at)
    return found
