import pytest

from resonance.errors import ResonanceError
from resonance.policy import negotiation
from resonance.policy.negotiation import STATES, transition

HAPPY = [
    ("REQUESTED", "offer", "provider", "OFFERED"),
    ("OFFERED", "accept", "consumer", "ACCEPTED"),
    ("ACCEPTED", "agree", "provider", "AGREED"),
    ("AGREED", "verify", "consumer", "VERIFIED"),
    ("VERIFIED", "finalize", "provider", "FINALIZED"),
]


def test_request_starts_a_negotiation():
    assert transition(None, "request", "consumer") == "REQUESTED"


@pytest.mark.parametrize(("state", "step", "party", "after"), HAPPY)
def test_each_allowed_step(state, step, party, after):
    assert transition(state, step, party) == after


@pytest.mark.parametrize("state", STATES[:-1])
@pytest.mark.parametrize("party", ["consumer", "provider", "operator"])
def test_anyone_party_terminates_from_every_non_final_state(state, party):
    assert transition(state, "terminate", party) == "TERMINATED"


def _refusals():
    for state in STATES:
        for step in negotiation.STEPS:
            if step == "request" or (state, step) in {(s, st) for s, st, _, _ in HAPPY}:
                continue
            yield state, step


@pytest.mark.parametrize(("state", "step"), list(_refusals()))
def test_every_other_step_is_refused_naming_state_and_next_steps(state, step):
    party = negotiation.who(step)[0]
    with pytest.raises(ResonanceError) as err:
        transition(state, step, party)
    assert err.value.code == "invalid_transition" and err.value.status == 409
    assert state in err.value.what
    for allowed in negotiation.next_steps(state):
        assert allowed in err.value.fix


def test_terminated_is_final():
    with pytest.raises(ResonanceError) as err:
        transition("TERMINATED", "terminate", "operator")
    assert "none (the contract is closed)" in err.value.fix


@pytest.mark.parametrize(("state", "step", "party", "_"), HAPPY)
def test_the_wrong_party_is_refused(state, step, party, _):
    other = "consumer" if party == "provider" else "provider"
    with pytest.raises(ResonanceError) as err:
        transition(state, step, other)
    assert err.value.status == 403 and party in err.value.what
    with pytest.raises(ResonanceError):
        transition(state, step, "operator")


def test_request_by_a_provider_and_unknown_steps_are_refused():
    with pytest.raises(ResonanceError):
        transition(None, "request", "provider")
    with pytest.raises(ResonanceError) as err:
        transition("REQUESTED", "sign", "provider")
    assert err.value.status == 422
    with pytest.raises(ResonanceError):
        transition("REQUESTED", "request", "consumer")  # a request is not a step from a state
