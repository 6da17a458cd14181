"""Categorical vocabularies from published top values, derived features, and the same encoding in ONNX."""

from __future__ import annotations

import json
import math

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
import pytest

from resonance.demo.bundled import AI4I_FEATURES, AI4I_TARGET, ai4i_parts
from resonance.errors import ResonanceError
from resonance.federation.learning import get_family, load_local
from resonance.federation.learning.baselines import pooled_standardiser
from resonance.federation.learning.encoding import encode_frame, raw_codes, with_preprocessing, with_vocabularies
from resonance.federation.learning.spec import TaskSpec, parse_spec

POWER = '"Torque [Nm]" * "Rotational speed [rpm]" * pi / 30'
TASK = {
    "task": "classification",
    "target": AI4I_TARGET,
    "features": ["Type", *AI4I_FEATURES],
    "categorical": ["Type"],
    "derived": {"power [W]": POWER, "strain": '"Tool wear [min]" * "Torque [Nm]"'},
    "family": "mlp",
    "hidden": [8],
    "split_key": "UDI",
}


def _profile(column: str, values: list[tuple[object, int]]) -> dict:
    return {"profile": {"columns": [{"name": column, "top_values": [{"value": v, "count": c} for v, c in values]}]}}


def test_space_builds_the_vocabulary_from_published_top_values_only():
    # node H published "H" only; node L suppressed a rare "X" (k-anonymity), so it never enters the vocabulary
    profiles = [_profile("Type", [("L", 6000)]), _profile("Type", [("M", 2997)]), _profile("Type", [("H", 1003)])]
    task = with_vocabularies(TASK, profiles)
    assert task["vocabularies"] == {"Type": ["L", "M", "H"]}
    assert "vocabularies" not in TASK  # the job's own table is not changed
    spec = TaskSpec.model_validate(task)
    assert spec.inputs() == [*AI4I_FEATURES, "power [W]", "strain", "Type=L", "Type=M", "Type=H"]
    assert spec.n_inputs == 10
    # a vocabulary the job gives is kept; a task without categorical features is returned as it was
    given = with_vocabularies({**TASK, "vocabularies": {"Type": ["H", "L"]}}, profiles)
    assert given["vocabularies"] == {"Type": ["H", "L"]}
    plain = {k: v for k, v in TASK.items() if k != "categorical"}
    assert with_vocabularies(plain, []) == plain


def test_vocabulary_refusals():
    with pytest.raises(ResonanceError, match="no published profile has a column 'Type'") as caught:
        with_vocabularies(TASK, [_profile("机型", [("A", 9)])])
    assert caught.value.code == "missing_column"
    with pytest.raises(ResonanceError, match="no dataset published any category of 'Type'") as caught:
        with_vocabularies(TASK, [_profile("Type", [])])  # every category suppressed
    assert caught.value.code == "no_vocabulary"
    with pytest.raises(ResonanceError, match="categorical feature 'Type' has no vocabulary") as caught:
        TaskSpec.model_validate(TASK).inputs()
    assert caught.value.code == "no_vocabulary"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"categorical": ["机型"]}, "categorical column '机型' is not among the features"),
        ({"categorical": ["Type", "Type"]}, "categorical lists a column twice"),
        ({"vocabularies": {"Tool wear [min]": ["1"]}}, "which is not a categorical feature"),
        ({"vocabularies": {"Type": []}}, "needs 1 to 1000 categories"),
        ({"vocabularies": {"Type": ["L", "L"]}}, "lists a category twice"),
        ({"vocabularies": {"Type": "L"}}, "vocabularies"),
        ({"derived": {"Torque [Nm]": '"Tool wear [min]" * 2'}}, "already a column"),
        ({"derived": {"x": '"Type" * 2'}}, "column 'Type' is not one of the job's numeric features"),
        ({"derived": {"x": 'open("/etc/passwd")'}}, "only abs, sqrt, log, exp can be called"),
        ({"derived": {"x": 3}}, "derived"),
    ],
)
def test_bad_encodings_are_refused_with_the_field(change, message):
    with pytest.raises(ResonanceError, match=message) as caught:
        parse_spec({**TASK, **change}, where="job.toml: task")
    assert caught.value.code == "invalid_task" and caught.value.problems


