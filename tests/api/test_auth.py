"""Bearer-token authentication: which requests are refused (401) and why, and how tokens are stored."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from apiworld import error
from sqlalchemy import select, text, update

from resonance import tokens
from resonance.errors import ResonanceError
from resonance.registry import models as m
from resonance.registry.db import transaction


def _refusal(reply) -> dict:
    assert reply.status_code == 401, reply.text
    assert reply.headers["www-authenticate"] == "Bearer"
    err = error(reply)
    assert err["code"] == "unauthorized" and err["fix"]
    return err


def test_anonymous_requests_are_refused(api):
    for url in ("/api/v1/datasets", "/api/v1/datasets/1", "/api/v1/vocabularies", "/api/v1/search?q=x"):
        err = _refusal(api.client.get(url))
        assert "needs an API token" in err["what"] and "resonance token create" in err["fix"]


def test_anonymous_writes_are_refused_before_their_body_is_read(api):
    err = _refusal(api.client.post("/api/v1/datasets", json={"nonsense": True}))
    assert "needs an API token" in err["what"]
    _refusal(api.client.delete("/api/v1/datasets/1"))


def test_health_openapi_and_docs_need_no_token(api):
    assert api.client.get("/health").json() == {"status": "ok", "version": "0.1.0"}
    schema = api.client.get("/openapi.json").json()
    assert schema["info"]["title"] == "Resonance Space API" and "模数共振空间" in schema["info"]["description"]
    assert "ApiToken" in schema["components"]["securitySchemes"]
    assert "swagger" in api.client.get("/docs").text.lower()


GARBAGE = [
    ("Basic dXNlcjpwYXNz", "not of the form `Bearer <token>`"),
    ("Bearer", "not of the form `Bearer <token>`"),
    ("Bearer hello", "not a Resonance API token"),
    ("Bearer rs_deadbeef_" + "x" * 43, "no API token matches rs_deadbeef_…"),
    ("Bearer rs_", "no API token matches"),
]


def test_garbage_tokens_are_refused_with_the_reason(api):
    for header, message in GARBAGE:
        err = _refusal(api.client.get("/api/v1/datasets", headers={"Authorization": header}))
        assert message in err["what"], header


def test_a_revoked_token_is_refused_and_says_when(api):
    headers = api.token("viewer")
    assert api.get("/api/v1/datasets", headers=headers).status_code == 200
    with transaction(api.registry.sessions) as session:
        token = tokens.revoke(session, session.scalars(select(m.ApiToken).order_by(m.ApiToken.id.desc())).first().id)
        when = token.revoked_at
    err = _refusal(api.get("/api/v1/datasets", headers=headers))
    assert "was revoked at" in err["what"] and f"{when:%Y-%m-%d}" in err["what"]
    assert "new token" in err["fix"]
    assert api.get("/api/v1/datasets").status_code == 200  # other tokens still work


def test_an_expired_token_is_refused_and_says_when_and_how_to_get_another(api):
    headers = api.token("viewer", days=30)
    assert api.get("/api/v1/datasets", headers=headers).status_code == 200
    past = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    with transaction(api.registry.sessions) as session:
        session.execute(update(m.ApiToken).where(m.ApiToken.role == "viewer").values(expires_at=past))
    err = _refusal(api.get("/api/v1/datasets", headers=headers))
    assert "expired at 2026-01-02 03:04 UTC" in err["what"]
    assert "resonance token create --role viewer" in err["fix"]


def test_only_the_hash_of_a_secret_is_stored(api):
    with transaction(api.registry.sessions) as session:
        row, secret = tokens.create_token(session, "ci", "operator")
        token_id = row.id
    assert secret.startswith(f"rs_{row.prefix}_") and len(secret) > 40
    with api.registry.engine.connect() as conn:
        stored = conn.execute(text("SELECT * FROM api_tokens WHERE id = :id"), {"id": token_id}).mappings().one()
    assert all(secret not in str(value) for value in stored.values())
    assert stored["secret_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert api.get("/api/v1/datasets", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert api.get("/api/v1/datasets", headers={"Authorization": f"Bearer {secret}x"}).status_code == 401


def test_use_is_recorded(api):
    headers = api.token("viewer")
    api.get("/api/v1/datasets", headers=headers)
    with api.registry.session() as session:
        token = session.scalars(select(m.ApiToken).where(m.ApiToken.role == "viewer")).one()
        used = tokens.aware(token.last_used_at)
    assert used is not None and datetime.now(UTC) - used < timedelta(minutes=5)


BINDINGS = [  # role, org, entity, expires_in_days -> code, where
    ("provider", None, None, None, "bad_binding", "role"),
    ("developer", None, "ent-a", None, "bad_binding", "role"),
    ("authority", None, None, None, "bad_binding", "role"),
    ("authority", "org-a", "ent-a", None, "bad_binding", "role"),
    ("viewer", "org-a", None, None, "bad_binding", "role"),
    ("operator", None, "ent-a", None, "bad_binding", "role"),
    ("provider", "ghost", None, None, "unknown_reference", "org"),
    ("authority", None, "ghost", None, "unknown_reference", "entity"),
    ("king", None, None, None, "unknown_value", "role"),
    ("viewer", None, None, 0, "validation_error", "expires_in_days"),
    ("viewer", None, None, 100_000, "validation_error", "expires_in_days"),
]


def test_token_roles_must_have_the_right_binding(world):
    for role, org, entity, days, code, where in BINDINGS:
        with pytest.raises(ResonanceError) as refused, transaction(world.registry.sessions) as session:
            tokens.create_token(session, None, role, org=org, entity=entity, expires_in_days=days)
        assert (refused.value.code, refused.value.where, bool(refused.value.fix)) == (code, where, True), role
    with world.registry.session() as session:
        assert session.scalar(select(m.ApiToken.id).where(m.ApiToken.role != "operator")) is None


def test_each_role_gets_its_binding(world):
    with transaction(world.registry.sessions) as session:
        for role, org, entity in [
            ("provider", "甲钢铁公司", None),
            ("authority", None, "乙省"),
            ("评测机构", "org-b", None),
        ]:
            _, secret = tokens.create_token(session, None, role, org=org, entity=entity, expires_in_days=7)
            principal = tokens.verify(session, secret)
            assert (principal.org_code, principal.entity_code) in {("org-a", None), (None, "ent-b"), ("org-b", None)}
        assert principal.role == "evaluator" and principal.token_name == "evaluator org-b"
