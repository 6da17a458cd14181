"""Model families: ``get_family(name)`` → an object with init / fit / evaluate / predict / to_onnx."""

from __future__ import annotations

from resonance.errors import ResonanceError
from resonance.federation.learning.families._base import Arrays, Family
from resonance.federation.learning.families.linear import LinearFamily
from resonance.federation.learning.families.logistic import LogisticFamily
from resonance.federation.learning.spec import FAMILIES, TaskSpec

__all__ = ["Arrays", "Family", "get_family"]


def get_family(name: str | TaskSpec, task: str | None = None) -> Family:
    """The family called ``name`` ("logistic", "linear", "mlp"), or the one a TaskSpec names (bound to its task).

    ``task`` binds the MLP to classification or regression so that ``predict``/``to_onnx`` need no ``task=``.
    """
    if isinstance(name, TaskSpec):
        name, task = name.family, name.task
    if name == "logistic":
        return LogisticFamily()
    if name == "linear":
        return LinearFamily()
    if name == "mlp":
        from resonance.federation.learning.families.mlp import MlpFamily  # imports torch only when asked

        return MlpFamily(task)
    raise ResonanceError(
        what=f"unknown model family {name!r}",
        where="get_family",
        fix=f"use one of {', '.join(FAMILIES)}",
        code="unknown_family",
    )
