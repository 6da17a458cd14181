"""The authorisation matrix: role × concept × action × own/other row, with the exact status of every cell.

Tokens of the bound roles belong to side ``a`` of the world (organisation ``org-a``, entity ``ent-a``);
"own" rows name side ``a`` in every organisation and entity field, "other" rows name side ``b``.
The expectations are written out here, independently of ``resonance.permissions``, and every cell is
requested: allowed cells answer 200/201/204, denied ones 403 (the role may never do it, or the row is
someone else's) or 404 (a row the token may not even read: its existence does not leak).
"""

from __future__ import annotations

from typing import Any

import pytest
from apiworld import Api, payload

CELLS = ("list", "get:own", "get:other", "create:own", "create:other", "update:own", "update:other",
         "delete:own", "delete:other")  # fmt: skip
ROLES = ("operator", "provider", "developer", "evaluator", "authority", "viewer")

ALL = "200 200 200 201 201 200 200 204 204"  # the operator
OWN = "200 200 200 201 403 200 403 204 403"  # writes its own rows only
READ = "200 200 200 403 403 403 403 403 403"  # public: reads everything, writes nothing
NONE = "403 403 403 403 403 403 403 403 403"  # may not even read the concept
FIXED = "200 200 200 405 405 405 405 405 405"  # industries: nobody writes them

# concept: role -> statuses of CELLS; a role left out has READ
MATRIX: dict[str, dict[str, str]] = {
    "industries": dict.fromkeys(ROLES, FIXED),
    "entities": {"operator": ALL},
    "key-cities": {"operator": ALL, "authority": OWN},
    "organisations": {"operator": ALL},
    "spaces": {"operator": ALL, "authority": OWN},
    "consortia": {"operator": ALL, "authority": OWN},
    "scenarios": {"operator": ALL, "provider": OWN, "developer": OWN, "authority": OWN},
    "datasets": {"operator": ALL, "provider": OWN, "evaluator": OWN},
    "models": {"operator": ALL, "developer": OWN},
    "agents": {"operator": ALL, "developer": OWN},
    "cases": {"operator": ALL, "developer": OWN},
    "evaluations": {"operator": ALL, "evaluator": OWN},
    "contracts": {
        "operator": ALL,
        "provider": "200 200 404 403 403 200 404 403 403",  # reads and updates its contracts as provider
        "developer": "200 200 404 201 403 403 403 403 403",  # requests contracts as consumer
        "evaluator": "200 200 404 403 403 403 403 403 403",
        "authority": NONE,
        "viewer": NONE,
    },
    "jobs": {
        "operator": ALL,
        "provider": "200 200 404 403 403 403 403 403 403",
        "developer": "200 200 404 201 403 200 404 204 404",
        "evaluator": "200 200 404 403 403 403 403 403 403",
        "authority": NONE,
        "viewer": NONE,
    },
    "data-demands": {
        "operator": ALL,
        "provider": "200 200 404 403 403 403 403 403 403",  # demands addressed to it
        "developer": "200 200 404 403 403 403 403 403 403",
        "evaluator": "200 200 200 201 201 403 403 403 403",  # sees all, routes to anyone
        "authority": NONE,
        "viewer": NONE,
    },
    "reports": {
        "operator": ALL,
        "authority": "200 200 404 201 403 200 404 204 404",  # its own entity's reports only
        "provider": NONE,
        "developer": NONE,
        "evaluator": NONE,
        "viewer": NONE,
    },
}

CHANGE: dict[str, dict[str, Any]] = {
    "industries": {"name_en": "x"},
    "contracts": {"purpose": "改"},
    "jobs": {"name": "改"},
    "evaluations": {"metrics": {"f1": 0.6}},
    "data-demands": {"slice_description": "改"},
}
_SIDES = (("own", "a"), ("other", "b"))
BASE_ROWS = {"entities": "ent", "organisations": "org", "datasets": "ds", "models": "mdl"}


def expected(concept: str, role: str) -> dict[str, int]:
    statuses = MATRIX[concept].get(role, READ).split()
    assert len(statuses) == len(CELLS)
    return dict(zip(CELLS, map(int, statuses), strict=True))


def test_the_matrix_covers_every_concept(api):
    paths = api.client.get("/openapi.json").json()["paths"]
    assert {p.split("/")[3] for p in paths if p.startswith("/api/v1/") and p.count("/") >= 3} - {
        "vocabularies",
        "search",
        "nodes",  # not a registry concept: node-key signed, tested in tests/api/test_nodes_api.py
        # governance records, not registry concepts: tested in tests/api/test_contracts_api.py
        "policies",
        "budgets",
        "metering",
        "ledger",
        # where nodes connect for training: public material only, tested in tests/api/test_federation_api.py
        "federation",
        # evaluation runs, leaderboards and data demands: tested in tests/api/test_evaluation_api.py
        "evaluation-runs",
        "leaderboards",
        "demands",
    } == set(MATRIX)


def _token(api: Api, role: str) -> dict[str, str]:
    if role in ("provider", "developer", "evaluator"):
        return api.token(role, org="org-a")
    if role == "authority":
        return api.token(role, entity="ent-a")
    return api.token(role)


