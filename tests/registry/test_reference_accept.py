"""Accepting a 参考示例 copies it into an entity's own scenario files."""

from __future__ import annotations

import pytest

from resonance.errors import ResonanceError
from resonance.registry import models as m
from resonance.registry import reference_scenarios, services
from resonance.registry.concepts import CONCEPTS


def test_accepting_a_reference_example_creates_an_editable_copy_for_the_entity(registry):
    with registry.session() as s:
        services.create(s, CONCEPTS["entities"], {"code": "js", "name_zh": "江苏省", "kind": "province"})
        s.add(
            m.Scenario(
                code="REF-test-01",
                name_zh="高炉炉温预测",
                industry_id=1,
                stage="production",
                pain_point="炉温波动",
                target_kpi="预测准确率>90%",
                is_reference_example=True,
            )
        )
        s.flush()
        copy = reference_scenarios.accept(s, "REF-test-01", "江苏省")
        s.commit()
        item = services.read_one(s, CONCEPTS["scenarios"], copy)
    assert item["code"] == "js-test-01"
    assert (item["entity"], item["industry"], item["is_reference_example"]) == ("js", "steel", False)
    assert (item["pain_point"], item["status"]) == ("炉温波动", "planned")
    with registry.session() as s:
        assert services.get_row(s, CONCEPTS["scenarios"], "REF-test-01").entity_id is None
        with pytest.raises(ResonanceError, match="not a reference example"):
            reference_scenarios.accept(s, "js-test-01", "js")
        with pytest.raises(ResonanceError, match="already exists"):
            reference_scenarios.accept(s, "REF-test-01", "js")
