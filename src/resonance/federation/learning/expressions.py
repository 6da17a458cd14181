"""Derived features: small arithmetic expressions over a job's declared numeric columns, computed at the node.

    expr = parse_expression('"Torque [Nm]" * "Rotational speed [rpm]" * pi / 30', allowed={...}, where="task")
    expr.columns                              # ("Torque [Nm]", "Rotational speed [rpm]")
    expr.evaluate({"Torque [Nm]": t, "Rotational speed [rpm]": n})     # numpy arrays in, one array out

A column is written as a quoted string (job files name columns by their exact headers, which hold spaces and
brackets); numbers, ``pi`` and ``e`` are constants; the operators are ``+ - * / **`` and unary minus; the
functions are ``abs``, ``sqrt``, ``log`` and ``exp``. Nothing else parses: no names, attributes, subscripts,
comparisons or calls of anything else.

Hand-written on Python's ``ast`` rather than ``pandas.eval``/``DataFrame.eval`` or numexpr: the expression comes
from a job file that a consumer wrote and runs at a provider's node, and pandas documents its ``eval`` as unsafe
for untrusted input. Walking a whitelisted AST is a few dozen lines and can also emit the same formula as ONNX
nodes (``onnx_nodes``), so the exported model computes the derived features itself.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from resonance.errors import ResonanceError

MAX_LENGTH = 500
MAX_NODES = 100
CONSTANTS = {"pi": math.pi, "e": math.e}
FUNCTIONS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], str]] = {
    "abs": (np.abs, "Abs"),
    "sqrt": (np.sqrt, "Sqrt"),
    "log": (np.log, "Log"),
    "exp": (np.exp, "Exp"),
}
BINARY: dict[type, tuple[Callable[[Any, Any], Any], str]] = {
    ast.Add: (np.add, "Add"),
    ast.Sub: (np.subtract, "Sub"),
    ast.Mult: (np.multiply, "Mul"),
    ast.Div: (np.divide, "Div"),
    ast.Pow: (np.power, "Pow"),
}


@dataclass(frozen=True)
class Expression:
    """A parsed, whitelisted expression; ``columns`` are the column names it reads, in first-use order."""

    text: str
    tree: ast.expr
    columns: tuple[str, ...]

    def evaluate(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """The expression over whole columns (float64); non-finite results are left for the caller to report."""
        with np.errstate(all="ignore"):
            out = _eval(self.tree, values)
        return np.broadcast_to(np.asarray(out, dtype=np.float64), (_rows(values),)).copy()

    def onnx_nodes(self, inputs: Mapping[str, str], output: str, prefix: str) -> tuple[list, list]:
        """ONNX nodes computing the expression from tensors named ``inputs[column]`` (each [N, 1]) into ``output``.

        Returns (nodes, initialisers); ``prefix`` keeps the intermediate names of several expressions apart."""
        from onnx import helper, numpy_helper

        nodes: list = []
        inits: list = []
        counter = iter(range(MAX_NODES * 4))

        def emit(node: ast.expr) -> str:
            name = f"{prefix}_{next(counter)}"
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                return inputs[node.value]
            if isinstance(node, ast.Constant | ast.Name):
                value = node.value if isinstance(node, ast.Constant) else CONSTANTS[node.id]
                inits.append(numpy_helper.from_array(np.array([float(value)], dtype=np.float64), name))
                return name
            if isinstance(node, ast.UnaryOp):
                operand = emit(node.operand)
                if isinstance(node.op, ast.UAdd):
                    return operand
                nodes.append(helper.make_node("Neg", [operand], [name]))
                return name
            if isinstance(node, ast.BinOp):
                left, right = emit(node.left), emit(node.right)
                nodes.append(helper.make_node(BINARY[type(node.op)][1], [left, right], [name]))
                return name
            assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            argument = emit(node.args[0])
            nodes.append(helper.make_node(FUNCTIONS[node.func.id][1], [argument], [name]))
            return name

        result = emit(self.tree)
        nodes.append(helper.make_node("Identity", [result], [output]))
        return nodes, inits


def parse_expression(text: str, allowed: set[str] | frozenset[str], where: str) -> Expression:
    """Parse ``text``; every quoted column must be in ``allowed``. Raises ResonanceError (``bad_expression``)."""

    def refuse(what: str) -> ResonanceError:
        return ResonanceError(
            what=f"derived feature {text!r}: {what}",
            where=where,
            fix='write e.g. "Torque [Nm]" * "Rotational speed [rpm]" * pi / 30 — quoted column names, numbers, '
            "+ - * / **, abs/sqrt/log/exp / 派生特征只能用列名、数字、四则运算和 abs/sqrt/log/exp",
            code="bad_expression",
            status=422,
        )

    if not isinstance(text, str) or not text.strip():
        raise refuse("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise refuse(f"longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise refuse(f"not an expression ({exc.msg})") from None
    columns: list[str] = []
    for count, node in enumerate(ast.walk(tree), start=1):
        if count > MAX_NODES:
            raise refuse(f"more than {MAX_NODES} parts")
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float | str):
                raise refuse(f"{node.value!r} is neither a number nor a quoted column name")
            if isinstance(node.value, str):
                if node.value not in allowed:
                    raise refuse(f"column {node.value!r} is not one of the job's numeric features")
                if node.value not in columns:
                    columns.append(node.value)
            elif not math.isfinite(node.value):
                raise refuse("a constant is not finite")
        elif isinstance(node, ast.Name):
            if node.id not in CONSTANTS and node.id not in FUNCTIONS:
                raise refuse(f'unknown name {node.id!r} (quote column names: "{node.id}")')
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                raise refuse(f"only {', '.join(FUNCTIONS)} can be called")
            if len(node.args) != 1 or node.keywords:
                raise refuse(f"{node.func.id}() takes exactly one argument")
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in BINARY:
                raise refuse(f"operator {type(node.op).__name__} is not allowed")
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub | ast.UAdd):
                raise refuse(f"operator {type(node.op).__name__} is not allowed")
        elif not isinstance(node, ast.operator | ast.unaryop | ast.Load):
            raise refuse(f"{type(node).__name__} is not allowed")
    for node in ast.walk(tree):  # a name used as a value must be a constant, a function name only as a callee
        if isinstance(node, ast.Name) and node.id in FUNCTIONS and not _is_callee(tree, node):
            raise refuse(f"{node.id} is a function; call it as {node.id}(…)")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in CONSTANTS:
            raise refuse(f"{node.func.id} is a constant, not a function")
    if not columns:
        raise refuse("it uses no column")
    return Expression(text=text.strip(), tree=tree, columns=tuple(columns))


def _is_callee(tree: ast.expr, name: ast.Name) -> bool:
    return any(isinstance(n, ast.Call) and n.func is name for n in ast.walk(tree))


def _rows(values: Mapping[str, np.ndarray]) -> int:
    return len(next(iter(values.values()))) if values else 1


def _eval(node: ast.expr, values: Mapping[str, np.ndarray]) -> Any:
    if isinstance(node, ast.Constant):
        return values[node.value] if isinstance(node.value, str) else float(node.value)
    if isinstance(node, ast.Name):
        return CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, values)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        return BINARY[type(node.op)][0](_eval(node.left, values), _eval(node.right, values))
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    return FUNCTIONS[node.func.id][0](_eval(node.args[0], values))