def _rows(api: Api, concept: str) -> dict[str, str]:
    """URLs of the own and the other row of ``concept``."""
    if concept == "industries":
        return {"own": "/api/v1/industries/steel", "other": "/api/v1/industries/ships"}
    if concept in BASE_ROWS:
        return {s: f"/api/v1/{concept}/{BASE_ROWS[concept]}-{side}" for s, side in _SIDES}
    return {s: f"/api/v1/{concept}/{api.add(concept, payload(concept, side))['id']}" for s, side in _SIDES}


def _victims(api: Api, concept: str) -> dict[str, str]:
    if concept == "industries":
        return _rows(api, concept)
    return {s: f"/api/v1/{concept}/{api.add(concept, payload(concept, side))['id']}" for s, side in _SIDES}


def _check_body(reply: Any, status: int) -> str | None:
    if status in (403, 404, 405):
        err = reply.json().get("error", {})
        code = {403: "forbidden", 404: "not_found", 405: "method_not_allowed"}[status]
        if err.get("code") != code or not err.get("fix"):
            return f"error body {err}"
        if status == 403 and "operator" not in err["fix"] and "own" not in err["fix"]:
            return f"403 without who may: {err['fix']}"
    return None


@pytest.mark.parametrize("role", ROLES)
def test_authorisation_matrix(world, role):
    headers = _token(world, role)
    wrong: list[str] = []
    for concept in MATRIX:
        want = expected(concept, role)
        rows, victims = _rows(world, concept), _victims(world, concept)
        base = f"/api/v1/{concept}"
        change = CHANGE.get(concept, {"description": "改"})
        replies = {
            "list": world.get(base, headers=headers),
            **{f"get:{s}": world.get(rows[s], headers=headers) for s in ("own", "other")},
            **{f"create:{s}": world.post(base, payload(concept, side), headers=headers) for s, side in _SIDES},
            **{f"update:{s}": world.patch(rows[s], change, headers=headers) for s in ("own", "other")},
            **{f"delete:{s}": world.delete(victims[s], headers=headers) for s in ("own", "other")},
        }
        for cell, reply in replies.items():
            if reply.status_code != want[cell]:
                wrong.append(f"{concept} {cell}: expected {want[cell]}, got {reply.status_code} {reply.text[:200]}")
            elif problem := _check_body(reply, want[cell]):
                wrong.append(f"{concept} {cell}: {problem}")
    assert wrong == [], "\n".join(wrong)


# role -> concept -> which of the two rows (own = side a, other = side b) a list shows
VISIBLE = {
    "operator": {key: {"a", "b"} for key in ("contracts", "jobs", "data-demands", "reports")},
    "provider": {"contracts": {"a"}, "jobs": {"a"}, "data-demands": {"a"}},
    "developer": {"contracts": {"a"}, "jobs": {"a"}, "data-demands": {"a"}},
    "evaluator": {"contracts": {"a"}, "jobs": {"a"}, "data-demands": {"a", "b"}},
    "authority": {"reports": {"a"}},
    "viewer": {},
}


@pytest.mark.parametrize("role", ROLES)
def test_lists_and_search_show_only_readable_rows(world, role):
    headers = _token(world, role)
    for concept in ("contracts", "jobs", "data-demands", "reports"):
        ids = {side: world.add(concept, payload(concept, side))["id"] for side in ("a", "b")}
        reply = world.get(f"/api/v1/{concept}", headers=headers)
        if concept not in VISIBLE[role]:
            assert reply.status_code == 403, (concept, reply.text)
            continue
        listed = {item["id"] for item in reply.json()["items"]}
        assert listed == {ids[side] for side in VISIBLE[role][concept]}, concept
        assert reply.json()["total"] == len(listed)
    found = world.get("/api/v1/search", params={"q": "钢铁公司"}, headers=headers).json()["results"]
    assert [r["concept"] for r in found] == ["organisations"]  # public rows are searchable by every role


@pytest.mark.parametrize(
    ("role", "change", "field"),
    [
        ("provider", {"lead": "org-b"}, "lead"),
        ("developer", {"lead": "org-b"}, "lead"),
        ("developer", {"lead": None}, "lead"),
        ("authority", {"entity": "ent-b"}, "entity"),
    ],
)
def test_a_row_cannot_be_handed_to_another_party(world, role, change, field):
    url = f"/api/v1/scenarios/{world.add('scenarios', payload('scenarios', 'a'))['id']}"
    before = world.get(url).json()
    refused = world.patch(url, {**change, "description": "改"}, headers=_token(world, role))
    assert refused.status_code == 403
    err = refused.json()["error"]
    assert err["where"] == f"field {field}" and "own" in err["fix"]
    assert world.get(url).json() == before  # nothing of the refused change was kept
    assert world.patch(url, change).status_code == 200  # the operator may


def test_denials_name_the_roles_that_may(world):
    viewer = world.token("viewer")
    err = world.post("/api/v1/datasets", payload("datasets", "a"), headers=viewer).json()["error"]
    assert err["code"] == "forbidden" and "viewer" in err["what"]
    assert "operator" in err["fix"] and "provider" in err["fix"] and "evaluator" in err["fix"]
    assert "developer" not in err["fix"]
    err = world.get("/api/v1/reports", headers=viewer).json()["error"]
    assert "authority" in err["fix"] and "own action entity" in err["fix"]
    provider = world.token("provider", org="org-a")
    err = world.post("/api/v1/datasets", payload("datasets", "b"), headers=provider).json()["error"]
    assert "org-b" in err["what"] and "org-a" in err["fix"] and err["where"] == "field owner"
