"""Derived-feature expressions: what parses, what is refused, and that numpy and ONNX compute the same values."""

from __future__ import annotations

import math

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from resonance.errors import ResonanceError
from resonance.federation.learning.expressions import parse_expression

COLUMNS = frozenset({"Torque [Nm]", "Rotational speed [rpm]", "温度", "b"})
POWER = '"Torque [Nm]" * "Rotational speed [rpm]" * pi / 30'


def test_power_in_watts_from_quoted_columns():
    expr = parse_expression(POWER, COLUMNS, where="t")
    assert expr.columns == ("Torque [Nm]", "Rotational speed [rpm]")
    torque, speed = np.array([40.0, 3.8]), np.array([1500.0, 2861.0])
    np.testing.assert_allclose(expr.evaluate({"Torque [Nm]": torque, "Rotational speed [rpm]": speed}),
                               torque * speed * math.pi / 30)  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('-"温度" + 2 ** 3', [-1.0 + 8, -2.0 + 8]),
        ('abs("b" - 5) / sqrt(4)', [2.0, 1.5]),
        ('log(exp("温度")) * e / e', [1.0, 2.0]),
        ('+"b" ** 2', [1.0, 4.0]),
    ],
)
def test_operators_and_functions(text, expected):
    values = {"温度": np.array([1.0, 2.0]), "b": np.array([1.0, 2.0])}
    np.testing.assert_allclose(parse_expression(text, COLUMNS, where="t").evaluate(values), expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ('"温度" +', "not an expression"),
        ('__import__("os").system("id")', "only abs, sqrt, log, exp can be called"),
        ('"温度".real', "Attribute is not allowed"),
        ('"温度"[0]', "Subscript is not allowed"),
        ('"温度" > 3', "Compare is not allowed"),
        ("温度 * 2", "unknown name '温度'"),
        ('"湿度" * 2', "column '湿度' is not one of the job's numeric features"),
        ("pi * 2", "uses no column"),
        ('"b" if 1 else 2', "IfExp is not allowed"),
        ('"b" // 2', "FloorDiv is not allowed"),
        ('"b" * True', "True is neither a number"),
        ('sqrt("b", 2)', "takes exactly one argument"),
        ('sqrt * "b"', "sqrt is a function"),
        ('pi("b")', "only abs, sqrt, log, exp can be called"),
        ('"b" + ' + " + ".join(["1"] * 120), "more than 100 parts"),
        ('"b" * ' + "1" * 600, "longer than 500"),
        ('lambda: "b"', "Lambda is not allowed"),
        ('["b"]', "List is not allowed"),
        ('not "b"', "Not is not allowed"),
    ],
)
def test_anything_else_is_refused(text, message):
    with pytest.raises(ResonanceError, match=message) as caught:
        parse_expression(text, COLUMNS, where="task.derived.x")
    assert caught.value.code == "bad_expression" and caught.value.where == "task.derived.x"


def test_onnx_nodes_compute_what_numpy_computes():
    expr = parse_expression('abs(-"b" * 2.5 - "温度" ** 2) / sqrt("b") + log("温度") - exp(-"b")', COLUMNS, "t")
    b, t = np.array([1.0, 4.0, 9.0]), np.array([0.5, 2.0, 3.0])
    nodes, inits = expr.onnx_nodes({"b": "in_b", "温度": "in_t"}, "out", prefix="p")
    graph = helper.make_graph(
        nodes,
        "expr",
        [helper.make_tensor_value_info(n, TensorProto.DOUBLE, ["N", 1]) for n in ("in_b", "in_t")],
        [helper.make_tensor_value_info("out", TensorProto.DOUBLE, ["N", 1])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    got = session.run(["out"], {"in_b": b[:, None], "in_t": t[:, None]})[0].ravel()
    np.testing.assert_allclose(got, expr.evaluate({"b": b, "温度": t}), rtol=1e-12)
