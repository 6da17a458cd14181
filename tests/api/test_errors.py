"""Refusals through the REST API: 404, 405, 409, 422, and that a refused write leaves nothing behind."""

from __future__ import annotations

import json

import pytest
from apiworld import error
from sqlalchemy import text

from resonance.api.app import create_app
from resonance.errors import ResonanceError


def _dataset(**fields: object) -> dict[str, object]:
    return {"code": "d1", "name_zh": "数据集一", "kind": "common", "industry": "steel", "owner": "org-a", **fields}


UNKNOWN = [
    "/api/v1/datasets/nope",
    "/api/v1/datasets/99999",
    "/api/v1/datasets/ds-a@9",
    "/api/v1/contracts/abc",
    "/api/v1/industries/wood",
    "/api/v1/datasets/²",
    "/api/v1/datasets/%20",
]


def test_unknown_rows_are_404_with_a_fix(world):
    for url in UNKNOWN:
        for reply in (world.get(url), world.patch(url, {}), world.delete(url)):
            if reply.status_code == 405:  # industries cannot be changed at all
                continue
            assert reply.status_code == 404, (url, reply.request.method, reply.text)
            err = error(reply)
            assert err["code"] == "not_found" and "list" in err["fix"]


def test_unknown_endpoints_and_methods_have_the_error_shape(api):
    missing = api.get("/api/v1/galaxies")
    assert missing.status_code == 404 and error(missing)["code"] == "not_found"
    wrong = api.client.put("/api/v1/datasets/x", headers=api.operator)
    assert wrong.status_code == 405 and wrong.headers["allow"] == "DELETE, GET, PATCH"
    assert "PATCH" in error(wrong)["fix"]


def test_duplicates_are_409(world):
    assert world.post("/api/v1/datasets", _dataset()).status_code == 201
    again = world.post("/api/v1/datasets", _dataset(name_zh="另一个"))
    assert again.status_code == 409 and "d1@1" in error(again)["what"]
    assert world.post("/api/v1/datasets", _dataset(version="2")).status_code == 201
    same_name = world.post("/api/v1/organisations", {"code": "org-c", "name_zh": "甲钢铁公司"})
    assert same_name.status_code == 409 and error(same_name)["code"] == "conflict"
    city = {"entity": "ent-a", "name_zh": "苏州市"}
    assert world.post("/api/v1/key-cities", city).status_code == 201
    assert world.post("/api/v1/key-cities", city).status_code == 409  # unique (entity, name) in the database
    referenced = world.delete("/api/v1/organisations/org-a")
    assert referenced.status_code == 409 and "referenced" in error(referenced)["what"]
    assert world.get("/api/v1/organisations/org-a").status_code == 200


BAD_VALUES = [  # payload -> error code, where
    (_dataset(kind="galaxy"), "unknown_value", "field kind"),
    (_dataset(sensitivity="绝密"), "unknown_value", "field sensitivity"),
    (_dataset(owner="nobody"), "unknown_value", "field owner"),
    (_dataset(owner="²"), "validation_error", "body.owner"),
    (_dataset(industry="wood"), "unknown_value", "field industry"),
    (_dataset(name_zh="长" * 201), "validation_error", "body.name_zh"),
    (_dataset(description="x" * 20_001), "validation_error", "body.description"),
    (_dataset(modality="m" * 301), "validation_error", "body.modality"),  # longer than its column
    (_dataset(name_zh="坏\x00名"), "validation_error", "body.name_zh"),
    (_dataset(row_count="many"), "validation_error", "body.row_count"),
    (_dataset(row_count=-1), "validation_error", "body.row_count"),
    (_dataset(row_count=10**20), "validation_error", "body.row_count"),
    (_dataset(quality_score=101), "validation_error", "body.quality_score"),
    (_dataset(quality_grade="Z"), "validation_error", "body.quality_grade"),
    (_dataset(code="has space"), "validation_error", "body.code"),
    (_dataset(colour="red"), "validation_error", "body.colour"),
    ({"code": "d1"}, "validation_error", "body.name_zh"),
    ([1, 2], "validation_error", "body"),
]


def test_bad_values_are_422_with_where_and_fix(world):
    for body, code, where in BAD_VALUES:
        reply = world.post("/api/v1/datasets", body)
        assert reply.status_code == 422, reply.json()
        err = error(reply)
        assert (err["code"], err["where"], bool(err["fix"])) == (code, where, True), body
    assert world.count("datasets") == 2


