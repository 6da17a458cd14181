"""A2A AgentCards: validation with the a2a-sdk types, the Resonance extension, signing and verification.

A card is the A2A 1.0 ``AgentCard`` (ProtoJSON, camelCase). What the registry needs beyond A2A — the agent's
code, organisation, industry, scenario and the model versions it uses — travels as an A2A *extension*
declared in ``capabilities.extensions`` with ``uri = EXTENSION_URI`` and those facts in its ``params``; the
A2A spec reserves extensions for exactly this, so any A2A client still reads the card.

Signing follows the A2A spec's ``AgentCardSignature``: a JWS (RFC 7515) over the card canonicalised with
RFC 8785 (JCS) without its ``signatures`` field, as the a2a-sdk's ``create_agent_card_signer`` /
``create_signature_verifier`` compute it (we call them, not a copy). The algorithm is EdDSA (Ed25519); the
protected header carries ``kid`` (the RFC 7638 thumbprint of the key) and ``jwk`` (the public key), and the
extension's ``params.key`` repeats the ``kid`` inside the signed content. So the card names its own key, the
signature proves the holder of that key wrote every byte, and the registry keeps the key in the card itself
(no extra column): an update must be signed by the key the agent was registered with.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from a2a.types import AgentCard
from a2a.utils.errors import InvalidParamsError
from a2a.utils.proto_utils import validate_proto_required_fields
from a2a.utils.signing import (
    InvalidSignaturesError,
    NoSignatureError,
    create_agent_card_signer,
    create_signature_verifier,
)
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from google.protobuf.json_format import MessageToDict, ParseDict, ParseError
from jwt.exceptions import InvalidKeyError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from resonance.agents import keys
from resonance.errors import Problem, ResonanceError

EXTENSION_URI = "urn:resonance:a2a:registry:v1"
ALGORITHM = "EdDSA"
MAX_CARD_BYTES = 256 * 1024
_CODE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$"


class RegistryFacts(BaseModel):
    """``params`` of the Resonance extension: what the registry files the agent under."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=_CODE, description="the agent's code in the registry")
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=300)
    organisation: str = Field(min_length=1, max_length=200, description="the registering organisation (code)")
    industry: str = Field(min_length=1, max_length=200)
    scenario: str | None = Field(default=None, max_length=200, description="the 场景档案 it serves (code)")
    entity: str | None = Field(default=None, max_length=200, description="the action entity it counts for")
    models: list[str] = Field(default_factory=list, max_length=50, description="model versions used, CODE@VERSION")
    key: str = Field(default="", max_length=100, description="kid (RFC 7638 thumbprint) of the agent's key")


@dataclass(frozen=True)
class Card:
    """A validated card: the a2a message, the registry facts, and the JSON as stored."""

    message: AgentCard
    facts: RegistryFacts

    @property
    def endpoint(self) -> str:
        return self.message.supported_interfaces[0].url

    def as_json(self) -> dict[str, Any]:
        return MessageToDict(self.message)


def _invalid(what: str, where: str, fix: str, problems: list[Problem] | None = None) -> ResonanceError:
    return ResonanceError(what=what, where=where, fix=fix, code="invalid_card", status=422, problems=problems or [])


def _camel(path: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), path)


def parse(data: Any, *, require_signature: bool = True) -> Card:
    """Validate a card (a decoded JSON object) against the A2A types and the Resonance extension.

    Refuses, naming the field: unknown fields, wrong types, REQUIRED fields of the A2A spec that are missing
    or empty, a missing or malformed Resonance extension, a non-HTTP endpoint, and (``require_signature``) a
    card without ``signatures``.
    """
    if not isinstance(data, dict):
        raise _invalid(f"an AgentCard must be a JSON object, not {type(data).__name__}", "card", _FIX_SHAPE)
    if len(json.dumps(data, ensure_ascii=False)) > MAX_CARD_BYTES:
        raise _invalid(f"the card is larger than {MAX_CARD_BYTES // 1024} KiB", "card", "keep the card small")
    message = AgentCard()
    try:
        ParseDict(data, message)
    except ParseError as exc:
        raise _invalid(f"the card does not match the A2A AgentCard type: {exc}", "card", _FIX_SHAPE) from None
    try:
        validate_proto_required_fields(message)
    except InvalidParamsError as exc:
        errors = (exc.data or {}).get("errors", [])
        problems = [Problem(what=e["message"], where=f"card.{_camel(e['field'])}") for e in errors]
        fields = ", ".join(p.where for p in problems)
        raise _invalid(
            f"required AgentCard fields are missing or empty: {fields}", fields, _FIX_SHAPE, problems
        ) from None
    url = message.supported_interfaces[0].url
    if not re.match(r"^https?://[^\s/]+", url):
        raise _invalid(
            f"the agent's endpoint {url!r} is not an http(s) URL",
            "card.supportedInterfaces[0].url",
            "give the URL where the agent answers A2A requests, e.g. https://agents.example.com/a2a",
        )
    facts = _facts(message)
    if require_signature and not message.signatures:
        raise ResonanceError(
            what="the card is not signed",
            where="card.signatures",
            fix="sign it: `resonance agents register CARD.json --key KEY` signs with the agent's Ed25519 key",
            code="unsigned_card",
            status=422,
        )
    return Card(message, facts)


