"""A node's side of a federated job, without Flower: find its assignment, read its data where it lies, describe
it with aggregates only, train a round, evaluate. The ClientApp wraps these functions in Flower messages.

Everything returned here may leave the node: counts, sums, sums of squares, model parameters and mergeable
evaluation statistics — never rows, never paths.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from resonance.errors import ResonanceError
from resonance.federation.learning import dp
from resonance.federation.learning.alignment import Standardiser, local_stats
from resonance.federation.learning.families import get_family
from resonance.federation.learning.spec import TaskSpec
from resonance.federation.plan import Assignment, JobPlan
from resonance.node import catalog
from resonance.node.home import NodeHome
from resonance.policy.terms import JobRequest


def task_spec(plan: JobPlan) -> TaskSpec:
    task = dict(plan.task)
    if plan.noise_multiplier is not None:
        task["dp_clip"] = plan.clip
        task["dp_noise_multiplier"] = plan.noise_multiplier
    return TaskSpec.model_validate(task)


def job_request(plan: JobPlan) -> JobRequest:
    return JobRequest(
        job_id=plan.job_id,
        consumer_org=plan.consumer,
        purpose=plan.purpose,
        operation=plan.operation,
        rounds=plan.rounds,
        epsilon=plan.epsilon,
        nodes=len(plan.participants),
    )


def round_epsilon(plan: JobPlan, round_number: int) -> float:
    """ε that this round adds for the node's dataset (0 without differential privacy)."""
    if plan.noise_multiplier is None:
        return 0.0
    spent = dp.epsilon_spent(plan.noise_multiplier, round_number, plan.delta)
    before = dp.epsilon_spent(plan.noise_multiplier, round_number - 1, plan.delta) if round_number > 1 else 0.0
    return max(spent - before, 0.0)


@dataclass
class Participant:
    """This node in one job."""

    home: NodeHome
    plan: JobPlan

    @property
    def node_id(self) -> str:
        return self.home.load().node_id

    @property
    def assignment(self) -> Assignment | None:
        return self.plan.participants.get(self.node_id)

    def data(self) -> NodeData:
        assignment = self.assignment
        if assignment is None:
            raise ResonanceError(
                what=f"node {self.node_id} holds none of job {self.plan.job_id}'s datasets",
                where=str(self.home.path),
                fix="nothing to do: this node does not take part in the job",
                code="not_a_participant",
            )
        return _load(str(self.home.path), assignment.dataset, assignment.version, self.plan.to_json())

    def hello(self) -> dict[str, Any]:
        """Aggregates for federated standardisation: counts, sums and sums of squares of the features."""
        data = self.data()
        stats = local_stats(data.train_X, data.train_y, task_spec(self.plan))
        return {"stats": stats, "n_train": len(data.train_y), "n_test": len(data.test_y)}

    def train(
        self, arrays: list[np.ndarray], standardiser: Standardiser, round_number: int
    ) -> tuple[list[np.ndarray], int, dict[str, Any]]:
        """Evaluate the global model received, then fit one round locally; DP noise is added to the update."""
        spec = task_spec(self.plan)
        data = self.data()
        family = get_family(spec)
        started = time.perf_counter()
        evaluation = family.evaluate(arrays, standardiser.apply(data.test_X), data.test_y, spec)
        # the batch order depends on the dataset, not on the node's random id: the same job gives the same model
        assignment = self.assignment
        key = f"{assignment.dataset}@{assignment.version}" if assignment else self.node_id
        seed = spec.seed + 1000 * (zlib.crc32(key.encode()) % 1000) + round_number
        new_arrays, fit_metrics = family.fit(
            [a.copy() for a in arrays], standardiser.apply(data.train_X), data.train_y, spec, seed=seed
        )
        if spec.private:
            # fresh, unpredictable noise: noise a consumer could regenerate would protect nothing
            new_arrays = dp.privatise_arrays(new_arrays, arrays, spec.dp_clip, spec.dp_noise_multiplier, None)
        metrics = {
            "fit": {k: float(v) for k, v in fit_metrics.items() if isinstance(v, int | float)},
            "evaluation": evaluation,
            "seconds": time.perf_counter() - started,
        }
        return new_arrays, len(data.train_y), metrics

    def evaluate(self, arrays: list[np.ndarray], standardiser: Standardiser) -> dict[str, Any]:
        spec = task_spec(self.plan)
        data = self.data()
        return get_family(spec).evaluate(arrays, standardiser.apply(data.test_X), data.test_y, spec)


@dataclass(frozen=True)
class NodeData:
    """The node's rows for one job, as arrays in the task's feature order, split into train and test."""

    train_X: np.ndarray
    train_y: np.ndarray
    test_X: np.ndarray
    test_y: np.ndarray


@lru_cache(maxsize=8)
def _load(home: str, dataset: str, version: str, plan_json: str) -> NodeData:
    """Read the node's own data for a job. Flower starts a fresh ClientApp process for every message, so the
    arrays are kept for the job in the node's work folder (they never leave the node) and read from there
    after the first message; the source is read once per job."""
    node = NodeHome(Path(home))
    plan = JobPlan.from_json(plan_json)
    cache = node.workdir / "jobs" / plan.job_id / f"{dataset}@{version}.npz"
    if cache.is_file():
        with np.load(cache) as stored:
            return NodeData(*(stored[k] for k in ("train_X", "train_y", "test_X", "test_y")))
    from resonance.federation.learning.data import load_local  # pandas and DuckDB: only on the first message

    sessions = catalog.open_catalog(node.catalog_url)
    with sessions() as session:
        location = catalog.get(session, f"{dataset}@{version}").location
    local = load_local(location, task_spec(plan))
    data = NodeData(local.train_X, local.train_y, local.test_X, local.test_y)
    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = cache.with_suffix(".tmp.npz")
    np.savez(partial, **{k: getattr(data, k) for k in ("train_X", "train_y", "test_X", "test_y")})
    partial.replace(cache)  # atomic: a concurrent reader sees all or nothing
    return data
