"""The learning layer of federated training: task specs, local data, alignment, model families, metrics,
differential privacy and reference trainings. Plain numpy/torch, no Flower: the ServerApp and ClientApp call
these functions inside Flower messages, and the tests call them in-process.

    spec = TaskSpec(**preset("ai4i")["task"])
    data = load_local("ai4i_L.csv", spec)                       # at the node; rows stay here
    stats = local_stats(data.train_X, data.train_y, spec)      # aggregates that may leave the node
    standardiser = combine_stats([stats, ...])                  # at the server
    family = get_family(spec)
    arrays = family.init(spec.n_inputs, spec, standardiser)
    arrays, info = family.fit(arrays, standardiser.apply(data.train_X), data.train_y, spec)
    merged = merge_evaluations([family.evaluate(arrays, standardiser.apply(d.test_X), d.test_y, spec), ...])
"""

import importlib
from typing import Any

# Exports are loaded on first use: a node's ClientApp (a fresh process for every Flower message) imports only
# what it needs, not pandas, DuckDB or the bundled data behind ``load_local`` and the presets.
_EXPORTS = {
    "Standardiser": "alignment",
    "combine_stats": "alignment",
    "local_stats": "alignment",
    "one_hot": "alignment",
    "vocabulary_from_profiles": "alignment",
    "LocalData": "data",
    "load_local": "data",
    "epsilon_spent": "dp",
    "privatise": "dp",
    "privatise_arrays": "dp",
    "Family": "families",
    "get_family": "families",
    "merge_evaluations": "metrics",
    "PRESETS": "presets",
    "preset": "presets",
    "TaskSpec": "spec",
    "parse_spec": "spec",
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)


__all__ = [
    "PRESETS",
    "Family",
    "LocalData",
    "Standardiser",
    "TaskSpec",
    "combine_stats",
    "epsilon_spent",
    "get_family",
    "load_local",
    "local_stats",
    "merge_evaluations",
    "one_hot",
    "parse_spec",
    "preset",
    "privatise",
    "privatise_arrays",
    "vocabulary_from_profiles",
]