def test_several_bad_values_are_reported_together(world):
    err = error(world.post("/api/v1/datasets", _dataset(kind="galaxy", owner="nobody", industry="wood")))
    assert {p["where"] for p in err["problems"]} == {"field kind", "field owner", "field industry"}
    err = error(world.post("/api/v1/datasets", _dataset(row_count="x", name_zh="", quality_score="high")))
    assert {p["where"] for p in err["problems"]} == {"body.row_count", "body.name_zh", "body.quality_score"}


def test_malformed_json_nan_and_nul_in_urls_are_422(world):
    headers = {**world.operator, "content-type": "application/json"}
    broken = world.client.post("/api/v1/datasets", content=b'{"code": ', headers=headers)
    assert broken.status_code == 422 and error(broken)["code"] == "validation_error"
    not_utf8 = world.client.post("/api/v1/datasets", content=b'{"code": "\xff\xfe"}', headers=headers)
    assert (
        not_utf8.status_code == 400 and error(not_utf8)["code"] == "bad_request" and "UTF-8" in error(not_utf8)["fix"]
    )
    nan = json.dumps(
        {
            "code": "m9",
            "name_zh": "模",
            "kind": "industry",
            "industry": "steel",
            "developer": "org-a",
            "metrics": {"acc": float("nan")},
        }
    )
    reply = world.client.post("/api/v1/models", content=nan.encode(), headers=headers)
    assert reply.status_code == 422 and error(reply)["where"].startswith("body.metrics")
    assert world.get("/api/v1/datasets", params={"q": "a\x00b"}).status_code == 422
    assert world.get("/api/v1/datasets", params={"owner": "a\x00"}).status_code == 422
    assert world.get("/api/v1/datasets/a%00b").status_code == 422
    far = world.post(
        "/api/v1/contracts", {"dataset": "ds-a", "consumer": "org-b", "expires_at": "9999-12-31T23:00:00-10:00"}
    )
    assert far.status_code == 422 and error(far)["where"] == "body.expires_at"


def test_patch_refuses_null_for_required_fields_and_keeps_the_row(world):
    before = world.get("/api/v1/datasets/ds-a").json()
    reply = world.patch("/api/v1/datasets/ds-a", {"name_zh": None, "status": None})
    assert reply.status_code == 422
    assert {p["where"] for p in error(reply)["problems"]} == {"body.name_zh", "body.status"}
    assert world.get("/api/v1/datasets/ds-a").json() == before
    assert world.patch("/api/v1/datasets/ds-a", {"entity": None}).json()["entity"] is None  # optional: cleared


def test_a_failing_write_leaves_nothing_half_written(world):
    # an unknown member (resolved by the write hook, after the space's own fields) undoes the whole space
    space = {
        "code": "sp",
        "name_zh": "空间",
        "entity": "ent-a",
        "operator": "org-a",
        "operator_type": "neutral_third_party",
        "members": [{"organisation": "ghost", "role": "provider"}],
    }
    refused = world.post("/api/v1/spaces", space)
    assert refused.status_code == 422 and "members[0].organisation" in error(refused)["where"]
    assert world.count("spaces") == 0
    # an update whose second half fails leaves the first half unapplied
    before = world.get("/api/v1/datasets/ds-a").json()
    assert world.patch("/api/v1/datasets/ds-a", {"name_en": "changed", "industry": "wood"}).status_code == 422
    assert world.get("/api/v1/datasets/ds-a").json() == before
    # a write refused for permissions after the row and its search terms were flushed leaves neither
    provider = world.token("provider", org="org-a")
    terms = "SELECT count(*) FROM search_terms WHERE kind = 'datasets'"
    with world.registry.session() as session:
        before_terms = session.scalar(text(terms))
    assert world.post("/api/v1/datasets", _dataset(owner="org-b"), headers=provider).status_code == 403
    assert world.count("datasets") == 2
    with world.registry.session() as session:
        assert session.scalar(text(terms)) == before_terms


def test_the_app_refuses_a_database_with_an_outdated_schema(registry):
    with registry.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0000_old'"))
    with pytest.raises(ResonanceError) as refused:
        create_app(registry.url)
    assert refused.value.code == "schema_outdated" and "resonance space init" in refused.value.fix


def test_the_app_refuses_an_unreachable_database(tmp_path):
    with pytest.raises(ResonanceError) as refused:
        create_app("postgresql://nobody@127.0.0.1:1/none")
    assert refused.value.code == "database_unreachable"
