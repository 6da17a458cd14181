"""Predictions with a registered model version: schema from its lineage, input validation, the ONNX run."""

from __future__ import annotations

import numpy as np
import pytest

from resonance.agents import predict
from resonance.demo.bundled import AI4I_FEATURES
from resonance.errors import ResonanceError
from resonance.federation.learning import get_family
from resonance.registry.db import transaction

GOOD = dict(zip(AI4I_FEATURES, [300.0, 310.0, 1500, 40.0, 100], strict=True))


def _schema(space):
    with transaction(space.registry.sessions) as session:
        return predict.schema(session, space.home, "mt-failure")


def test_schema_comes_from_the_training_job(space, trained):
    schema = _schema(space)
    assert schema.model == "mt-failure@1"
    assert schema.features == list(AI4I_FEATURES)
    assert schema.task == "classification"
    mean = trained["outcome"].standardiser.mean
    assert [schema.means[f] for f in AI4I_FEATURES] == pytest.approx(list(mean))
    assert schema.as_dict()["features"][4] == {"name": "Tool wear [min]", "type": "number", "training_mean": mean[4]}


def test_predictions_equal_the_trained_family(space, trained):
    rows = [dict(zip(AI4I_FEATURES, x, strict=True)) for x in trained["parts"][0].test_X[:20].tolist()]
    with transaction(space.registry.sessions) as session:
        got = predict.predict(session, space.home, "mt-failure@1", rows)
    outcome, spec = trained["outcome"], trained["spec"]
    expected = get_family(spec).predict(outcome.arrays, outcome.standardiser.apply(trained["parts"][0].test_X[:20]))
    assert got["model"] == "mt-failure@1"
    np.testing.assert_allclose(got["predictions"], expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("rows", "where", "what"),
    [
        ([{k: v for k, v in GOOD.items() if k != "Torque [Nm]"}], "rows[0]", "missing field 'Torque [Nm]'"),
        ([{**GOOD, "Humidity": 0.4}], "rows[0].Humidity", "unknown field 'Humidity'"),
        ([{**GOOD, "Torque [Nm]": "40"}], "rows[0].Torque [Nm]", "finite number, got str"),
        ([{**GOOD, "Torque [Nm]": True}], "rows[0].Torque [Nm]", "finite number, got bool"),
        ([{**GOOD, "Torque [Nm]": None}], "rows[0].Torque [Nm]", "finite number, got NoneType"),
        ([{**GOOD, "Torque [Nm]": float("nan")}], "rows[0].Torque [Nm]", "finite number"),
        ([GOOD, 7], "rows[1]", "not an object"),
    ],
)
def test_bad_inputs_are_refused_naming_the_field(space, rows, where, what):
    with pytest.raises(ResonanceError) as info:
        predict.validate(rows, _schema(space))
    assert info.value.code == "invalid_input" and info.value.status == 422
    assert any(p.where == where and what in p.what for p in info.value.problems), info.value.problems


def test_every_problem_is_reported_at_once(space):
    rows = [{"Air temperature [K]": "hot"}, {**GOOD, "x": 1}]
    with pytest.raises(ResonanceError) as info:
        predict.validate(rows, _schema(space))
    assert len(info.value.problems) == 4 + 1 + 1  # four missing + one wrong type, one unknown


def test_empty_and_oversized_inputs(space):
    schema = _schema(space)
    for rows in ([], "text", [GOOD] * (predict.MAX_ROWS + 1)):
        with pytest.raises(ResonanceError):
            predict.validate(rows, schema)
    assert predict.validate(GOOD, schema).shape == (1, 5)  # one object is one row


def test_unknown_model_and_model_without_schema(space):
    from resonance.registry import models as m
    from resonance.registry import services
    from resonance.registry.concepts import concept

    with transaction(space.registry.sessions) as session, pytest.raises(ResonanceError) as info:
        predict.schema(session, space.home, "no-such-model")
    assert info.value.code == "not_found"
    with transaction(space.registry.sessions) as session:
        services.create(
            session,
            concept("models"),
            {
                "code": "bare",
                "name_zh": "手工登记",
                "kind": "industry",
                "industry": "machine_tools",
                "developer": "model-co",
            },
        )
        assert session.query(m.ModelVersion).count() == 2
    with transaction(space.registry.sessions) as session, pytest.raises(ResonanceError) as info:
        predict.schema(session, space.home, "bare")
    assert info.value.code == "no_schema"


def test_a_swapped_artifact_is_refused(space):
    schema = _schema(space)
    original = schema.onnx.read_bytes()
    try:
        schema.onnx.write_bytes(original + b"\0")
        predict._sessions.clear()
        with pytest.raises(ResonanceError) as info:
            predict.run(schema, predict.validate([GOOD], schema))
        assert info.value.code == "artifact_mismatch"
    finally:
        schema.onnx.write_bytes(original)
        predict._sessions.clear()
