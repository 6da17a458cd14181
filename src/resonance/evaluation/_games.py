"""Constructed contribution games on the bundled AI4I 2020 data, for the contribution tests and benchmark.

Five providers (a held-out test set of 2,000 rows, stratified):
    clean-a  2,400 rows                 clean-b  600 rows             clean-c  150 rows
    noisy    1,500 rows, 35% of labels flipped (seed-fixed)
    copy-b   the rows of clean-b again (duplicated data)

The model is a logistic regression trained by full-batch gradient descent in numpy from zeros, so a
coalition's utility is a deterministic function of the coalition: the exact Shapley value is exact. The
utility is the test log-loss skill score, 1 − logloss(model) / logloss(base rate): 0 for the empty coalition
(predicting the base rate), 1 for a perfect model, negative for a model worse than the base rate. It is used
rather than AUC because AUC saturates: any single clean provider reaches ~0.88 and the clean providers' AUCs
are not even ordered by their sizes, so the Shapley values of the clean ones differ by less than the
sampling noise of any approximation (measured: exact values 0.117 / 0.113 / 0.081).
``central_utility`` trains one model on the union of a coalition's rows; ``federated_utility`` runs FedAvg
over its members (what the job does), and ``fedavg`` also returns each round's start and client updates, the
input of GTG-Shapley.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import log_loss

from resonance.demo.bundled import AI4I_FEATURES, AI4I_TARGET, ai4i_frame
from resonance.evaluation.contribution import Round

SIZES = {"clean-a": 2400, "clean-b": 600, "clean-c": 150, "noisy": 1500}
NOISE = 0.35


@dataclass
class Game:
    providers: dict[Hashable, tuple[np.ndarray, np.ndarray]]
    test: tuple[np.ndarray, np.ndarray]
    epochs: int = 150
    rounds: int = 10
    local_epochs: int = 15
    lr: float = 0.5


def ai4i_game(seed: int = 0, sizes: dict[str, int] | None = None) -> Game:
    """The providers and the test set (features standardised on the pooled training rows).

    ``sizes``: other providers than ``SIZES`` (name → rows; the one named "noisy" gets flipped labels, and
    "copy-b" always copies "clean-b"); at most 8,000 rows in all."""
    frame = ai4i_frame()
    rng = np.random.default_rng(seed)
    x = frame[AI4I_FEATURES].to_numpy(np.float64)
    y = frame[AI4I_TARGET].to_numpy(np.float64)
    positive, negative = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    rng.shuffle(positive)
    rng.shuffle(negative)
    share = 2000 / len(y)
    test = np.concatenate([positive[: round(share * len(positive))], negative[: round(share * len(negative))]])
    rest = np.setdiff1d(np.arange(len(y)), test)
    rng.shuffle(rest)
    mean, std = x[rest].mean(axis=0), x[rest].std(axis=0)
    x = (x - mean) / std
    providers: dict[Hashable, tuple[np.ndarray, np.ndarray]] = {}
    start = 0
    for name, size in (sizes or SIZES).items():
        rows = rest[start : start + size]
        start += size
        labels = y[rows].copy()
        if name == "noisy":
            flip = rng.random(size) < NOISE
            labels[flip] = 1 - labels[flip]
        providers[name] = (x[rows], labels)
    providers["copy-b"] = (providers["clean-b"][0].copy(), providers["clean-b"][1].copy())
    return Game(providers, (x[test], y[test]))


def _gradient_steps(w: np.ndarray, x: np.ndarray, y: np.ndarray, epochs: int, lr: float) -> np.ndarray:
    design = np.hstack([x, np.ones((len(x), 1))])
    for _ in range(epochs):
        p = 1 / (1 + np.exp(-(design @ w)))
        w = w - lr * design.T @ (p - y) / len(y)
    return w


def skill(w: np.ndarray, test: tuple[np.ndarray, np.ndarray]) -> float:
    """1 − logloss(model) / logloss(base rate) on the test rows."""
    x, y = test
    p = np.clip(1 / (1 + np.exp(-(np.hstack([x, np.ones((len(x), 1))]) @ w))), 1e-6, 1 - 1e-6)
    base = np.full(len(y), y.mean())
    return float(1 - log_loss(y, p, labels=[0, 1]) / log_loss(y, base, labels=[0, 1]))


def central_utility(game: Game):
    """coalition → test skill of one model trained on the union of its members' rows."""

    def utility(coalition: frozenset) -> float:
        if not coalition:
            return 0.0
        members = sorted(coalition, key=str)
        x = np.vstack([game.providers[p][0] for p in members])
        y = np.concatenate([game.providers[p][1] for p in members])
        return skill(_gradient_steps(np.zeros(x.shape[1] + 1), x, y, game.epochs, game.lr), game.test)

    return utility


def fedavg(game: Game, coalition: frozenset) -> tuple[np.ndarray, list[Round]]:
    """FedAvg over the coalition's members (weights = their row counts): final parameters and the rounds."""
    members = sorted(coalition, key=str)
    w = np.zeros(game.test[0].shape[1] + 1)
    history = []
    for _ in range(game.rounds):
        updates = {p: _gradient_steps(w, *game.providers[p], game.local_epochs, game.lr) - w for p in members}
        weights = {p: float(len(game.providers[p][1])) for p in members}
        history.append(Round(start=w.copy(), updates=updates, weights=weights))
        total = sum(weights.values())
        w = w + sum(weights[p] / total * updates[p] for p in members)
    return w, history


def federated_utility(game: Game):
    """coalition → test skill of FedAvg over its members (the game GTG-Shapley approximates)."""

    def utility(coalition: frozenset) -> float:
        if not coalition:
            return 0.0
        return skill(fedavg(game, coalition)[0], game.test)

    return utility
