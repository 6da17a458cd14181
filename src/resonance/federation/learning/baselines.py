"""Reference trainings on the demo data: federated (in-process), centralized (pooled) and local-only.

All three use exactly the family's ``init``/``fit``/``evaluate`` and are scored on the SAME pooled test set —
the union of every part's test split — by ``merge_evaluations`` over the parts' test statistics:

- ``federated_reference``: FedAvg (FedProx when ``spec.proximal_mu > 0``) over the parts for ``rounds`` rounds,
  with the pooled standardiser from ``combine_stats``, each node's update weighted by its training rows and
  privatised when the spec asks for DP. No Flower: it is the oracle a real Flower run is compared with.
- ``centralized``: one model on all parts' training rows pooled, for the same passes over the data as the
  federation (``reference_epochs``: ``rounds × local_epochs``, or the rows ``local_steps`` visit). Possible only
  with demo data.
- ``local_only``: each part alone, standardised with its own statistics (it knows nobody else's), for the same
  passes over its own rows as the centralized model makes over the pooled rows.

Centralized and local-only ignore the DP settings: they are the non-private references.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from resonance.errors import ResonanceError
from resonance.federation.learning.alignment import Standardiser, combine_stats, local_stats
from resonance.federation.learning.data import LocalData
from resonance.federation.learning.dp import privatise_arrays
from resonance.federation.learning.families import Arrays, get_family
from resonance.federation.learning.metrics import merge_evaluations
from resonance.federation.learning.spec import TaskSpec


@dataclass
class Outcome:
    """A trained model and its metrics on the pooled test set; ``history`` holds per-round metrics (federated)."""

    name: str
    arrays: Arrays
    metrics: dict[str, float]
    standardiser: Standardiser
    history: list[dict[str, float]] = field(default_factory=list)


def _check_parts(parts: list[LocalData], spec: TaskSpec) -> None:
    if not parts:
        raise ResonanceError(what="no data parts given", where="baselines", fix="pass one LocalData per node")
    for i, part in enumerate(parts):
        if part.features != spec.inputs():
            raise ResonanceError(
                what=f"part {i} ({part.name}) has features {part.features}, the spec {spec.features}",
                where="baselines",
                fix="load every part with load_local(…, spec) for this spec",
                code="stats_mismatch",
            )
        if part.n_train == 0:
            raise ResonanceError(
                what=f"part {i} ({part.name}) has no training rows",
                where="baselines",
                fix="give every node at least a few rows, or lower test_fraction",
                code="no_rows",
            )


def pooled_standardiser(parts: list[LocalData], spec: TaskSpec) -> Standardiser:
    """The standardiser a federation would agree on: ``combine_stats`` over the parts' ``local_stats``."""
    return combine_stats([local_stats(p.train_X, p.train_y, spec) for p in parts])


def evaluate_pooled(arrays: Arrays, parts: list[LocalData], spec: TaskSpec, standardiser: Standardiser) -> dict:
    """Metrics on the union of every part's test rows (each part evaluated where it lies, then merged)."""
    family = get_family(spec)
    return merge_evaluations(
        [family.evaluate(arrays, standardiser.apply(p.test_X), p.test_y, spec) for p in parts if p.n_test]
    )


