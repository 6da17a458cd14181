from __future__ import annotations

import pytest
from pydantic import ValidationError

from resonance.errors import ResonanceError
from resonance.federation.learning.spec import TaskSpec, parse_spec

GOOD = {"task": "classification", "target": "y", "features": ["a", "b"], "family": "logistic"}


def test_defaults_and_columns():
    spec = TaskSpec(**GOOD, split_key="id")
    assert spec.local_epochs == 1 and spec.batch_size == 64 and spec.hidden == [32]
    assert spec.columns() == ["a", "b", "y", "id"]
    assert not spec.private
    assert TaskSpec(**GOOD, dp_clip=1.0, dp_noise_multiplier=0.5).private


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"family": "forest"}, "unknown model family 'forest'"),
        ({"features": []}, "at least 1"),
        ({"features": ["a", "y"]}, "the target 'y' is also a feature"),
        ({"features": ["a", "a"]}, "listed twice"),
        ({"features": ["a", " "]}, "feature name is empty"),
        ({"learning_rate": 0}, "greater than 0"),
        ({"learning_rate": float("nan")}, "finite"),
        ({"local_epochs": 0}, "greater than or equal to 1"),
        ({"local_epochs": "three"}, "valid integer"),
        ({"batch_size": -5}, "greater than or equal to 1"),
        ({"test_fraction": 1.0}, "less than 1"),
        ({"hidden": [0]}, "1 to 4096"),
        ({"family": "linear"}, "cannot learn a classification task"),
        ({"dp_clip": 1.0}, "together"),
        ({"dp_clip": -1.0, "dp_noise_multiplier": 1.0}, "greater than 0"),
        ({"task": "ranking"}, "'classification' or 'regression'"),
        ({"learning_rte": 0.1}, "Extra inputs are not permitted"),
        ({"split_key": "y"}, "split_key cannot be the target"),
    ],
)
def test_bad_specs_are_refused(change, message):
    with pytest.raises(ValidationError, match=message):
        TaskSpec.model_validate({**GOOD, **change})


def test_regression_with_class_weight_is_refused():
    with pytest.raises(ValidationError, match="only applies to classification"):
        TaskSpec(task="regression", target="y", features=["a"], family="linear", class_weight="balanced")


def test_parse_spec_names_each_field():
    with pytest.raises(ResonanceError) as caught:
        parse_spec({**GOOD, "family": "forest", "batch_size": 0}, where="job.toml: task")
    err = caught.value
    assert err.code == "invalid_task"
    wheres = sorted(p.where for p in err.problems)
    assert wheres == ["job.toml: task.batch_size", "job.toml: task.family"]
    with pytest.raises(ResonanceError, match="table of fields"):
        parse_spec(["task"])
    assert parse_spec(GOOD).family == "logistic"
