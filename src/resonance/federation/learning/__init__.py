"""The learning layer of federated training: task specs, local data, alignment, model families, metrics,
differential privacy and reference trainings. Plain numpy/torch, no Flower: the ServerApp and ClientApp call
these functions inside Flower messages, and the tests call them in-process.

    spec = TaskSpec(**preset("ai4i")["task"])
    data = load_local("ai4i_L.csv", spec)                       # at the node; rows stay here
    stats = local_stats(data.train_X, data.train_y, spec)      # aggregates that may leave the node
    standardiser = combine_stats([stats, ...])                  # at the server
    family = get_family(spec)
    arrays = family.init(len(spec.features), spec, standardiser)
    arrays, info = family.fit(arrays, standardiser.apply(data.train_X), data.train_y, spec)
    merged = merge_evaluations([family.evaluate(arrays, standardiser.apply(d.test_X), d.test_y, spec), ...])
"""

from resonance.federation.learning.alignment import (
    Standardiser,
    combine_stats,
    local_stats,
    one_hot,
    vocabulary_from_profiles,
)
from resonance.federation.learning.data import LocalData, load_local
from resonance.federation.learning.dp import epsilon_spent, privatise, privatise_arrays
from resonance.federation.learning.families import Family, get_family
from resonance.federation.learning.metrics import merge_evaluations
from resonance.federation.learning.presets import PRESETS, preset
from resonance.federation.learning.spec import TaskSpec, parse_spec

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
