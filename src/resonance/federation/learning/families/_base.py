"""What every model family offers, and the pieces the numpy families share (batches, Adam, FedProx, ONNX I/O).

Arrays are the model: a list of float64 numpy arrays that FedAvg can average element-wise. ``fit`` starts from
the arrays it is given (the global model of this round) and, when ``spec.proximal_mu > 0``, adds FedProx's
``mu/2 * ||w - w_global||²`` to the loss, pulling the local model toward the global one on non-IID data.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from resonance.errors import ResonanceError
from resonance.federation.learning.alignment import Standardiser
from resonance.federation.learning.metrics import classification_stats, regression_stats
from resonance.federation.learning.spec import TaskSpec

Arrays = list[np.ndarray]


class Family(ABC):
    """A model family: numpy arrays in, numpy arrays out; no Flower, no rows leave the caller."""

    name: str
    task: str | None = None  # the task the family is bound to (logistic/linear: fixed; mlp: from get_family)

    @abstractmethod
    def init(self, n_features: int, spec: TaskSpec, standardiser: Standardiser | None = None) -> Arrays:
        """Initial arrays (deterministic in ``spec.seed``). For regression pass the pooled ``standardiser``:
        the output bias starts at the pooled target mean, which saves many rounds."""

    @abstractmethod
    def fit(
        self,
        arrays: Arrays,
        X: np.ndarray,
        y: np.ndarray,
        spec: TaskSpec,
        global_arrays: Arrays | None = None,
        *,
        seed: int | None = None,
    ) -> tuple[Arrays, dict[str, float]]:
        """``spec.local_epochs`` epochs (or ``spec.local_steps`` steps) of mini-batch Adam from ``arrays`` on
        standardised ``X``.

        ``global_arrays`` is the FedProx anchor (default: ``arrays``, i.e. the global model received this round).
        ``seed`` overrides ``spec.seed`` for the batch order (pass e.g. ``spec.seed + round``).
        Returns the new arrays and ``{"loss": mean loss of the last epoch, "n": rows, "steps": steps}``.
        """

    @abstractmethod
    def raw(self, arrays: Arrays, X: np.ndarray, task: str | None = None) -> np.ndarray:
        """The model's raw output: logits for classification, predictions for regression."""

    @abstractmethod
    def to_onnx(
        self, arrays: Arrays, n_features: int, *, standardiser: Standardiser | None = None, task: str | None = None
    ) -> bytes:
        """A serialised ONNX model with input ``X`` (float64, [N, n_features]) and output ``prediction`` ([N]):
        the probability of class 1 or the regression value. With ``standardiser`` the graph standardises raw
        features itself."""

    def predict(self, arrays: Arrays, X: np.ndarray, task: str | None = None) -> np.ndarray:
        """Probability of class 1 (classification) or the predicted value (regression), shape [N]."""
        out = self.raw(arrays, X, task)
        return 0.5 * (1.0 + np.tanh(0.5 * out)) if self._task(task) == "classification" else out

    def evaluate(self, arrays: Arrays, X: np.ndarray, y: np.ndarray, spec: TaskSpec) -> dict[str, Any]:
        """Mergeable sufficient statistics of the model on (X, y) — see ``metrics`` and ``merge_evaluations``."""
        X = check_xy(X, y, spec.n_inputs, "evaluate")
        out = self.raw(arrays, X, spec.task)
        return classification_stats(out, y) if spec.task == "classification" else regression_stats(out, y)

    def _task(self, task: str | None) -> str:
        chosen = task or self.task
        if chosen is None:
            raise ResonanceError(
                what=f"the {self.name} family can learn classification or regression; which one is not known here",
                where=f"families.{self.name}",
                fix="pass task= (or get the family with get_family(name, task) / get_family(spec))",
                code="task_unknown",
            )
        return chosen


def check_xy(X: np.ndarray, y: np.ndarray | None, n_features: int, where: str) -> np.ndarray:
    """X as float64 [N, n_features] (and y with N entries), or a ResonanceError naming the mismatch."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != n_features:
        raise ResonanceError(
            what=f"X must have shape (rows, {n_features}), got {X.shape}",
            where=where,
            fix="pass the features in the task's order (LocalData.train_X / test_X, standardised)",
            code="bad_shape",
        )
    if y is not None and np.shape(y) != (len(X),):
        raise ResonanceError(
            what=f"y must have one value per row of X ({len(X)}), got shape {np.shape(y)}",
            where=where,
            fix="pass LocalData.train_y / test_y",
            code="bad_shape",
        )
    if not np.isfinite(X).all():
        raise ResonanceError(
            what="X contains NaN or infinite values", where=where, fix="load data with load_local", code="not_finite"
        )
    return X


def check_arrays(arrays: Arrays, shapes: list[tuple[int, ...]], where: str) -> Arrays:
    """The arrays as float64 copies if their shapes match the family's, else a ResonanceError."""
    got = [tuple(np.shape(a)) for a in arrays]
    if got != shapes:
        raise ResonanceError(
            what=f"the model arrays have shapes {got}, expected {shapes}",
            where=where,
            fix="start from the family's init() for this task spec (same features, family and hidden sizes)",
            code="bad_arrays",
        )
    return [np.array(a, dtype=np.float64) for a in arrays]


def sample_weights(y: np.ndarray, spec: TaskSpec) -> np.ndarray:
    """Per-row loss weights: 1, or for ``class_weight='balanced'`` n / (2 · rows of that class), from local counts."""
    if spec.class_weight != "balanced":
        return np.ones(len(y))
    positives = float(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return np.ones(len(y))
    return np.where(y == 1, len(y) / (2 * positives), len(y) / (2 * negatives))


def round_batches(n: int, spec: TaskSpec, rng: np.random.Generator) -> list[list[np.ndarray]]:
    """The mini-batches of one local round, grouped by pass over the rows: ``spec.local_epochs`` passes, or with
    ``spec.local_steps`` exactly that many batches whatever ``n`` is (the last pass cut short)."""
    if spec.local_steps is None:
        return [batches(n, spec.batch_size, rng) for _ in range(spec.local_epochs)]
    passes, left = [], spec.local_steps
    while left > 0 and n > 0:
        chunk = batches(n, spec.batch_size, rng)[:left]
        passes.append(chunk)
        left -= len(chunk)
    return passes


def batches(n: int, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """A shuffled partition of range(n) into batches."""
    order = rng.permutation(n)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


class Adam:
    """Adam (Kingma & Ba) over a list of numpy arrays. Hand-written: a dozen lines, and pulling torch into the
    numpy families just for the optimiser would make them as heavy as the MLP."""

    def __init__(self, params: Arrays, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, params: Arrays, grads: Arrays) -> None:
        self.t += 1
        c1 = 1 - self.beta1**self.t
        c2 = 1 - self.beta2**self.t
        for p, g, m, v in zip(params, grads, self.m, self.v, strict=True):
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * np.square(g)
            p -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)
