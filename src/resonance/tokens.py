"""API tokens: create, verify, list and revoke; the one implementation behind the API and the CLI.

A secret looks like ``rs_<prefix>_<random>``. Only its SHA-256 is stored; the secret is shown once, at
creation. The prefix is stored in clear so that listings can tell tokens apart.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from resonance.errors import NotFound, ResonanceError, Unauthorized
from resonance.permissions import ENTITY_ROLES, ORG_ROLES, Principal
from resonance.registry import models as m
from resonance.registry.services import resolve
from resonance.registry.vocabularies import normalise

SECRET_PREFIX = "rs_"
MAX_DAYS = 36_500
_TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is refreshed at most this often, to keep reads cheap


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def aware(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; every stored moment is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def create_token(
    session: Session,
    name: str | None,
    role: str,
    org: str | None = None,
    entity: str | None = None,
    expires_in_days: int | None = None,
) -> tuple[m.ApiToken, str]:
    """Create a token and return (row, secret); the secret is not stored and cannot be shown again.

    Provider, developer and evaluator tokens must be bound to an organisation (``org``: code, name or
    USCC), authority tokens to an action entity (``entity``); operator and viewer tokens to neither.
    """
    role = normalise("token_role", role, where="role")
    org_row, entity_row = _binding(session, role, org, entity)
    expires_at = None
    if expires_in_days is not None:
        if not 1 <= expires_in_days <= MAX_DAYS:
            raise ResonanceError(
                what=f"a token cannot expire in {expires_in_days} days",
                where="expires_in_days",
                fix=f"use a whole number of days from 1 to {MAX_DAYS}, or leave it out for no expiry",
                code="validation_error",
                status=422,
            )
        expires_at = datetime.now(UTC) + timedelta(days=expires_in_days)
    name = (name or "").strip() or " ".join(
        x for x in (role, org_row and org_row.code, entity_row and entity_row.code) if x
    )
    if len(name) > 120 or "\x00" in name:
        raise ResonanceError(
            what="the token name is too long or contains a NUL character",
            where="name",
            fix="use a plain name of at most 120 characters",
            code="validation_error",
            status=422,
        )
    prefix = secrets.token_hex(4)
    secret = f"{SECRET_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    row = m.ApiToken(
        name=name,
        prefix=prefix,
        secret_hash=hash_secret(secret),
        role=role,
        org_id=org_row.id if org_row else None,
        entity_id=entity_row.id if entity_row else None,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return row, secret


def _binding(
    session: Session, role: str, org: str | None, entity: str | None
) -> tuple[m.Organisation | None, m.ActionEntity | None]:
    if role in ORG_ROLES and not org:
        raise _binding_error(role, "must be bound to an organisation", "pass --org CODE (the organisation it acts for)")
    if role in ENTITY_ROLES and not entity:
        raise _binding_error(
            role, "must be bound to an action entity", "pass --entity CODE (the province or enterprise)"
        )
    if org and role not in ORG_ROLES:
        raise _binding_error(role, "cannot be bound to an organisation", f"leave out --org; {_bindings_help()}")
    if entity and role not in ENTITY_ROLES:
        raise _binding_error(role, "cannot be bound to an action entity", f"leave out --entity; {_bindings_help()}")
    org_row = resolve(session, m.Organisation, org, where="org") if org else None
    entity_row = resolve(session, m.ActionEntity, entity, where="entity") if entity else None
    return org_row, entity_row


def _bindings_help() -> str:
    return f"{', '.join(ORG_ROLES)} tokens take --org, {', '.join(ENTITY_ROLES)} tokens take --entity"


def _binding_error(role: str, what: str, fix: str) -> ResonanceError:
    return ResonanceError(what=f"a {role} token {what}", where="role", fix=fix, code="bad_binding", status=422)


def verify(session: Session, secret: str) -> Principal:
    """The principal a secret stands for, or Unauthorized saying why it is refused."""
    return verify_token(session, secret)[0]


def verify_token(session: Session, secret: str) -> tuple[Principal, datetime | None]:
    """``verify``, plus the moment the token expires (None: never), for callers that keep the principal."""
    secret = secret.strip()
    if not secret.startswith(SECRET_PREFIX):
        raise Unauthorized(
            "the bearer token is not a Resonance API token (those start with 'rs_')",
            fix="send `Authorization: Bearer rs_…` with a token from `resonance token create`",
        )
    token = session.scalars(select(m.ApiToken).where(m.ApiToken.secret_hash == hash_secret(secret))).first()
    shown = secret.split("_")[1][:16] if secret.count("_") >= 2 else "?"
    if token is None:
        raise Unauthorized(
            f"no API token matches rs_{shown}_…",
            fix="check that the token was copied whole; a lost secret cannot be shown again, "
            "so ask an operator for a new one (`resonance token create`)",
        )
    now = datetime.now(UTC)
    revoked_at = aware(token.revoked_at)
    if revoked_at is not None:
        raise Unauthorized(
            f"API token rs_{token.prefix}_… ({token.name}) was revoked at {revoked_at:%Y-%m-%d %H:%M} UTC",
            fix="ask an operator for a new token (`resonance token create`)",
        )
    expires_at = aware(token.expires_at)
    if expires_at is not None and expires_at <= now:
        raise Unauthorized(
            f"API token rs_{token.prefix}_… ({token.name}) expired at {expires_at:%Y-%m-%d %H:%M} UTC",
            fix=f"ask an operator for a new one: `resonance token create --role {token.role} --expires-in-days N`",
        )
    last = aware(token.last_used_at)
    if last is None or now - last > _TOUCH_EVERY:
        token.last_used_at = now
    # codes only: loading the rows would load their collections too
    org_code = _code(session, m.Organisation, token.org_id)
    entity_code = _code(session, m.ActionEntity, token.entity_id)
    principal = Principal(
        role=token.role,
        org_id=token.org_id,
        org_code=org_code,
        entity_id=token.entity_id,
        entity_code=entity_code,
        token_id=token.id,
        token_name=token.name,
    )
    return principal, expires_at


def _code(session: Session, model: type[m.Organisation] | type[m.ActionEntity], row_id: int | None) -> str | None:
    if row_id is None:
        return None
    return session.scalar(select(model.code).where(model.id == row_id))


def get_token(session: Session, key: str | int) -> m.ApiToken:
    """A token by id or by prefix (as shown by `resonance token list`)."""
    text = str(key).strip().removeprefix(SECRET_PREFIX).rstrip("_…")
    token = None
    if text.isascii() and text.isdigit() and len(text) < 10:
        token = session.get(m.ApiToken, int(text))
    if token is None and text:
        token = session.scalars(select(m.ApiToken).where(m.ApiToken.prefix == text)).first()
    if token is None:
        raise NotFound("token", key, fix="list the tokens with `resonance token list` and use an id or prefix")
    return token


def revoke(session: Session, key: str | int) -> m.ApiToken:
    """Revoke a token (by id or prefix); revoking it again keeps the first revocation time."""
    token = get_token(session, key)
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
        session.flush()
    return token


def list_tokens(session: Session) -> list[m.ApiToken]:
    return list(session.scalars(select(m.ApiToken).order_by(m.ApiToken.id)))


def state(token: m.ApiToken, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    if token.revoked_at is not None:
        return "revoked"
    expires_at = aware(token.expires_at)
    if expires_at is not None and expires_at <= now:
        return "expired"
    return "active"


def describe(session: Session, token: m.ApiToken) -> dict[str, Any]:
    """A token as shown to people: never its secret nor its hash."""
    org = session.get(m.Organisation, token.org_id) if token.org_id is not None else None
    entity = session.get(m.ActionEntity, token.entity_id) if token.entity_id is not None else None
    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "role": token.role,
        "org": org.code if org else None,
        "entity": entity.code if entity else None,
        "state": state(token),
        "created_at": aware(token.created_at),
        "expires_at": aware(token.expires_at),
        "revoked_at": aware(token.revoked_at),
        "last_used_at": aware(token.last_used_at),
    }
