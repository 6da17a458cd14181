"""From a node's table to the model's inputs, the same way at every node and in the exported ONNX model.

    task = with_vocabularies(job.task, [dataset.profile for dataset in datasets])   # at the space, metadata only
    X = encode_frame(frame, spec, where="ai4i_L.csv")                               # at the node, rows stay here
    onnx_bytes = with_preprocessing(spec, model_onnx)                               # raw features in the graph

The columns of ``X`` are ``spec.inputs()``: numeric features as read, derived features computed from them
(``expressions``), and one 0/1 indicator per vocabulary entry of each categorical feature (a value outside the
vocabulary — a category some node suppressed or never had — is all zeros). The vocabulary is fixed in the job plan
before any node reads a row, so a node's encoding never depends on which categories it happens to hold.

The exported model takes ``X`` = the declared features in declared order, each categorical one given as its
position in the vocabulary (0, 1, …; any other number encodes as all zeros); the graph computes the derived
features and the indicators itself. The ONNX metadata lists the features (``features``), the categorical columns'
vocabularies (``vocabulary:<column>``) and the derived formulas (``derived:<name>``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from resonance.errors import ResonanceError
from resonance.federation.learning.alignment import one_hot, vocabulary_from_profiles
from resonance.federation.learning.expressions import parse_expression
from resonance.federation.learning.spec import TaskSpec, category_text


def with_vocabularies(task: Mapping[str, Any], profiles: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """``task`` (a job's ``[task]`` table) with a vocabulary for every categorical feature that has none, built by
    ``vocabulary_from_profiles`` from the published profiles. A column whose categories were all suppressed
    (none published) is refused: the nodes could not encode it."""
    out = dict(task)
    categorical = list(out.get("categorical") or [])
    if not categorical:
        return out
    profiles = list(profiles)
    vocabularies = dict(out.get("vocabularies") or {})
    for column in categorical:
        if column in vocabularies:
            continue
        vocabulary = vocabulary_from_profiles(profiles, column)
        if not vocabulary:
            raise ResonanceError(
                what=f"no dataset published any category of {column!r} (all were suppressed or the column is empty)",
                where="task.categorical",
                fix="leave the column out of the categorical features, or give task.vocabularies / "
                "该分类列没有公开的取值，无法编码",
                code="no_vocabulary",
                status=422,
            )
        vocabularies[column] = vocabulary
    out["vocabularies"] = vocabularies
    return out


def numeric_column(column: pd.Series, name: str, where: str) -> np.ndarray:
    """The column as float64, or a ResonanceError naming the first missing or non-numeric cell's data row."""
    values = pd.to_numeric(column, errors="coerce")
    bad = values.isna().to_numpy() | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
    if bad.any():
        row = int(np.argmax(bad))
        raw = column.iloc[row]
        empty = bool(pd.isna(raw)) or str(raw).strip() == ""
        what = "a value is missing" if empty else "a value is not a number"
        raise ResonanceError(
            what=f"{what} in column {name!r} at data row {row + 1}"
            + (f" ({int(bad.sum())} such rows in all)" if bad.sum() > 1 else ""),
            where=f"{where}: row {row + 1}, column {name!r}",
            fix="fill or remove those rows, or leave the column out of the features / 请补全或删除该行，或不用此列",
            code="not_numeric",
            status=422,
        )
    return values.to_numpy(dtype=np.float64)


def encode_frame(frame: pd.DataFrame, spec: TaskSpec, where: str) -> np.ndarray:
    """The model inputs (``spec.inputs()`` columns, float64) of a node's rows."""
    names = spec.inputs()  # refuses a categorical feature without a vocabulary before any work
    numeric = {c: numeric_column(frame[c], c, where) for c in spec.numeric_features}
    columns = [numeric[c] for c in spec.numeric_features]
    for name, text in spec.derived.items():
        values = parse_expression(text, frozenset(numeric), where=f"task.derived.{name}").evaluate(numeric)
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.argmax(bad))
            raise ResonanceError(
                what=f"derived feature {name!r} = {text} is not a finite number at data row {row + 1}"
                + (f" ({int(bad.sum())} such rows in all)" if bad.sum() > 1 else ""),
                where=f"{where}: row {row + 1}",
                fix="guard the formula (e.g. divide by a column that is never 0) or leave the feature out / "
                "派生特征出现无穷或非数",
                code="not_finite",
                status=422,
            )
        columns.append(values)
    for column in spec.categorical:
        cells = [None if pd.isna(v) else category_text(v) for v in frame[column].tolist()]
        encoded = one_hot(cells, spec.vocabularies[column])
        columns.extend(encoded.T)
    X = np.column_stack(columns) if columns else np.zeros((len(frame), 0))
    assert X.shape[1] == len(names)
    return X


