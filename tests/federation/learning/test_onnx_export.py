from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from resonance.federation.learning import get_family
from resonance.federation.learning.baselines import pooled_standardiser


def _run(model: bytes, X: np.ndarray) -> np.ndarray:
    onnx.checker.check_model(onnx.load_from_string(model))
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    return session.run(["prediction"], {"X": X.astype(np.float64)})[0]


@pytest.mark.parametrize(
    ("family", "dataset"), [("logistic", "ai4i"), ("linear", "cmapss"), ("mlp", "ai4i"), ("mlp", "cmapss")]
)
def test_onnx_predictions_equal_the_family(family, dataset, request):
    parts = request.getfixturevalue(dataset)
    spec = request.getfixturevalue(f"{dataset}_spec").model_copy(update={"family": family, "local_epochs": 1})
    fam = get_family(spec)
    standardiser = pooled_standardiser(parts, spec)
    arrays, _ = fam.fit(
        fam.init(spec.n_inputs, spec, standardiser), standardiser.apply(parts[0].train_X), parts[0].train_y, spec
    )
    raw = parts[1].test_X
    expected = fam.predict(arrays, standardiser.apply(raw))
    # with the standardiser inside the graph: raw readings in, prediction out
    got = _run(fam.to_onnx(arrays, spec.n_inputs, standardiser=standardiser), raw)
    assert got.shape == expected.shape == (len(raw),)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    # without it: standardised features in
    plain = _run(fam.to_onnx(arrays, spec.n_inputs), standardiser.apply(raw))
    np.testing.assert_allclose(plain, expected, rtol=1e-5, atol=1e-5)
    if spec.task == "classification":
        assert np.all((got >= 0) & (got <= 1))