def test_vocabulary_values_compare_as_text():
    spec = TaskSpec.model_validate(
        {**TASK, "features": ["code", "Torque [Nm]"], "categorical": ["code"], "derived": {},
         "vocabularies": {"code": [1, 2.0, "3"]}}
    )  # fmt: skip
    assert spec.vocabularies == {"code": ["1", "2", "3"]}
    frame = pd.DataFrame({"code": [1.0, 2, "3", None, 7], "Torque [Nm]": [1.0] * 5, AI4I_TARGET: [0] * 5})
    X = encode_frame(frame, spec, "t")
    assert X[:, 1:].tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]]


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_node_encodes_its_csv(tmp_path, encoding):
    spec = TaskSpec.model_validate(
        {**TASK, "features": ["机型", "扭矩", "转速"], "categorical": ["机型"], "target": "故障", "split_key": None,
         "derived": {"功率": '"扭矩" * "转速" * pi / 30'}, "vocabularies": {"机型": ["轻型", "重型"]}}
    )  # fmt: skip
    rows = ["机型,扭矩,转速,故障"] + ["轻型,40,1500,0", "重型,60,1200,1", "中型,30,1000,0"] * 10
    path = tmp_path / "数据.csv"
    path.write_bytes(("\n".join(rows) + "\n").encode(encoding))
    data = load_local(path, spec)
    assert data.features == ["扭矩", "转速", "功率", "机型=轻型", "机型=重型"]
    X = np.vstack([data.train_X, data.test_X])
    first = X[(X[:, 0] == 40)][0]
    np.testing.assert_allclose(first, [40, 1500, 40 * 1500 * math.pi / 30, 1, 0])
    assert X[(X[:, 0] == 30)][0][3:].tolist() == [0, 0]  # 中型 is outside the vocabulary: all zeros


def test_derived_value_that_is_not_finite_names_the_row():
    spec = TaskSpec.model_validate(
        {**TASK, "features": ["a", "b"], "categorical": [], "derived": {"ratio": '"a" / "b"'}, "target": "y"}
    )
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, 0.0, 0.0], "y": [0, 1, 0]})
    with pytest.raises(ResonanceError, match=r"derived feature 'ratio' = \"a\" / \"b\" is not a finite number at "
                       r"data row 2 \(2 such rows in all\)") as caught:  # fmt: skip
        encode_frame(frame, spec, "t.csv")
    assert caught.value.code == "not_finite" and caught.value.where == "t.csv: row 2"
    text = pd.DataFrame({"a": ["x", "2", "3"], "b": [1.0, 1, 1], "y": [0, 1, 0]})
    with pytest.raises(ResonanceError, match="not a number in column 'a' at data row 1"):
        encode_frame(text, spec, "t.csv")


@pytest.mark.parametrize("family", ["mlp", "logistic"])
def test_onnx_takes_declared_features_and_encodes_them_itself(family):
    spec = TaskSpec.model_validate({**with_vocabularies(TASK, [_profile("Type", [("L", 6), ("M", 3), ("H", 1)])]),
                                    "family": family, "local_epochs": 1})  # fmt: skip
    frames = {t: f.iloc[:400] for t, f in ai4i_parts().items()}
    parts = [load_local(f, spec, name=t) for t, f in frames.items()]
    standardiser = pooled_standardiser(parts, spec)
    fam = get_family(spec)
    arrays, _ = fam.fit(fam.init(spec.n_inputs, spec, standardiser), standardiser.apply(parts[0].train_X),
                        parts[0].train_y, spec)  # fmt: skip
    model = with_preprocessing(spec, fam.to_onnx(arrays, spec.n_inputs, standardiser=standardiser))
    loaded = onnx.load_from_string(model)
    meta = {p.key: p.value for p in loaded.metadata_props}
    assert json.loads(meta["features"]) == spec.features and json.loads(meta["vocabulary:Type"]) == ["L", "M", "H"]
    assert meta["derived:power [W]"] == POWER
    assert [i.name for i in loaded.graph.input] == ["X"] and [o.name for o in loaded.graph.output] == ["prediction"]
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    frame = pd.concat(frames.values())
    frame.loc[frame.index[:5], "Type"] = "Z"  # outside the vocabulary: -1 in, all-zero indicators inside
    raw = raw_codes(frame, spec)
    assert raw.shape == (len(frame), 6) and set(np.unique(raw[:, 0])) == {-1.0, 0.0, 1.0, 2.0}
    expected = fam.predict(arrays, standardiser.apply(encode_frame(frame, spec, "t")), spec.task)
    np.testing.assert_allclose(session.run(["prediction"], {"X": raw})[0], expected, rtol=1e-6, atol=1e-9)