def federated_reference(
    parts: list[LocalData],
    spec: TaskSpec,
    rounds: int,
    *,
    on_round: Callable[[int, dict[str, float]], Any] | None = None,
    dp_seed: int | None = None,
) -> Outcome:
    """FedAvg/FedProx in-process over ``parts`` (see the module docstring); ``on_round(round, metrics)`` is called
    after each round. ``history`` also records each round's slowest local fit
    (``fit_seconds_max``). ``dp_seed`` fixes the DP noise (tests only; default: fresh noise)."""
    if rounds < 1:
        raise ResonanceError(what=f"rounds must be ≥ 1, got {rounds}", where="federated_reference", code="bad_rounds")
    _check_parts(parts, spec)
    family = get_family(spec)
    standardiser = pooled_standardiser(parts, spec)
    train = [(standardiser.apply(p.train_X), p.train_y) for p in parts]
    weights = np.array([p.n_train for p in parts], dtype=np.float64)
    weights /= weights.sum()
    arrays = family.init(spec.n_inputs, spec, standardiser)
    rng = np.random.default_rng(dp_seed)
    history = []
    for round_number in range(1, rounds + 1):
        updates, seconds = [], []
        for node, (X, y) in enumerate(train):
            started = time.perf_counter()
            local, _ = family.fit(arrays, X, y, spec, seed=spec.seed + 1000 * node + round_number)
            seconds.append(time.perf_counter() - started)
            if spec.private:
                local = privatise_arrays(local, arrays, spec.dp_clip, spec.dp_noise_multiplier, rng)  # type: ignore[arg-type]
            updates.append(local)
        arrays = [sum(w * u[i] for w, u in zip(weights, updates, strict=True)) for i in range(len(arrays))]
        metrics = evaluate_pooled(arrays, parts, spec, standardiser)
        history.append({"round": float(round_number), **metrics, "fit_seconds_max": max(seconds)})
        if on_round is not None:
            on_round(round_number, metrics)
    return Outcome("federated", arrays, metrics, standardiser, history)


def reference_epochs(parts: list[LocalData], spec: TaskSpec, rounds: int) -> float:
    """Passes over the data that the federation of ``parts`` makes in ``rounds``: ``rounds × local_epochs``, or
    with ``local_steps`` the rows its nodes' steps visit, ``rounds × local_steps × batch × nodes``, over the
    pooled training rows. Centralized and local-only models train for as many passes over their own rows."""
    if spec.local_steps is None:
        return float(rounds * spec.local_epochs)
    pooled = sum(p.n_train for p in parts)
    return rounds * spec.local_steps * spec.batch_size * len(parts) / max(pooled, 1)


def _train_alone(
    parts: list[LocalData], spec: TaskSpec, rounds: int, epochs: float | None = None
) -> tuple[Arrays, Standardiser]:
    family = get_family(spec)
    standardiser = pooled_standardiser(parts, spec)
    X = standardiser.apply(np.concatenate([p.train_X for p in parts]))
    y = np.concatenate([p.train_y for p in parts])
    epochs = reference_epochs(parts, spec, rounds) if epochs is None else epochs
    steps = None if spec.local_steps is None else max(1, round(epochs * len(X) / spec.batch_size))
    plain = spec.model_copy(
        update={
            "local_epochs": spec.local_epochs * rounds,
            "local_steps": steps,
            "dp_clip": None,
            "dp_noise_multiplier": None,
            "proximal_mu": 0.0,
        }
    )
    arrays = family.init(plain.n_inputs, plain, standardiser)
    arrays, _ = family.fit(arrays, X, y, plain, seed=spec.seed)
    return arrays, standardiser


def centralized(parts: list[LocalData], spec: TaskSpec, rounds: int = 10) -> Outcome:
    """One model on every part's training rows pooled (``rounds × local_epochs`` epochs), on the pooled test set."""
    _check_parts(parts, spec)
    arrays, standardiser = _train_alone(parts, spec, rounds)
    return Outcome("centralized", arrays, evaluate_pooled(arrays, parts, spec, standardiser), standardiser)


def local_only(parts: list[LocalData], spec: TaskSpec, rounds: int = 10) -> list[Outcome]:
    """One model per part trained on that part alone, each scored on the pooled test set of all parts."""
    _check_parts(parts, spec)
    outcomes = []
    epochs = reference_epochs(parts, spec, rounds)
    for part in parts:
        arrays, standardiser = _train_alone([part], spec, rounds, epochs)
        outcomes.append(Outcome(part.name, arrays, evaluate_pooled(arrays, parts, spec, standardiser), standardiser))
    return outcomes
