"""Property-based tests of every operation in /openapi.json (schemathesis, in process over ASGI).

Valid and invalid requests are generated from the schema and sent with an operator token against a small
world (two entities, organisations, datasets, models), on SQLite and on PostgreSQL. The checks: no request
is answered with a server error; every documented response matches its schema in /openapi.json (typed
rows, pages, and the error shape); every refusal is a 4xx with the error shape.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from apiworld import Api, build_world
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

# Deterministic and bounded by default (CI); RESONANCE_API_FUZZ_EXAMPLES=200 runs a longer, random hunt.
FUZZ = os.environ.get("RESONANCE_API_FUZZ_EXAMPLES")
MAX_EXAMPLES = int(FUZZ) if FUZZ else 15

CONFIG = {
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": not FUZZ},
    # the coverage phase adds boundary cases (lengths, missing fields, wrong types) on top of the fuzzing
    "phases": {"coverage": {"enabled": True}, "examples": {"enabled": True}, "fuzzing": {"enabled": True}},
}


ORGS, ENTITIES = ["org-a", "org-b", "甲钢铁公司"], ["ent-a", "乙省"]
# Values that name rows of the world or vocabulary keys: generated bodies, filters and keys are switched
# to them now and then, so that requests get past validation into the services and the database.
KNOWN: dict[str, list[Any]] = {
    **dict.fromkeys(
        ("owner", "operator", "lead", "developer", "organisation", "consumer", "provider", "submitter", "evaluator"),
        ORGS,
    ),
    "target": ORGS,
    "entity": ENTITIES,
    "industry": ["steel", "钢铁", "ships"],
    "dataset": ["ds-a", "ds-b@1"],
    "model": ["mdl-a", "mdl-b@1"],
    "kind": ["common", "industry", "application", "province", "plan", "training", "evaluation", "landing"],
    "status": ["registered", "open", "draft", "planned", "building"],
    "stage": ["production", "研发设计"],
    "operator_type": ["neutral_third_party"],
    "sensitivity": ["core"],
    "industries": [["steel", "ships"]],
    "roles": [["data", "模型企业"]],
    "members": [[{"organisation": "org-a", "role": "provider"}], [{"organisation": "org-b", "role": "data"}]],
}
KEYS = ["1", "2", "ds-a", "ds-a@1", "org-a", "ent-a", "mdl-a", "steel"]


def _known(values: Any) -> Any:
    if not isinstance(values, dict):
        return st.just(values)
    swaps = {k: st.sampled_from([v, *KNOWN[k]]) for k, v in values.items() if k in KNOWN}
    return st.fixed_dictionaries(swaps).map(lambda chosen: {**values, **chosen})


def _hooks(schema: Any) -> None:
    def flatmap_body(context: Any, body: Any) -> Any:
        return _known(body)

    def flatmap_query(context: Any, query: Any) -> Any:
        return _known(query)

    def flatmap_path_parameters(context: Any, path_parameters: Any) -> Any:
        if not isinstance(path_parameters, dict) or "key" not in path_parameters:
            return st.just(path_parameters)
        return st.sampled_from([path_parameters["key"], *KEYS]).map(lambda key: {**path_parameters, "key": key})

    for hook in (flatmap_body, flatmap_query, flatmap_path_parameters):
        schema.hook(hook)


@pytest.fixture
def api_schema(api: Api, request: pytest.FixtureRequest) -> Any:
    # schemathesis 4.32 renames the test through `node._nodeid`, which pytest 9 no longer has (it keeps `_id`)
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
    build_world(api)
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", api.client.app, config=schemathesis.Config.from_dict(CONFIG)
    )
    _hooks(schema)
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


def _error_shape(response: Any) -> str | None:
    if response.status_code < 400:
        return None
    body = response.json()
    if set(body) != {"error"} or not {"code", "what", "where", "fix"} <= set(body["error"]):
        return f"{response.status_code} without the error shape: {body}"
    return None


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_is_a_server_error(case: Any, api: Api) -> None:
    response = case.call(headers=api.operator)
    case.validate_response(response, checks=(not_a_server_error, response_schema_conformance))
    assert _error_shape(response) is None, _error_shape(response)
