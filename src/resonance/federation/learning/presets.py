"""Recommended job settings per bundled dataset, as data: the task spec, rounds and strategy that meet the goals
(federated ≥ 0.99 × centralized and better than every local-only model, on the pooled test set) in
``federated_reference``. The measured figures are in docs/learning.md; ``tests/federation/learning/
test_baselines.py`` re-checks them.

    preset = PRESETS["ai4i"]
    spec = TaskSpec(**preset["task"]); rounds = preset["rounds"]
"""

from __future__ import annotations

import copy
from typing import Any

from resonance.demo.bundled import AI4I_FEATURES, AI4I_TARGET
from resonance.errors import ResonanceError

CMAPSS_FEATURES = ["s2", "s3", "s4", "s7", "s8", "s9", "s11", "s12", "s13", "s14", "s15", "s17", "s20", "s21"]
"""FD001's informative sensors: the 21 minus those with at most two distinct values (s1 s5 s6 s10 s16 s18 s19),
as ``bundled.cmapss_constant_columns`` finds; the three operational settings are left out too (one condition)."""

AI4I_DERIVED = {
    "power [W]": '"Torque [Nm]" * "Rotational speed [rpm]" * pi / 30',
    "temperature difference [K]": '"Process temperature [K]" - "Air temperature [K]"',
    "strain [minNm]": '"Tool wear [min]" * "Torque [Nm]"',
}
"""AI4I's failure mechanisms as its author documents them (Matzka 2020): power failure when the power (torque ×
angular speed) leaves 3500–9000 W, heat dissipation failure when process − air temperature < 8.6 K at low speed,
overstrain when tool wear × torque exceeds 11000–13000 minNm. Computed at each node from the declared readings."""

PRESETS: dict[str, dict[str, Any]] = {
    "ai4i": {
        "description": "AI4I 2020 split by product type L/M/H: machine failure (binary) from five process readings "
        "and three derived ones (power, temperature difference, strain); 5 rounds of 12 local epochs",
        "task": {
            "task": "classification",
            "target": AI4I_TARGET,
            "features": list(AI4I_FEATURES),
            "derived": dict(AI4I_DERIVED),
            "family": "mlp",
            "hidden": [128, 64],
            "local_epochs": 12,
            "learning_rate": 0.01,
            "batch_size": 128,
            "seed": 0,
            "test_fraction": 0.2,
            "split_key": "UDI",
        },
        "rounds": 5,
        "strategy": "fedavg",
        "metric": "auc",
    },
    "ai4i-plain": {
        "description": "the demo's first preset, kept as the baseline of the demo-time and accuracy comparisons: the "
        "five readings only, 10 rounds of 3 local epochs (federated ≈ type L alone)",
        "task": {
            "task": "classification",
            "target": AI4I_TARGET,
            "features": list(AI4I_FEATURES),
            "family": "mlp",
            "hidden": [64, 32],
            "local_epochs": 3,
            "learning_rate": 0.01,
            "batch_size": 128,
            "seed": 0,
            "test_fraction": 0.2,
            "split_key": "UDI",
        },
        "rounds": 10,
        "strategy": "fedavg",
        "metric": "auc",
    },
    "ai4i-logistic": {
        "description": "AI4I with the logistic family: fastest, explainable, but below the MLP (AUC ≈ 0.87) and not "
        "better than every local-only model (H alone scores about as well)",
        "task": {
            "task": "classification",
            "target": AI4I_TARGET,
            "features": list(AI4I_FEATURES),
            "family": "logistic",
            "local_epochs": 1,
            "learning_rate": 0.05,
            "batch_size": 64,
            "seed": 0,
            "test_fraction": 0.2,
            "split_key": "UDI",
        },
        "rounds": 10,
        "strategy": "fedavg",
        "metric": "auc",
    },
    "cmapss_fd001": {
        "description": "C-MAPSS FD001, 100 engines over 4 enterprises: remaining useful life (capped at 125 cycles)",
        "task": {
            "task": "regression",
            "target": "RUL",
            "features": CMAPSS_FEATURES,
            "family": "mlp",
            "hidden": [64, 32],
            "local_epochs": 5,
            "learning_rate": 0.003,
            "batch_size": 128,
            "seed": 0,
            "test_fraction": 0.2,
            "split_key": "unit",
        },
        "rounds": 10,
        "strategy": "fedavg",
        "metric": "rmse",
    },
}


def preset(name: str) -> dict[str, Any]:
    """A deep copy of the preset ``name``; a ResonanceError (``not_found``) lists the known ones."""
    if name not in PRESETS:
        raise ResonanceError(
            what=f"no learning preset {name!r}",
            where="presets",
            fix=f"use one of {', '.join(PRESETS)}",
            code="not_found",
            status=404,
        )
    return copy.deepcopy(PRESETS[name])
