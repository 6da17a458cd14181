from datetime import UTC, datetime

import pytest

from resonance.errors import ResonanceError
from resonance.policy import odrl


def doc(**over):
    base = {
        "@context": odrl.CONTEXT,
        "@type": "Offer",
        "uid": "urn:policy:1",
        "target": "ds-1@1",
        "assigner": "prov-a",
        "permission": [
            {
                "action": "federatedTrain",
                "constraint": [
                    {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["scenario:sc-1"]},
                    {"leftOperand": "recipient", "operator": "eq", "rightOperand": "cons-a"},
                    {"leftOperand": "dateTime", "operator": "lt", "rightOperand": "2030-01-01T00:00:00Z"},
                    {"leftOperand": "count", "operator": "lteq", "rightOperand": 10},
                    {"leftOperand": "epsilonBudget", "operator": "lteq", "rightOperand": 2.5},
                    {"leftOperand": "minNodes", "operator": "gteq", "rightOperand": 3},
                ],
            },
            {"action": "evaluate"},
        ],
        "prohibition": [{"action": "rawExport"}],
    }
    base.update(over)
    return base


def test_every_constraint_is_read():
    policy = odrl.parse(doc())
    assert policy.operations == {"federatedTrain", "evaluate"}
    train = dict(policy.permissions)["federatedTrain"]
    assert train.purposes == ("scenario:sc-1",)
    assert train.consumers == ("cons-a",)
    assert train.expires_at == datetime(2030, 1, 1, tzinfo=UTC)
    assert (train.max_rounds, train.epsilon_budget, train.min_nodes) == (10, 2.5, 3)
    assert policy.prohibitions == {"rawExport"}
    # the evaluate permission is unconstrained, so the shared constraints are the train ones
    assert policy.constraints() == train


def test_jsonld_round_trip_and_prefixed_terms():
    policy = odrl.parse(doc())
    assert odrl.parse(odrl.to_jsonld(policy)) == policy
    prefixed = doc(
        permission=[
            {
                "action": "rs:federatedTrain",
                "constraint": [{"leftOperand": "odrl:count", "operator": "odrl:lteq", "rightOperand": {"@value": 4}}],
            }
        ]
    )
    assert odrl.parse(prefixed).constraints().max_rounds == 4


def test_build_from_flags_equals_document():
    built = odrl.build(target="ds-1@1", assigner="prov-a", purposes=["industry:steel"], max_rounds=5, min_nodes=2)
    assert built.operations == {"federatedTrain"}
    assert built.constraints().purposes == ("industry:steel",)
    assert built.constraints().min_nodes == 2


@pytest.mark.parametrize(
    ("constraint", "fragment"),
    [
        ({"leftOperand": "colour", "operator": "eq", "rightOperand": "red"}, "unknown leftOperand"),
        ({"leftOperand": "count", "operator": "gteq", "rightOperand": 3}, "does not apply"),
        ({"leftOperand": "count", "operator": "lteq", "rightOperand": "ten"}, "whole number"),
        ({"leftOperand": "count", "operator": "lteq", "rightOperand": 0}, "whole number"),
        ({"leftOperand": "epsilonBudget", "operator": "lteq", "rightOperand": -1}, "finite number"),
        ({"leftOperand": "epsilonBudget", "operator": "lteq", "rightOperand": True}, "finite number"),
        ({"leftOperand": "dateTime", "operator": "lt", "rightOperand": "next tuesday"}, "ISO 8601"),
        ({"leftOperand": "purpose", "operator": "eq", "rightOperand": "sc-1"}, "names no scenario"),
        ({"leftOperand": "purpose", "operator": "eq", "rightOperand": []}, "non-empty strings"),
        ({"leftOperand": "minNodes", "operator": "gteq"}, "no rightOperand"),
        ("count<=3", "must be an object"),
    ],
)
def test_bad_constraints_are_refused_with_where(constraint, fragment):
    with pytest.raises(ResonanceError) as err:
        odrl.parse(doc(permission=[{"action": "federatedTrain", "constraint": [constraint]}]))
    assert err.value.code == "invalid_policy"
    assert fragment in str(err.value.problems[0])
    assert err.value.problems[0].where == "policy.permission[0].constraint[0]"


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"permission": []}, "no permission"),
        ({"permission": [{"action": "download"}]}, "unknown action"),
        ({"permission": [{"action": "evaluate"}, {"action": "evaluate"}]}, "permitted twice"),
        ({"prohibition": [{"action": "share"}]}, "unknown prohibition"),
        ({"target": None}, "no target"),
        ({"assigner": ""}, "no assigner"),
        ({"@type": "Ticket"}, "unknown policy @type"),
    ],
)
def test_bad_policies_are_refused(change, fragment):
    with pytest.raises(ResonanceError) as err:
        odrl.parse(doc(**change))
    assert fragment in " ".join(str(p) for p in err.value.problems)


def test_every_problem_is_reported_at_once():
    bad = doc(target=None, permission=[{"action": "download"}], prohibition=[{"action": "share"}])
    with pytest.raises(ResonanceError) as err:
        odrl.parse(bad)
    assert len(err.value.problems) == 3


def test_not_an_object_and_duplicate_operand():
    with pytest.raises(ResonanceError, match="JSON object"):
        odrl.parse(["not", "a", "policy"])
    twice = [{"leftOperand": "count", "operator": "lteq", "rightOperand": 3}] * 2
    with pytest.raises(ResonanceError) as err:
        odrl.parse(doc(permission=[{"action": "evaluate", "constraint": twice}]))
    assert "constrained twice" in str(err.value.problems[0])


def test_raw_export_is_always_prohibited():
    assert odrl.parse(doc(prohibition=[])).prohibitions == {"rawExport"}


def test_tightest_constraints_and_purpose_matching():
    a = odrl.Constraints(purposes=("scenario:sc-1", "scenario:sc-2"), max_rounds=10, min_nodes=2)
    b = odrl.Constraints(purposes=("scenario:sc-2",), max_rounds=5, epsilon_budget=1.0)
    both = a.tighter(b)
    assert (both.purposes, both.max_rounds, both.epsilon_budget, both.min_nodes) == (("scenario:sc-2",), 5, 1.0, 2)
    assert odrl.Constraints(purposes=("scenario:x",)).tighter(odrl.Constraints(purposes=("scenario:y",))).purposes == (
        "∅",
    )
    assert odrl.purpose_allowed(("industry:steel",), "scenario", "sc-9", "steel")
    assert not odrl.purpose_allowed(("industry:steel",), "scenario", "sc-9", "autos")
    assert not odrl.purpose_allowed(("scenario:sc-1",), "model", "sc-1", "steel")
    assert odrl.purpose_allowed((), "model", "m", None)