def raw_codes(frame: pd.DataFrame, spec: TaskSpec) -> np.ndarray:
    """The exported model's input for ``frame``: declared features in order, categories as vocabulary positions
    (-1 for a value outside the vocabulary)."""
    columns = []
    for feature in spec.features:
        if feature in spec.categorical:
            index = {v: i for i, v in enumerate(spec.vocabularies[feature])}
            columns.append([index.get(category_text(v), -1) for v in frame[feature].tolist()])
        else:
            columns.append(pd.to_numeric(frame[feature]).to_numpy(dtype=np.float64))
    return np.column_stack(columns).astype(np.float64)


def needs_preprocessing(spec: TaskSpec) -> bool:
    return bool(spec.categorical or spec.derived)


def with_preprocessing(spec: TaskSpec, model: bytes) -> bytes:
    """Prefix the family's ONNX model (input ``X`` = the encoded inputs) with a graph that encodes the declared
    features itself (see the module docstring); metadata as described there. Without categorical or derived
    features the model is returned with the metadata only."""
    import onnx
    from onnx import TensorProto, compose, helper, numpy_helper

    inner = onnx.load_from_string(model)
    if needs_preprocessing(spec):
        nodes, inits = [], []
        pieces: dict[str, str] = {}
        for i, feature in enumerate(spec.features):
            index = f"pre_col{i}_index"
            inits.append(numpy_helper.from_array(np.array([i], dtype=np.int64), index))
            nodes.append(helper.make_node("Gather", ["X", index], [f"pre_col{i}"], axis=1))
            pieces[feature] = f"pre_col{i}"
        outputs = [pieces[f] for f in spec.numeric_features]
        for j, (name, text) in enumerate(spec.derived.items()):
            expression = parse_expression(text, frozenset(spec.numeric_features), where=f"task.derived.{name}")
            more_nodes, more_inits = expression.onnx_nodes(pieces, f"pre_derived{j}", prefix=f"pre_d{j}")
            nodes += more_nodes
            inits += more_inits
            outputs.append(f"pre_derived{j}")
        for column in spec.categorical:
            for k, _ in enumerate(spec.vocabularies[column]):
                code, name = f"pre_{spec.features.index(column)}_code{k}", f"pre_{spec.features.index(column)}_is{k}"
                inits.append(numpy_helper.from_array(np.array([float(k)], dtype=np.float64), code))
                nodes += [
                    helper.make_node("Equal", [pieces[column], code], [name + "_bool"]),
                    helper.make_node("Cast", [name + "_bool"], [name], to=TensorProto.DOUBLE),
                ]
                outputs.append(name)
        nodes.append(helper.make_node("Concat", outputs, ["encoded"], axis=1))
        pre = helper.make_graph(
            nodes,
            "resonance-encoding",
            [helper.make_tensor_value_info("X", TensorProto.DOUBLE, ["N", len(spec.features)])],
            [helper.make_tensor_value_info("encoded", TensorProto.DOUBLE, ["N", spec.n_inputs])],
            initializer=inits,
        )
        opset = max(o.version for o in inner.opset_import if o.domain in ("", "ai.onnx"))
        pre_model = helper.make_model(pre, opset_imports=[helper.make_opsetid("", opset)])
        pre_model.ir_version = inner.ir_version
        inner = compose.merge_models(pre_model, compose.add_prefix(inner, "model_"), io_map=[("encoded", "model_X")])
        _rename_output(inner, "model_prediction", "prediction")
    metadata = {"features": json.dumps(spec.features, ensure_ascii=False)}
    metadata.update({f"vocabulary:{c}": json.dumps(spec.vocabularies[c], ensure_ascii=False) for c in spec.categorical})
    metadata.update({f"derived:{name}": text for name, text in spec.derived.items()})
    onnx.helper.set_model_props(inner, metadata)
    onnx.checker.check_model(inner)
    return inner.SerializeToString()


def _rename_output(model: Any, old: str, new: str) -> None:
    for node in model.graph.node:
        node.output[:] = [new if o == old else o for o in node.output]
    for output in model.graph.output:
        if output.name == old:
            output.name = new
