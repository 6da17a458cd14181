"""Accepting a reference scenario example (参考示例) into an action entity's own scenario files."""

from __future__ import annotations

from sqlalchemy.orm import Session

from resonance.errors import ResonanceError
from resonance.registry import models as m
from resonance.registry import services
from resonance.registry.concepts import CONCEPTS

_COPIED = (
    "name_zh",
    "name_en",
    "stage",
    "guide_code",
    "pain_point",
    "baseline_kpi",
    "target_kpi",
    "expected_value",
    "data_needs",
    "replicability",
    "criteria",
    "tech_form",
    "tech_form_reason",
    "description",
)


def accept(
    session: Session, reference: str, entity: str, code: str | None = None, lead: str | None = None
) -> m.Scenario:
    """Copy reference example ``reference`` into ``entity``'s scenario files, to be edited there.

    The copy counts toward the entity's quotas; the reference example stays as it is for others.
    """
    scenarios = CONCEPTS["scenarios"]
    template = services.get_row(session, scenarios, reference)
    if not template.is_reference_example:
        raise ResonanceError(
            what=f"scenario {template.code} is not a reference example (参考示例)",
            fix="accept one of `resonance scenario list --filter is_reference_example=true`, "
            "or edit this scenario directly with `resonance scenario update`",
            code="not_a_reference",
            status=409,
        )
    target_entity = services.resolve(session, m.ActionEntity, entity, where="entity")
    payload = {field: getattr(template, field) for field in _COPIED}
    payload.update(
        code=code or f"{target_entity.code}-{template.code.removeprefix('REF-')}",
        industry=session.get(m.Industry, template.industry_id).code,
        entity=target_entity.code,
        status="planned",
    )
    if lead:
        payload["lead"] = lead
    payload["description"] = (payload["description"] + f"\n（采用参考示例 {template.code}）").strip()
    return services.create(session, scenarios, payload, where=f"accepting {template.code}")
