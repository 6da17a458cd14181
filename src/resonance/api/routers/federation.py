"""Where an approved node's SuperNode connects: the space's SuperLink address and its CA certificate.

Public on purpose (no token, no node signature): a node's SuperNode needs both before it can take part, and
both are public material. The CA certificate only lets a node check the SuperLink; the CA's private key and
the SuperLink's own key never leave the space; and the address admits no one, since the SuperLink accepts only
SuperNode keys the operator approved. A node pins the CA it got first (``federation.enrolment.pin_ca``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from resonance.federation import enrolment
from resonance.settings import get_settings

router = APIRouter(prefix="/api/v1/federation", tags=["federation"])


class FederationInfo(BaseModel):
    superlink: str | None = Field(description="host:port of the SuperLink (TLS); null while it is not running")
    ca_cert: str | None = Field(description="the space's CA certificate (PEM); null before `resonance space init`")
    ca_sha256: str | None = Field(description="SHA-256 of the CA certificate (DER), to compare out of band")


@router.get("", response_model=FederationInfo, summary="Public: the SuperLink address and the space's CA certificate")
def federation() -> dict[str, Any]:
    return enrolment.federation_info(get_settings().home)
