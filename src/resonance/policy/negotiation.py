"""The Dataspace Protocol contract negotiation states, who may take each step, and the refusal of any other.

REQUESTED → OFFERED → ACCEPTED → AGREED → VERIFIED → FINALIZED, or TERMINATED from any non-final state.
The consumer requests, accepts and verifies; the provider offers, agrees and finalizes; either party (or the
space operator) terminates. Terminating a FINALIZED contract is its revocation: it is final for negotiation,
but a contract in use can always be withdrawn.
"""

from __future__ import annotations

from typing import Literal

from resonance.errors import ResonanceError

Party = Literal["consumer", "provider", "operator"]

STATES = ("REQUESTED", "OFFERED", "ACCEPTED", "AGREED", "VERIFIED", "FINALIZED", "TERMINATED")
STATES_ZH = {
    "REQUESTED": "已请求",
    "OFFERED": "已报价",
    "ACCEPTED": "已接受",
    "AGREED": "已同意",
    "VERIFIED": "已验证",
    "FINALIZED": "已生效",
    "TERMINATED": "已终止",
}
# step -> (from state, to state, who)
STEPS: dict[str, tuple[str | None, str, Party]] = {
    "request": (None, "REQUESTED", "consumer"),
    "offer": ("REQUESTED", "OFFERED", "provider"),
    "accept": ("OFFERED", "ACCEPTED", "consumer"),
    "agree": ("ACCEPTED", "AGREED", "provider"),
    "verify": ("AGREED", "VERIFIED", "consumer"),
    "finalize": ("VERIFIED", "FINALIZED", "provider"),
}
TERMINATE = "terminate"
ALL_STEPS = (*STEPS, TERMINATE)


def next_steps(state: str) -> list[str]:
    """The steps allowed from ``state`` (terminate from every state but TERMINATED)."""
    steps = [step for step, (src, _, _) in STEPS.items() if src == state]
    return steps + ([TERMINATE] if state != "TERMINATED" else [])


def who(step: str) -> tuple[Party, ...]:
    if step == TERMINATE:
        return ("consumer", "provider", "operator")
    return (STEPS[step][2],)


def transition(state: str | None, step: str, party: Party) -> str:
    """The state after ``party`` takes ``step`` from ``state``; a ResonanceError (409/403) when not allowed."""
    if step not in ALL_STEPS:
        raise ResonanceError(
            what=f"unknown negotiation step {step!r}",
            where="step",
            fix=f"use one of: {', '.join(ALL_STEPS)}",
            code="validation_error",
            status=422,
        )
    if party not in who(step):
        raise ResonanceError(
            what=f"the {party} cannot {step} a contract; only the {' or '.join(who(step))} can",
            where="step",
            fix=f"ask the {who(step)[0]} to run `resonance contract {step}`",
            code="forbidden",
            status=403,
        )
    allowed = next_steps(state) if state is not None else ["request"]
    if step not in allowed:
        shown = f"{state} ({STATES_ZH.get(state, state)})" if state else "none"
        raise ResonanceError(
            what=f"a contract in state {shown} cannot be {_past(step)}",
            where="state",
            fix=f"allowed next steps from {state}: {', '.join(allowed) or 'none (the contract is closed)'}",
            code="invalid_transition",
            status=409,
        )
    return "TERMINATED" if step == TERMINATE else STEPS[step][1]


def _past(step: str) -> str:
    return {
        "request": "requested",
        "offer": "offered",
        "accept": "accepted",
        "agree": "agreed",
        "verify": "verified",
        "finalize": "finalized",
        "terminate": "terminated",
    }[step]
