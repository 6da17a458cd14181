"""A multilayer perceptron in PyTorch on the CPU (float64, ReLU hidden layers, one output unit).

Arrays are ``[W1, b1, W2, b2, …]`` in ``torch.nn.Linear`` layout (W: [out, in]). Training is deterministic: the
initial weights come from numpy with ``spec.seed``, batches are shuffled by a seeded numpy generator, and torch
runs on one thread (``torch.set_num_threads(1)``: a node's CPU is shared with its other work, and tiny matrices
gain nothing from more threads). float64 keeps the ONNX export and torch within 1e-5 of each other.
"""

from __future__ import annotations

import io
import itertools
import warnings

import numpy as np

from resonance.errors import ResonanceError
from resonance.federation.learning.alignment import Standardiser
from resonance.federation.learning.families._base import (
    Arrays,
    Family,
    check_arrays,
    check_xy,
    round_batches,
    sample_weights,
)
from resonance.federation.learning.spec import TaskSpec

ONNX_OPSET = 17


def _torch():
    try:
        import torch
    except ImportError:  # torch is the optional "mlp" extra
        raise ResonanceError(
            what="the mlp family needs PyTorch, which is not installed",
            where="families.mlp",
            fix="pip install 'resonance-space[mlp]' (CPU build), or use the logistic/linear family",
            code="missing_dependency",
            status=500,
        ) from None
    torch.set_num_threads(1)
    return torch


def layer_shapes(n_features: int, hidden: list[int]) -> list[tuple[int, ...]]:
    """The shapes of an MLP's arrays, in order."""
    sizes = [n_features, *hidden, 1]
    shapes: list[tuple[int, ...]] = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        shapes += [(fan_out, fan_in), (fan_out,)]
    return shapes


class MlpFamily(Family):
    """Binary classification (log loss on a logit output) or regression (half squared error)."""

    name = "mlp"

    def __init__(self, task: str | None = None) -> None:
        self.task = task

    def init(self, n_features: int, spec: TaskSpec, standardiser: Standardiser | None = None) -> Arrays:
        rng = np.random.default_rng(spec.seed)
        arrays: Arrays = []
        for shape in layer_shapes(n_features, spec.hidden):
            fan_in = shape[1] if len(shape) == 2 else arrays[-1].shape[1]
            bound = 1.0 / np.sqrt(fan_in)  # torch.nn.Linear's default range
            arrays.append(rng.uniform(-bound, bound, size=shape))
        if standardiser is not None and spec.task == "regression":
            arrays[-1][:] = standardiser.y_mean
        return arrays

    def _module(self, arrays: Arrays, n_features: int):
        torch = _torch()
        n_layers = len(arrays) // 2
        hidden = [arrays[2 * i].shape[0] for i in range(n_layers - 1)]
        arrays = check_arrays(arrays, layer_shapes(n_features, hidden), "families.mlp")
        layers: list = []
        for i in range(n_layers):
            linear = torch.nn.Linear(arrays[2 * i].shape[1], arrays[2 * i].shape[0], dtype=torch.float64)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(arrays[2 * i]))
                linear.bias.copy_(torch.from_numpy(arrays[2 * i + 1]))
            layers.append(linear)
            if i < n_layers - 1:
                layers.append(torch.nn.ReLU())
        return torch.nn.Sequential(*layers)

    def raw(self, arrays: Arrays, X: np.ndarray, task: str | None = None) -> np.ndarray:
        torch = _torch()
        if len(arrays) < 2 or len(arrays) % 2 or np.ndim(arrays[0]) != 2:
            raise ResonanceError(
                what=f"an MLP needs weight/bias pairs, got {len(arrays)} arrays",
                where="families.mlp",
                fix="start from MlpFamily.init",
                code="bad_arrays",
            )
        n_features = np.shape(arrays[0])[1]
        X = check_xy(X, None, n_features, "families.mlp")
        module = self._module(arrays, n_features)
        with torch.no_grad():
            return module(torch.from_numpy(X)).numpy().ravel()

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
        torch = _torch()
        n_features = spec.n_inputs
        shapes = layer_shapes(n_features, spec.hidden)
        check_arrays(arrays, shapes, "families.mlp.fit")
        anchor = [
            torch.from_numpy(a)
            for a in check_arrays(global_arrays if global_arrays is not None else arrays, shapes, "global_arrays")
        ]
        X = check_xy(X, y, n_features, "families.mlp.fit")
        module = self._module(arrays, n_features)
        params = list(module.parameters())
        Xt = torch.from_numpy(X)
        yt = torch.from_numpy(np.asarray(y, dtype=np.float64))
        wt = torch.from_numpy(sample_weights(np.asarray(y, dtype=np.float64), spec))
        classification = spec.task == "classification"
        optimiser = torch.optim.Adam(params, lr=spec.learning_rate)
        rng = np.random.default_rng(spec.seed if seed is None else seed)
        mu = spec.proximal_mu
        steps, loss_sum = 0, 0.0
        for epoch in round_batches(len(X), spec, rng):
            loss_sum = 0.0
            for idx in epoch:
                index = torch.from_numpy(idx)
                out = module(Xt[index]).squeeze(1)
                yb, wb = yt[index], wt[index]
                if classification:
                    rows = torch.nn.functional.binary_cross_entropy_with_logits(out, yb, reduction="none")
                else:
                    rows = 0.5 * (out - yb) ** 2
                loss = (rows * wb).mean()
                if mu > 0:
                    loss = loss + 0.5 * mu * sum(((p - a) ** 2).sum() for p, a in zip(params, anchor, strict=True))
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                optimiser.step()
                loss_sum += float((rows * wb).sum().detach())
                steps += 1
        new = [p.detach().numpy().copy() for p in params]
        return new, {"loss": loss_sum / max(len(X), 1), "n": float(len(X)), "steps": float(steps)}

    def to_onnx(
        self, arrays: Arrays, n_features: int, *, standardiser: Standardiser | None = None, task: str | None = None
    ) -> bytes:
        torch = _torch()
        classification = self._task(task) == "classification"
        module = self._module(arrays, n_features)
        mean = torch.from_numpy(np.asarray(standardiser.mean if standardiser else np.zeros(n_features), np.float64))
        std = torch.from_numpy(np.asarray(standardiser.std if standardiser else np.ones(n_features), np.float64))

        class Exported(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.net = module
                self.register_buffer("mean", mean)
                self.register_buffer("std", std)

            def forward(self, X):
                out = self.net((X - self.mean) / self.std).squeeze(1)
                return torch.sigmoid(out) if classification else out

        buffer = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter is deprecated; the new one needs onnxscript
            torch.onnx.export(
                Exported(),
                (torch.zeros(2, n_features, dtype=torch.float64),),
                buffer,
                dynamo=False,
                input_names=["X"],
                output_names=["prediction"],
                dynamic_axes={"X": {0: "N"}, "prediction": {0: "N"}},
                opset_version=ONNX_OPSET,
            )
        return buffer.getvalue()
