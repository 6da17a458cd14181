"""Generalised linear models in numpy (shared by the logistic and linear families): arrays ``[coef (F,), intercept
(1,)]``, mini-batch Adam, optional FedProx term, ONNX graph written with ``onnx.helper``.

``onnx`` is imported only when a graph is written: a node's ClientApp, started afresh for every Flower message,
never exports and should not pay for the import."""

from __future__ import annotations

import numpy as np

from resonance.federation.learning.alignment import Standardiser
from resonance.federation.learning.families._base import (
    Adam,
    Arrays,
    Family,
    check_arrays,
    check_xy,
    round_batches,
    sample_weights,
)
from resonance.federation.learning.spec import TaskSpec

ONNX_OPSET = 17


class LinearModel(Family):
    """Base of LogisticFamily and LinearFamily; ``link`` is "logit" or "identity"."""

    link: str

    def init(self, n_features: int, spec: TaskSpec, standardiser: Standardiser | None = None) -> Arrays:
        intercept = 0.0
        if standardiser is not None:
            if self.link == "identity":
                intercept = standardiser.y_mean
            elif standardiser.classes is not None and standardiser.classes.min() > 0:
                intercept = float(np.log(standardiser.classes[1] / standardiser.classes[0]))
        return [np.zeros(n_features), np.array([intercept])]

    def raw(self, arrays: Arrays, X: np.ndarray, task: str | None = None) -> np.ndarray:
        n_features = np.shape(arrays[0])[0] if len(arrays) == 2 and np.ndim(arrays[0]) == 1 else -1
        coef, intercept = check_arrays(arrays, [(n_features,), (1,)], f"families.{self.name}")
        X = check_xy(X, None, len(coef), f"families.{self.name}")
        return X @ coef + intercept[0]

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
        n_features = spec.n_inputs
        shapes = [(n_features,), (1,)]
        params = check_arrays(arrays, shapes, f"families.{self.name}.fit")
        anchor = check_arrays(global_arrays if global_arrays is not None else arrays, shapes, "global_arrays")
        X = check_xy(X, y, n_features, f"families.{self.name}.fit")
        y = np.asarray(y, dtype=np.float64)
        weights = sample_weights(y, spec)
        rng = np.random.default_rng(spec.seed if seed is None else seed)
        optimiser = Adam(params, spec.learning_rate)
        mu = spec.proximal_mu
        steps, loss_sum = 0, 0.0
        for epoch in round_batches(len(X), spec, rng):
            loss_sum, seen = 0.0, 0
            for idx in epoch:
                xb, yb, wb = X[idx], y[idx], weights[idx]
                out = xb @ params[0] + params[1][0]
                residual, loss = self._residual(out, yb)
                residual *= wb / len(idx)
                grads = [xb.T @ residual, np.array([residual.sum()])]
                if mu > 0:
                    grads = [g + mu * (p - a) for g, p, a in zip(grads, params, anchor, strict=True)]
                optimiser.step(params, grads)
                loss_sum += float(np.sum(loss * wb))
                seen += len(idx)
                steps += 1
        return params, {"loss": loss_sum / max(len(X), 1), "n": float(len(X)), "steps": float(steps)}

    def _residual(self, out: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """d(loss)/d(out) per row and the per-row loss (log loss, or half squared error)."""
        if self.link == "logit":
            prob = 0.5 * (1.0 + np.tanh(0.5 * out))  # the logistic function without overflow
            return prob - y, np.logaddexp(0.0, out) - y * out
        err = out - y
        return err, 0.5 * np.square(err)

    def to_onnx(
        self, arrays: Arrays, n_features: int, *, standardiser: Standardiser | None = None, task: str | None = None
    ) -> bytes:
        from onnx import helper, numpy_helper

        coef, intercept = check_arrays(arrays, [(n_features,), (1,)], f"families.{self.name}.to_onnx")
        nodes, inits, current = standardise_nodes(standardiser, n_features)
        inits += [numpy_helper.from_array(coef, "coef"), numpy_helper.from_array(intercept, "intercept")]
        nodes += [
            helper.make_node("MatMul", [current, "coef"], ["score"]),
            helper.make_node("Add", ["score", "intercept"], ["raw" if self.link == "logit" else "prediction"]),
        ]
        if self.link == "logit":
            nodes.append(helper.make_node("Sigmoid", ["raw"], ["prediction"]))
        return model_bytes(nodes, inits, n_features, f"resonance-{self.name}")


def standardise_nodes(standardiser: Standardiser | None, n_features: int) -> tuple[list, list, str]:
    """ONNX nodes that compute ``(X - mean) / std``; returns (nodes, initialisers, name of the output)."""
    from onnx import helper, numpy_helper

    if standardiser is None:
        return [], [], "X"
    if len(standardiser.mean) != n_features:
        from resonance.errors import ResonanceError

        raise ResonanceError(
            what=f"the standardiser has {len(standardiser.mean)} features, the model {n_features}",
            where="to_onnx",
            fix="pass the standardiser combined for this task",
            code="bad_shape",
        )
    inits = [
        numpy_helper.from_array(np.asarray(standardiser.mean, dtype=np.float64), "mean"),
        numpy_helper.from_array(np.asarray(standardiser.std, dtype=np.float64), "std"),
    ]
    nodes = [helper.make_node("Sub", ["X", "mean"], ["centred"]), helper.make_node("Div", ["centred", "std"], ["Z"])]
    return nodes, inits, "Z"


def model_bytes(nodes: list, inits: list, n_features: int, name: str) -> bytes:
    """Wrap nodes into a checked ONNX model with input X [N, F] and output prediction [N], both float64."""
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("X", TensorProto.DOUBLE, ["N", n_features])],
        [helper.make_tensor_value_info("prediction", TensorProto.DOUBLE, ["N"])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", ONNX_OPSET)], producer_name="resonance")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()
