from __future__ import annotations

import pytest

from resonance.demo.bundled import cmapss_constant_columns, cmapss_fd001_train
from resonance.errors import ResonanceError
from resonance.federation.learning import PRESETS, TaskSpec, preset


def test_every_preset_is_a_valid_task():
    for name, entry in PRESETS.items():
        spec = TaskSpec(**entry["task"])
        assert entry["rounds"] >= 1 and entry["strategy"] in {"fedavg", "fedprox"}, name
        assert entry["metric"] == ("auc" if spec.task == "classification" else "rmse")


def test_cmapss_features_leave_out_the_constant_sensors():
    features = preset("cmapss_fd001")["task"]["features"]
    constant = set(cmapss_constant_columns(cmapss_fd001_train()))
    assert len(features) == 14 and constant.isdisjoint(features)
    assert set(features) | constant | {"setting_1", "setting_2"} == {c for c in cmapss_fd001_train() if c[0] == "s"}


def test_preset_is_a_copy_and_unknown_is_refused():
    first = preset("ai4i")
    first["task"]["features"].append("x")
    assert "x" not in preset("ai4i")["task"]["features"]
    with pytest.raises(ResonanceError, match="no learning preset 'mnist'"):
        preset("mnist")
