"""What a report says about one action entity, read from the registry once: progress against the rules,
the list rows with evidence, counts, key cities, evaluation and data-security figures.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from resonance.ledger import chain
from resonance.ledger import keys as space_keys
from resonance.registry import models as m
from resonance.registry.rules import EntityProgress, default_rules, progress
from resonance.registry.vocabularies import label
from resonance.reports.lists import Row, rows

REPORT_RULES = {"plan": "plan_submitted", "phase": "phase_report_submitted", "final": "final_report_submitted"}


@dataclass
class Facts:
    entity: m.ActionEntity
    kind: str
    lang: str
    today: date
    progress: EntityProgress
    rows: dict[str, list[Row]]
    industries: list[m.Industry]
    key_cities: list[m.KeyCity]
    deadline: date
    evaluations: int = 0
    data_demands: int = 0
    sensitivity: Counter[str] = field(default_factory=Counter)
    ledger_events: int = 0
    ledger_ok: bool | None = None  # None: nothing to verify, or no space key on this machine to verify with

    @property
    def zh(self) -> bool:
        return self.lang == "zh"

    def name(self) -> str:
        return self.entity.name_zh if self.zh else (self.entity.name_en or self.entity.name_zh)

    def industry_names(self) -> str:
        names = [i.name_zh if self.zh else i.name_en for i in self.industries]
        if not names:
            return "（尚未选定）" if self.zh else "(none selected yet)"
        return ("、" if self.zh else ", ").join(names)

    def placeholders(self) -> dict[str, object]:
        summary = self.progress.summary()
        count = {source: len(found) for source, found in self.rows.items()}
        return {
            "entity": self.name(),
            "entity_code": self.entity.code,
            "entity_kind": label("entity_kind", self.entity.kind, self.lang),
            "industries": self.industry_names(),
            "industry_count": len(self.industries),
            "today": self.today.isoformat(),
            "deadline": self.deadline.isoformat(),
            "checks_met": summary["checks_met"],
            "checks_total": summary["checks_total"],
            "completion_rate": f"{summary['completion_rate'] * 100:.1f}%",
            "key_cities": len(self.key_cities),
            **count,
        }


def _deadline(kind: str) -> date:
    for rule in default_rules():
        if rule.id == REPORT_RULES[kind]:
            return rule.deadline
    return date(2026, 11, 30)


def gather(
    session: Session, entity: m.ActionEntity, kind: str, lang: str, today: date, evidence_link: str = ""
) -> Facts:
    [result] = progress(session, entity=entity.code, today=today, lang=lang)
    found = rows(session, entity, lang, evidence_link)
    dataset_ids = select(m.Dataset.id).where(m.Dataset.entity_id == entity.id)
    evaluations = session.scalar(
        select(func.count()).select_from(m.EvaluationResult).where(m.EvaluationResult.dataset_id.in_(dataset_ids))
    )
    org_ids = select(m.Organisation.id).where(m.Organisation.entity_id == entity.id)
    demands = session.scalar(
        select(func.count()).select_from(m.DataDemand).where(m.DataDemand.target_org_id.in_(org_ids))
    )
    sensitivity = Counter(
        dict(
            session.execute(
                select(m.Dataset.sensitivity, func.count())
                .where(m.Dataset.entity_id == entity.id, m.Dataset.status != "retired")
                .group_by(m.Dataset.sensitivity)
            ).all()
        )
    )
    events = session.scalar(select(func.count()).select_from(m.LedgerEvent)) or 0
    ledger_ok = None
    # verify only what can be verified here: verifying without the space key would create a new key (and fail)
    if events and space_keys.space_key_path().is_file():
        ledger_ok = chain.verify(session).ok
    return Facts(
        entity=entity,
        kind=kind,
        lang=lang,
        today=today,
        progress=result,
        rows=found,
        industries=list(entity.industries),
        key_cities=list(entity.key_cities),
        deadline=_deadline(kind),
        evaluations=evaluations or 0,
        data_demands=demands or 0,
        sensitivity=sensitivity,
        ledger_events=events,
        ledger_ok=ledger_ok,
    )
