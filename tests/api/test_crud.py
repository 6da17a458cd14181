"""Create, read, update, delete, list, filter and search every concept through the REST API.

Errors (404, 409, 422, atomicity) are in ``test_errors.py``; who may do what in ``test_permissions.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from apiworld import error
from sqlalchemy import update

from resonance.registry import models as m
from resonance.registry.concepts import CONCEPTS

TIMES = ("created_at", "updated_at", "expires_at")

# concept: (create payload, expected in the reply, update payload, expected after the update)
# Payloads use labels and names where people would; replies show stable keys and codes.
ROUND_TRIPS: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    "entities": (
        {"code": "js", "name_zh": "江苏省", "kind": "省级地区", "industries": ["钢铁", "automobiles"]},
        {"code": "js", "kind": "province", "industries": ["steel", "automobiles"], "has_pilot_zone_or_base": False},
        {"kind": "Central enterprise", "industries": ["ships"], "has_pilot_zone_or_base": True},
        {"kind": "central_enterprise", "industries": ["ships"], "has_pilot_zone_or_base": True},
    ),
    "key-cities": (
        {"entity": "甲省", "name_zh": "苏州市", "in_pilot_zone_or_base": True},
        {"entity": "ent-a", "name_zh": "苏州市", "in_pilot_zone_or_base": True, "name_en": ""},
        {"name_en": "Suzhou"},
        {"name_en": "Suzhou", "name_zh": "苏州市"},
    ),
    "organisations": (
        {"code": "mill", "name_zh": "苏锡精密机床有限公司", "entity": "ent-a", "roles": ["数据企业", "model"]},
        {"code": "mill", "entity": "ent-a", "roles": ["data", "model"], "uscc": None},
        {"roles": ["compute"], "entity": "ent-b", "contact": "张三 021-1234"},
        {"roles": ["compute"], "entity": "ent-b", "contact": "张三 021-1234"},
    ),
    "spaces": (
        {
            "code": "sp1",
            "name_zh": "钢铁模数共振空间",
            "entity": "ent-a",
            "operator": "甲钢铁公司",
            "operator_type": "龙头企业",
            "status": "运营中",
            "industries": ["steel"],
            "members": [{"organisation": "org-b", "role": "提供方"}],
        },
        {
            "operator": "org-a",
            "operator_type": "leading_enterprise",
            "status": "operating",
            "industries": ["steel"],
            "members": [{"organisation": "org-b", "role": "provider"}],
        },
        {"status": "planned", "members": []},
        {"status": "planned", "members": [], "industries": ["steel"]},
    ),
    "consortia": (
        {
            "code": "cs1",
            "name_zh": "钢铁创新联合体",
            "entity": "ent-a",
            "industry": "钢铁",
            "lead": "org-a",
            "members": [{"organisation": "org-b", "role": "数据"}],
        },
        {"industry": "steel", "lead": "org-a", "members": [{"organisation": "org-b", "role": "data"}]},
        {"lead": "org-b"},
        {"lead": "org-b", "members": [{"organisation": "org-b", "role": "data"}]},
    ),
    "scenarios": (
        {
            "code": "sc1",
            "name_zh": "热轧板表面缺陷检测",
            "industry": "steel",
            "entity": "ent-a",
            "stage": "生产制造",
            "pain_point": "人工目检漏检率高",
            "tech_form": "agent",
            "lead": "org-a",
            "criteria": {"potential": {"met": True, "evidence": "年损失 2 亿元"}},
        },
        {
            "stage": "production",
            "tech_form": "agent",
            "status": "planned",
            "is_reference_example": False,
            "criteria": {"potential": {"met": True, "evidence": "年损失 2 亿元"}},
        },
        {"status": "已落地", "lead": None},
        {"status": "landed", "lead": None},
    ),
    "datasets": (
        {
            "code": "hr-defects",
            "version": "2",
            "name_zh": "热轧钢板表面缺陷数据集",
            "name_en": "Hot-rolled steel plate surface defects",
            "kind": "行业通识",
            "industry": "钢铁",
            "entity": "ent-a",
            "owner": "甲钢铁公司",
            "sensitivity": "重要",
            "row_count": 12000,
            "quality_score": 87.5,
        },
        {
            "code": "hr-defects",
            "version": "2",
            "kind": "common",
            "industry": "steel",
            "owner": "org-a",
            "sensitivity": "important",
            "row_count": 12000,
            "quality_score": 87.5,
            "status": "registered",
        },
        {"status": "published", "quality_grade": "A", "scenario": None},
        {"status": "published", "quality_grade": "A", "owner": "org-a"},
    ),
    "models": (
        {
            "code": "steel-lm",
            "version": "1.0",
            "name_zh": "钢铁行业大模型",
            "kind": "行业模型",
            "industry": "steel",
            "developer": "org-a",
            "metrics": {"acc": 0.91},
        },
        {"version": "1.0", "kind": "industry", "developer": "org-a", "metrics": {"acc": 0.91}, "lineage": {}},
        {"family": "qwen", "metrics": {"acc": 0.93}},
        {"family": "qwen", "metrics": {"acc": 0.93}},
    ),
    "agents": (
        {
            "code": "ag1",
            "name_zh": "排产智能体",
            "industry": "steel",
            "organisation": "org-a",
            "endpoint": "https://agent.example/a2a",
        },
        {"organisation": "org-a", "endpoint": "https://agent.example/a2a", "status": "registered"},
        {"status": "已发布"},
        {"status": "published"},
    ),
    "cases": (
        {
            "code": "case1",
            "name_zh": "缺陷检测落地",
            "kind": "落地案例",
            "industry": "steel",
            "model": "mdl-a@1",
            "organisation": "org-b",
            "go_live_on": "2026-06-01",
            "effect": "漏检率下降 40%",
        },
        {"kind": "landing", "model": "mdl-a@1", "agent": None, "organisation": "org-b", "go_live_on": "2026-06-01"},
        {"effect": "漏检率下降 45%"},
        {"effect": "漏检率下降 45%", "model": "mdl-a@1"},
    ),
    "contracts": (
        {"dataset": "ds-a", "consumer": "org-b", "purpose": "联邦训练", "policy": {"permission": "federatedTrain"}},
        {
            "dataset": "ds-a@1",
            "provider": "org-a",
            "consumer": "org-b",
            "state": "REQUESTED",
            "policy": {"permission": "federatedTrain"},
        },
        {"purpose": "评测", "expires_at": "2027-01-01T00:00:00Z"},
        {"purpose": "评测", "provider": "org-a"},
    ),
    "jobs": (
        {"kind": "training", "name": "缺陷模型联邦训练", "submitter": "org-b", "rounds_total": 5, "spec": {"lr": 0.01}},
        {"status": "queued", "rounds_total": 5, "rounds_done": 0, "submitter": "org-b", "spec": {"lr": 0.01}},
        {"name": "缺陷模型联邦训练 v2"},
        {"name": "缺陷模型联邦训练 v2", "kind": "training"},
    ),
    "evaluations": (
        {"model": "mdl-a", "dataset": "ds-b", "evaluator": "org-b", "metrics": {"map": 0.7}, "signature": "ed25519:x"},
        {"model": "mdl-a@1", "dataset": "ds-b@1", "evaluator": "org-b", "metrics": {"map": 0.7}},
        {"metrics": {"map": 0.72}},
        {"metrics": {"map": 0.72}, "signature": "ed25519:x"},
    ),
    "data-demands": (
        {"target": "org-a", "industry": "steel", "slice_description": "夜班低照度样本", "examples_wanted": 500},
        {"target": "org-a", "status": "open", "examples_wanted": 500, "evaluation": None},
        {"status": "answered"},
        {"status": "answered", "slice_description": "夜班低照度样本"},
    ),
    "reports": (
        {
            "entity": "ent-a",
            "kind": "实施方案",
            "title": "甲省实施方案",
            "submitted_on": "2026-05-20",
            "status": "已报送",
        },
        {"entity": "ent-a", "kind": "plan", "status": "submitted", "submitted_on": "2026-05-20", "lang": "zh"},
        {"title": "甲省实施方案（修订）"},
        {"title": "甲省实施方案（修订）", "kind": "plan"},
    ),
}


def _subset(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    assert {k: actual[k] for k in expected} == expected


def _instant(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert moment.tzinfo is not None, f"{value} has no time zone"
    return moment


def _same(a: dict[str, Any], b: dict[str, Any]) -> None:
    """Equal rows; timestamps must carry an offset and denote the same instant."""
    assert a.keys() == b.keys()
    for key in a:
        if key in TIMES and a[key] is not None:
            assert _instant(a[key]) == _instant(b[key]), key
        else:
            assert a[key] == b[key], key


def test_round_trips_cover_every_writable_concept():
    assert set(ROUND_TRIPS) == {name for name, c in CONCEPTS.items() if c.create is not None}


@pytest.mark.parametrize("name", list(ROUND_TRIPS))
def test_create_read_update_list_delete_round_trip(world, name):
    create, expected, change, expected_after = ROUND_TRIPS[name]
    concept = CONCEPTS[name]
    created = world.post(f"/api/v1/{name}", create)
    assert created.status_code == 201, created.json()
    body = created.json()
    _subset(body, expected)
    url = created.headers["location"]
    assert url == f"/api/v1/{name}/{body['id']}"
    _same(world.get(url).json(), body)
    if "code" in concept.lookup:
        key = f"{body['code']}@{body['version']}" if concept.versioned else body["code"]
        _same(world.get(f"/api/v1/{name}/{key}").json(), body)

    changed = world.patch(url, change)
    assert changed.status_code == 200, changed.json()
    _subset(changed.json(), expected_after)
    _same(world.get(url).json(), changed.json())
    assert _instant(changed.json()["created_at"]) == _instant(body["created_at"])
    assert _instant(changed.json()["updated_at"]) >= _instant(body["updated_at"])

    listed = world.get(f"/api/v1/{name}", params={"page_size": 500}).json()
    assert body["id"] in [item["id"] for item in listed["items"]]
    for field in concept.filters:
        value = changed.json().get(field)
        if isinstance(value, str):
            only = world.get(f"/api/v1/{name}", params={field: value, "page_size": 500}).json()
            assert body["id"] in [item["id"] for item in only["items"]], field
            assert all(item[field] == value for item in only["items"]), field

    assert world.delete(url).status_code == 204
    assert error(world.get(url))["code"] == "not_found"
    assert world.delete(url).status_code == 404


def test_contract_expiry_is_kept_as_an_instant(world):
    created = world.post(
        "/api/v1/contracts", {"dataset": "ds-a", "consumer": "org-b", "expires_at": "2027-01-01T08:00:00+08:00"}
    )
    read = world.get(created.headers["location"]).json()
    assert _instant(read["expires_at"]) == datetime(2027, 1, 1, tzinfo=UTC)
    assert _instant(created.json()["expires_at"]) == datetime(2027, 1, 1, tzinfo=UTC)


def test_industries_are_the_fixed_twenty_and_read_only(api):
    listed = api.get("/api/v1/industries", params={"page_size": 100}).json()
    assert listed["total"] == 20 and [i["position"] for i in listed["items"]] == list(range(1, 21))
    steel = {"id": 1, "code": "steel", "name_zh": "钢铁", "name_en": "Steel", "position": 1}
    for key in ("steel", "钢铁", "Steel", "1"):
        assert api.get(f"/api/v1/industries/{key}").json() == steel
    assert api.post("/api/v1/industries", {"code": "x"}).status_code == 405
    assert api.patch("/api/v1/industries/steel", {"name_en": "x"}).status_code == 405
    refused = api.delete("/api/v1/industries/steel")
    assert refused.status_code == 405 and error(refused)["code"] == "method_not_allowed"
    assert refused.headers["allow"] == "GET"


def test_pagination_reports_total_and_stops_at_the_last_page(world):
    ids = [world.add("jobs", {"kind": "training", "name": f"j{i}", "submitter": "org-a"})["id"] for i in range(7)]
    pages = [world.get("/api/v1/jobs", params={"page": p, "page_size": 3}).json() for p in (1, 2, 3, 4)]
    assert [p["total"] for p in pages] == [7, 7, 7, 7]
    assert [len(p["items"]) for p in pages] == [3, 3, 1, 0]
    assert [p["page"] for p in pages] == [1, 2, 3, 4] and {p["page_size"] for p in pages} == {3}
    assert [i["id"] for p in pages for i in p["items"]] == ids
    assert world.get("/api/v1/jobs").json()["page_size"] == 50
    assert len(world.get("/api/v1/jobs", params={"page_size": 500}).json()["items"]) == 7
    for bad in ({"page": 0}, {"page_size": 0}, {"page_size": 501}, {"page": "two"}, {"page": 10**7}):
        refused = world.get("/api/v1/jobs", params=bad)
        assert refused.status_code == 422 and error(refused)["where"].startswith("query."), bad


def _ids(api, url: str, **params: Any) -> list[int]:
    reply = api.get(url, params=params)
    assert reply.status_code == 200, reply.json()
    return [item["id"] for item in reply.json()["items"]]


def test_every_filter_type(world):
    a = world.get("/api/v1/datasets/ds-a").json()["id"]
    b = world.add(
        "datasets",
        {
            "code": "ds-c",
            "name_zh": "丙",
            "kind": "evaluation",
            "industry": "ships",
            "owner": "org-a",
            "sensitivity": "core",
        },
    )["id"]
    owner_id = world.get("/api/v1/organisations/org-a").json()["id"]
    # references: by code, Chinese name or id
    for owner in ("org-a", "甲钢铁公司", str(owner_id)):
        assert _ids(world, "/api/v1/datasets", owner=owner) == [a, b]
    # vocabularies: by key, zh label or en label
    for kind in ("evaluation", "评测", "Evaluation", "EVALUATION"):
        assert _ids(world, "/api/v1/datasets", kind=kind) == [b]
    assert _ids(world, "/api/v1/datasets", sensitivity="核心") == [b]
    assert _ids(world, "/api/v1/datasets", industry="钢铁", owner="org-a") == [a]  # filters combine with AND
    assert _ids(world, "/api/v1/datasets", industry="ships", owner="org-b") == []
    # booleans
    scenario = {"industry": "steel", "entity": "ent-a", "stage": "production"}
    s1 = world.add("scenarios", {**scenario, "code": "s1", "name_zh": "一"})["id"]
    s2 = world.add("scenarios", {**scenario, "code": "s2", "name_zh": "二", "stage": "rd_design"})["id"]
    with world.registry.sessions.begin() as session:
        session.execute(update(m.Scenario).where(m.Scenario.id == s2).values(is_reference_example=True))
    for flag, expected in (("true", [s2]), ("false", [s1]), ("1", [s2]), ("0", [s1])):
        assert _ids(world, "/api/v1/scenarios", is_reference_example=flag, entity="ent-a") == expected
    assert _ids(world, "/api/v1/scenarios", stage="研发设计", entity="甲省") == [s2]
    # plain values
    c = world.add("contracts", {"dataset": "ds-a", "consumer": "org-b"})["id"]
    assert _ids(world, "/api/v1/contracts", state="REQUESTED") == [c]
    assert _ids(world, "/api/v1/contracts", state="AGREED") == []
    assert _ids(world, "/api/v1/contracts", provider="org-a", consumer="org-b") == [c]
    j = world.add("jobs", {"kind": "evaluation", "submitter": "org-b"})["id"]
    assert _ids(world, "/api/v1/jobs", kind="evaluation", status="queued") == [j]
    # refused filters say what is wrong
    unknown = world.get("/api/v1/datasets", params={"colour": "red"})
    assert unknown.status_code == 422 and error(unknown)["where"] == "query.colour"
    bad_vocab = error(world.get("/api/v1/datasets", params={"kind": "galaxy"}))
    assert bad_vocab["code"] == "unknown_value" and "行业通识" in bad_vocab["fix"]
    bad_ref = error(world.get("/api/v1/datasets", params={"owner": "nobody"}))
    assert bad_ref["code"] == "unknown_reference" and bad_ref["where"] == "filter owner"
    assert world.get("/api/v1/datasets", params={"owner": "²"}).status_code == 422
    assert world.get("/api/v1/scenarios", params={"is_reference_example": "perhaps"}).status_code == 422


def test_search_in_chinese_and_english(world):
    hit = world.add(
        "datasets",
        {
            "code": "hr",
            "name_zh": "热轧钢板表面缺陷数据集",
            "name_en": "Hot-rolled plate surface defects",
            "kind": "common",
            "industry": "steel",
            "owner": "org-a",
        },
    )
    world.add(
        "datasets",
        {"code": "cold", "name_zh": "冷轧带钢厚度数据", "kind": "common", "industry": "steel", "owner": "org-b"},
    )
    for q in ("轧钢", "热轧钢板", "表面缺陷", "surface defects", "HOT-ROLLED", "hr"):
        assert _ids(world, "/api/v1/datasets", q=q) == [hit["id"]], q
    assert len(_ids(world, "/api/v1/datasets", q="轧")) == 2  # one character matches as a prefix
    assert _ids(world, "/api/v1/datasets", q="铝合金") == []
    assert _ids(world, "/api/v1/datasets", q="轧钢", owner="org-b") == []
    assert error(world.get("/api/v1/datasets", params={"q": "！？"}))["code"] == "bad_query"
    everywhere = world.get("/api/v1/search", params={"q": "钢铁公司"}).json()
    assert [(r["concept"], r["total"]) for r in everywhere["results"]] == [("organisations", 2)]
    across = {r["concept"]: r for r in world.get("/api/v1/search", params={"q": "表面缺陷"}).json()["results"]}
    assert [item["id"] for item in across["datasets"]["items"]] == [hit["id"]]
    assert all(r["total"] >= len(r["items"]) > 0 for r in across.values())
    assert world.get("/api/v1/search", params={"q": "无此词"}).json()["results"] == []


def test_vocabularies_have_keys_and_both_labels(api):
    vocab = api.get("/api/v1/vocabularies").json()
    assert {"key": "important", "zh": "重要", "en": "Important"} in vocab["sensitivity_level"]
    assert [e["key"] for e in vocab["token_role"]] == [
        "operator",
        "provider",
        "developer",
        "evaluator",
        "authority",
        "viewer",
    ]
    assert all(e["zh"] and e["en"] for entries in vocab.values() for e in entries)