_FIX_SHAPE = "write an A2A 1.0 AgentCard (see docs/agents.md for a complete example)"


def _facts(message: AgentCard) -> RegistryFacts:
    found = [i for i, e in enumerate(message.capabilities.extensions) if e.uri == EXTENSION_URI]
    where = "card.capabilities.extensions"
    if not found:
        raise _invalid(
            f"the card lacks the Resonance extension ({EXTENSION_URI})",
            where,
            "add {'uri': '" + EXTENSION_URI + "', 'params': {code, name_zh, organisation, industry, scenario, "
            "models}} to capabilities.extensions",
        )
    if len(found) > 1:
        raise _invalid(f"the Resonance extension is declared {len(found)} times", where, "declare it once")
    index = found[0]
    params = MessageToDict(message.capabilities.extensions[index].params)
    try:
        return RegistryFacts.model_validate(params)
    except ValidationError as exc:
        at = f"{where}[{index}].params"
        problems = [
            Problem(what=e["msg"], where=f"{at}.{'.'.join(str(x) for x in e['loc'])}", value=e.get("input"))
            for e in exc.errors()
        ]
        fields = ", ".join(p.where for p in problems)
        raise _invalid(f"bad Resonance extension params: {fields}", fields, _FIX_SHAPE, problems) from None


def _set_key(message: AgentCard, kid: str) -> None:
    for extension in message.capabilities.extensions:
        if extension.uri == EXTENSION_URI:
            extension.params["key"] = kid


def sign(data: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """The card signed with ``key``: earlier signatures dropped, ``params.key`` set to the key's ``kid``."""
    card = parse(data, require_signature=False)
    message = card.message
    del message.signatures[:]
    jwk = keys.public_jwk(key.public_key())
    kid = keys.thumbprint(jwk)
    _set_key(message, kid)
    header = {"alg": ALGORITHM, "kid": kid, "typ": "JOSE", "jwk": jwk}
    create_agent_card_signer(signing_key=key, protected_header=header)(message)  # type: ignore[arg-type]
    return MessageToDict(message)


def protected_headers(message: AgentCard) -> list[dict[str, Any]]:
    """The decoded protected header of each signature (refuses one that is not base64url JSON)."""
    headers = []
    for i, signature in enumerate(message.signatures):
        try:
            raw = base64.urlsafe_b64decode(signature.protected + "=" * (-len(signature.protected) % 4))
            header = json.loads(raw)
        except (binascii.Error, ValueError):
            header = None
        if not isinstance(header, dict):
            raise ResonanceError(
                what="a signature's protected header is not base64url-encoded JSON",
                where=f"card.signatures[{i}].protected",
                fix="sign the card again with `resonance agents register CARD.json --key KEY`",
                code="bad_signature",
                status=422,
            )
        headers.append(header)
    return headers


def card_key(card: Card) -> tuple[str, Ed25519PublicKey]:
    """The agent's own key, as the card names it: ``params.key`` and the signature header carrying it."""
    kid = card.facts.key
    if not kid:
        raise ResonanceError(
            what="the card does not name its key (params.key of the Resonance extension is empty)",
            where="card.capabilities.extensions.params.key",
            fix="sign the card with `resonance agents register CARD.json --key KEY`, which sets it",
            code="bad_signature",
            status=422,
        )
    for i, header in enumerate(protected_headers(card.message)):
        if header.get("kid") == kid:
            where = f"card.signatures[{i}].protected.jwk"
            public = keys.public_from_jwk(header.get("jwk"), where)
            if keys.thumbprint(header["jwk"]) != kid:
                raise ResonanceError(
                    what="the signature's public key does not match its kid",
                    where=where,
                    fix="sign the card again with `resonance agents register CARD.json --key KEY`",
                    code="bad_signature",
                    status=422,
                )
            return kid, public
    raise ResonanceError(
        what=f"no signature of the card is made with the key it names (kid {kid})",
        where="card.signatures",
        fix="sign the card with the agent's key: `resonance agents register CARD.json --key KEY`",
        code="bad_signature",
        status=422,
    )


def verify(card: Card, kid: str, public: Ed25519PublicKey) -> None:
    """Refuse (422 ``bad_signature``) unless a signature on the card is valid under ``public`` (named ``kid``)."""

    def provide(found_kid: str | None, _jku: str | None) -> Ed25519PublicKey:
        if found_kid != kid:
            raise InvalidKeyError(f"not the agent's key {kid}")
        return public

    try:
        create_signature_verifier(provide, [ALGORITHM])(card.message)
    except NoSignatureError:
        raise ResonanceError(
            what="the card is not signed",
            where="card.signatures",
            fix="sign it with `resonance agents register CARD.json --key KEY`",
            code="unsigned_card",
            status=422,
        ) from None
    except InvalidSignaturesError:
        raise ResonanceError(
            what=f"the card's signature does not verify under the agent's key (kid {kid}): the card was changed "
            "after it was signed, or signed with another key",
            where="card.signatures",
            fix="sign the card as it is now with the agent's own key (`resonance agents register CARD.json --key "
            "KEY`, or `resonance agents update`)",
            code="bad_signature",
            status=422,
        ) from None


def jwk_of(stored: dict[str, Any]) -> tuple[str, Ed25519PublicKey]:
    """The key an already registered card was verified with (``params.key`` and its signature's jwk)."""
    return card_key(parse(stored))
