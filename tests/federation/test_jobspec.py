"""JOB.toml: a valid job parses; every kind of bad file is refused with where and how to fix it."""

from __future__ import annotations

from pathlib import Path

import pytest

from resonance.errors import ResonanceError
from resonance.federation.jobspec import load_job, parse_job

GOOD = """
name = "铣削加工故障预测（联邦）"
consumer = "model-co"
purpose = "machine-tool-failure"
datasets = ["ai4i-l", "ai4i-m", "ai4i-h"]

[model]
code = "mt-failure"
name_zh = "机床故障预测行业模型"
industry = "machine_tools"

[task]
task = "classification"
target = "Machine failure"
features = ["Air temperature [K]", "Torque [Nm]"]
family = "logistic"

[training]
rounds = 5
min_nodes = 2
"""


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "JOB.toml"
    path.write_bytes(text.encode(encoding))
    return path


def test_a_good_job_parses_with_defaults(tmp_path: Path) -> None:
    spec = load_job(write(tmp_path, GOOD))
    assert spec.datasets == ["ai4i-l", "ai4i-m", "ai4i-h"]
    assert spec.training.rounds == 5 and spec.training.strategy == "fedavg" and not spec.training.secagg
    assert spec.model.kind == "industry" and spec.privacy is None
    assert spec.as_dict()["task"]["target"] == "Machine failure"


def test_missing_file_and_gbk_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ResonanceError, match="does not exist"):
        load_job(tmp_path / "nope.toml")
    with pytest.raises(ResonanceError, match="not UTF-8") as info:
        load_job(write(tmp_path, GOOD, encoding="gbk"))
    assert "iconv" in info.value.fix
    with pytest.raises(ResonanceError, match="not valid TOML"):
        load_job(write(tmp_path, GOOD + "\n[training\n"))


@pytest.mark.parametrize(
    ("patch", "where", "message"),
    [
        (("rounds = 5", "rounds = 0"), "training.rounds", "greater than or equal to 1"),
        (("rounds = 5", "rounds = 99999999"), "training.rounds", "less than or equal to 1000"),
        (("rounds = 5", 'rounds = "five"'), "training.rounds", "valid integer"),
        (("min_nodes = 2", "min_nodes = 4"), "(top level)", "only 3 datasets"),
        (('"ai4i-h"]', '"ai4i-l"]'), "(top level)", "same dataset twice"),
        (('name_zh = "机床故障预测行业模型"\n', ""), "model.name_zh", "Field required"),
        (("[training]", '[training]\nstrategy = "fedprox"'), "(top level)", "proximal_mu"),
        (("[training]", "[training]\nlearning_rte = 1"), "training.learning_rte", "Extra inputs"),
    ],
)
def test_bad_fields_are_named(tmp_path: Path, patch: tuple[str, str], where: str, message: str) -> None:
    with pytest.raises(ResonanceError) as info:
        load_job(write(tmp_path, GOOD.replace(*patch, 1)))
    assert any(where in p.where and message in p.what for p in info.value.problems), info.value.problems
    assert "nothing was recorded" in info.value.fix


def test_task_errors_name_the_task_field(tmp_path: Path) -> None:
    with pytest.raises(ResonanceError) as info:
        load_job(write(tmp_path, GOOD.replace('family = "logistic"', 'family = "linear"')))
    assert info.value.problems[0].where.endswith("task")
    assert "cannot learn a classification task" in info.value.problems[0].what


def test_privacy_section_is_checked(tmp_path: Path) -> None:
    spec = parse_job(
        {**_dict(tmp_path), "privacy": {"noise_multiplier": 1.1, "clip": 0.5}},
    )
    assert spec.privacy is not None and spec.privacy.delta == 1e-5
    with pytest.raises(ResonanceError) as info:
        parse_job({**_dict(tmp_path), "privacy": {"noise_multiplier": -1}})
    assert info.value.problems[0].where.endswith("privacy.noise_multiplier")


def _dict(tmp_path: Path) -> dict:
    import tomllib

    return tomllib.loads(GOOD)
