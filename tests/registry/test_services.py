"""The generic registry services on real SQLite files and a real PostgreSQL database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from resonance.errors import Conflict, NotFound, ResonanceError
from resonance.registry import models as m
from resonance.registry import services
from resonance.registry.concepts import CONCEPTS

C = CONCEPTS


def _world(session):
    services.create(
        session,
        C["entities"],
        {
            "code": "jiangsu",
            "name_zh": "江苏省",
            "kind": "省级地区",
            "industries": ["钢铁", "machine_tools", "Power equipment"],
        },
    )
    services.create(
        session,
        C["organisations"],
        {"code": "mill", "name_zh": "苏锡精密机床有限公司", "entity": "江苏省", "roles": ["数据企业", "model"]},
    )
    services.create(session, C["organisations"], {"code": "other", "name_zh": "另一家公司"})


def test_references_by_code_or_name_are_stored_as_ids_and_read_back_as_codes(registry):
    with registry.session() as s:
        _world(s)
        row = services.create(
            s,
            C["datasets"],
            {
                "code": "ai4i-l",
                "name_zh": "铣削故障数据集",
                "kind": "行业通识",
                "industry": "工业母机",
                "entity": "jiangsu",
                "owner": "苏锡精密机床有限公司",
                "row_count": 6000,
            },
        )
        s.commit()
        assert row.industry_id == 5
        item = services.read_one(s, C["datasets"], row)
    assert item["industry"] == "machine_tools"
    assert item["owner"] == "mill"
    assert item["kind"] == "common"
    assert item["row_count"] == 6000
    with registry.session() as s:
        entity = services.read_one(s, C["entities"], services.get_row(s, C["entities"], "江苏省"))
        org = services.read_one(s, C["organisations"], services.get_row(s, C["organisations"], "mill"))
    assert entity["industries"] == ["steel", "machine_tools", "power_equipment"]
    assert org["roles"] == ["data", "model"]


def test_all_bad_values_of_a_payload_are_reported_with_field_and_fix(registry):
    with registry.session() as s:
        _world(s)
        with pytest.raises(ResonanceError) as err:
            services.create(
                s, C["datasets"], {"code": "x", "name_zh": "x", "kind": "raw", "industry": "钢", "owner": "nobody"}
            )
    problems = {p.where: p for p in err.value.problems}
    assert set(problems) == {"field kind", "field industry", "field owner"}
    assert "行业通识" in problems["field kind"].fix
    assert problems["field industry"].value == "钢"
    assert err.value.status == 422


def test_schema_errors_name_the_field_and_refuse_unknown_fields(registry):
    with registry.session() as s, pytest.raises(ResonanceError) as err:
        services.create(
            s,
            C["datasets"],
            {
                "code": "bad code",
                "name_zh": "",
                "kind": "common",
                "industry": "steel",
                "owner": "x",
                "row_count": -1,
                "colour": "red",
            },
        )
    wheres = {p.where for p in err.value.problems}
    assert {"field code", "field name_zh", "field row_count", "field colour"} <= wheres


def test_nul_characters_and_huge_values_are_refused_before_the_database(registry):
    with registry.session() as s:
        _world(s)
        for payload in ({"name_zh": "a\x00b"}, {"row_count": 10**20}, {"name_zh": "长" * 201}):
            base = {"code": "x", "name_zh": "x", "kind": "common", "industry": "steel", "owner": "mill"}
            with pytest.raises(ResonanceError):
                services.create(s, C["datasets"], {**base, **payload})
        assert s.scalar(select(func.count()).select_from(m.Dataset)) == 0


def test_duplicates_are_conflicts_and_versions_are_distinct(registry):
    with registry.session() as s:
        _world(s)
        base = {"code": "ds", "name_zh": "数据集", "kind": "common", "industry": "steel", "owner": "mill"}
        services.create(s, C["datasets"], base)
        services.create(s, C["datasets"], {**base, "version": "2"})
        with pytest.raises(Conflict, match="ds@2"):
            services.create(s, C["datasets"], {**base, "version": "2"})
        with pytest.raises(Conflict, match="name_zh"):
            services.create(s, C["organisations"], {"code": "mill2", "name_zh": "苏锡精密机床有限公司"})
        assert services.get_row(s, C["datasets"], "ds").version == "2"
        assert services.get_row(s, C["datasets"], "ds@1").version == "1"


def test_update_changes_only_given_fields_and_delete_is_refused_while_referenced(registry):
    with registry.session() as s:
        _world(s)
        ds = services.create(
            s,
            C["datasets"],
            {
                "code": "ds",
                "name_zh": "数据集",
                "kind": "common",
                "industry": "steel",
                "owner": "mill",
                "licence": "CC BY 4.0",
            },
        )
        services.update(s, C["datasets"], ds, {"status": "已发布"})
        assert (ds.status, ds.licence) == ("published", "CC BY 4.0")
        s.commit()
        with pytest.raises(Conflict, match="still referenced"):
            services.delete(s, C["organisations"], services.get_row(s, C["organisations"], "mill"))
    with registry.session() as s:
        assert services.get_row(s, C["organisations"], "mill").name_zh == "苏锡精密机床有限公司"
        services.delete(s, C["datasets"], services.get_row(s, C["datasets"], "ds"))
        s.commit()
        with pytest.raises(NotFound):
            services.get_row(s, C["datasets"], "ds")


def test_cases_need_a_model_or_agent_and_scenarios_must_match_the_industry(registry):
    with registry.session() as s:
        _world(s)
        services.create(
            s,
            C["scenarios"],
            {"code": "S1", "name_zh": "刀具磨损预测", "industry": "machine_tools", "stage": "生产制造"},
        )
        with pytest.raises(ResonanceError, match="model or the agent"):
            services.create(
                s,
                C["cases"],
                {"code": "c1", "name_zh": "案例", "kind": "application", "industry": "steel", "organisation": "mill"},
            )
        with pytest.raises(ResonanceError, match="another industry"):
            services.create(
                s,
                C["datasets"],
                {
                    "code": "d",
                    "name_zh": "d",
                    "kind": "specialised",
                    "industry": "steel",
                    "scenario": "S1",
                    "owner": "mill",
                },
            )


def test_filters_pagination_and_unknown_filters(registry):
    with registry.session() as s:
        _world(s)
        for n in range(7):
            services.create(
                s,
                C["datasets"],
                {
                    "code": f"d{n}",
                    "name_zh": f"数据集{n}",
                    "industry": "steel",
                    "kind": "common" if n % 2 else "specialised",
                    "owner": "mill",
                },
            )
        s.commit()
        page = services.list_page(s, C["datasets"], {"kind": "行业通识"}, page=1, page_size=2)
        assert (page.total, [i["code"] for i in page.items]) == (3, ["d1", "d3"])
        last = services.list_page(s, C["datasets"], {"kind": "common"}, page=2, page_size=2)
        assert [i["code"] for i in last.items] == ["d5"]
        assert services.list_page(s, C["datasets"], {"industry": "钢铁"}).total == 7
        with pytest.raises(ResonanceError, match="cannot filter"):
            services.list_page(s, C["datasets"], {"colour": "red"})


def test_space_members_and_roles_are_validated_and_deduplicated(registry):
    with registry.session() as s:
        _world(s)
        space = services.create(
            s,
            C["spaces"],
            {
                "code": "sp",
                "name_zh": "空间",
                "entity": "jiangsu",
                "operator": "mill",
                "operator_type": "龙头企业",
                "industries": ["steel", "钢铁"],
                "members": [{"organisation": "mill", "role": "提供方"}, {"organisation": "mill", "role": "provider"}],
            },
        )
        item = services.read_one(s, C["spaces"], space)
        assert item["industries"] == ["steel"]
        assert item["members"] == [{"organisation": "mill", "role": "provider"}]
        with pytest.raises(ResonanceError, match="space member role"):
            services.update(s, C["spaces"], space, {"members": [{"organisation": "mill", "role": "boss"}]})
