"""local_steps: every node takes the same number of mini-batch steps per round, whatever its row count."""

from __future__ import annotations

import numpy as np
import pytest

from resonance.errors import ResonanceError
from resonance.federation.learning import get_family, parse_spec
from resonance.federation.learning.baselines import reference_epochs
from resonance.federation.learning.data import LocalData
from resonance.federation.learning.families._base import round_batches
from resonance.federation.learning.spec import TaskSpec

SPEC = TaskSpec(task="classification", target="y", features=["a", "b"], family="logistic", batch_size=10)


def test_batches_by_epochs_or_by_steps():
    rng = np.random.default_rng(0)
    by_epochs = round_batches(25, SPEC.model_copy(update={"local_epochs": 2}), rng)
    assert [len(p) for p in by_epochs] == [3, 3] and sorted(np.concatenate(by_epochs[0])) == list(range(25))
    small = round_batches(25, SPEC.model_copy(update={"local_steps": 7}), rng)  # 3 per pass: 3 + 3 + 1
    assert [len(p) for p in small] == [3, 3, 1]
    large = round_batches(1000, SPEC.model_copy(update={"local_steps": 7}), rng)  # 100 per pass: cut at 7
    assert [len(p) for p in large] == [7] and all(len(b) == 10 for b in large[0])
    assert round_batches(0, SPEC.model_copy(update={"local_steps": 7}), rng) == []


@pytest.mark.parametrize("family", ["logistic", "mlp"])
def test_fit_takes_exactly_local_steps(family):
    spec = SPEC.model_copy(update={"family": family, "local_steps": 5, "hidden": [4]})
    fam = get_family(spec)
    rng = np.random.default_rng(1)
    for rows in (12, 400):
        X, y = rng.normal(size=(rows, 2)), (rng.random(rows) < 0.3).astype(float)
        _, info = fam.fit(fam.init(2, spec), X, y, spec)
        assert info["steps"] == 5.0 and info["n"] == rows


def test_reference_epochs_match_the_rows_the_federation_visits():
    def part(n: int) -> LocalData:
        return LocalData(["a", "b"], "y", np.zeros((n, 2)), np.zeros(n), np.zeros((0, 2)), np.zeros(0))

    parts = [part(600), part(300), part(100)]
    assert reference_epochs(parts, SPEC.model_copy(update={"local_epochs": 3}), 10) == 30.0
    # 3 nodes × 20 steps × 10 rows × 5 rounds = 3000 row visits over 1000 pooled rows
    assert reference_epochs(parts, SPEC.model_copy(update={"local_steps": 20}), 5) == pytest.approx(3.0)


def test_bad_local_steps_are_refused():
    for value in (0, -3, "many"):
        with pytest.raises(ResonanceError, match="local_steps") as caught:
            parse_spec({**SPEC.model_dump(), "local_steps": value})
        assert caught.value.code == "invalid_task"
