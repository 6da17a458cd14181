"""The federation benchmark's pieces: CLI, bare Flower app, round-time parsing, verdicts (no processes)."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(autouse=True)
def _bench_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # appended, not prepended: benchmarks/profile.py must not shadow the standard library's profile
    monkeypatch.setattr(sys, "path", [*sys.path, str(BENCH), str(BENCH / "bare_fedavg")])


def test_help_lists_the_options() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH / "federation.py"), "--help"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    for option in ("--rounds", "--quick", "--json", "--timing-rounds", "--skip-secagg"):
        assert option in proc.stdout


@pytest.mark.parametrize(
    "argv",
    [
        ["--rounds", "2"],
        ["--timing-rounds", "1"],
        ["--rounds", "ten"],
        ["--nope"],
        ["--secagg-nodes", "2,6"],
        ["--secagg-nodes", "three"],
        ["--only", "mnist"],
    ],
)
def test_bad_arguments_are_refused(argv: list[str]) -> None:
    import federation

    with pytest.raises(SystemExit) as exc:
        federation.parse_args(argv)
    assert exc.value.code == 2


def test_quick_caps_the_rounds() -> None:
    import federation

    args = federation.parse_args(["--quick", "--rounds", "10"])
    assert (args.rounds, args.timing_rounds, args.secagg_nodes) == (3, 3, [3])
    assert federation.parse_args(["--secagg-nodes", "6,3"]).secagg_nodes == [3, 6]


def test_bare_app_imports_and_declares_every_key_the_benchmark_sends() -> None:
    from barefed import client, server
    from flwr.clientapp import ClientApp
    from flwr.serverapp import ServerApp

    assert isinstance(server.app, ServerApp)
    assert isinstance(client.app, ClientApp)
    declared = tomllib.loads((BENCH / "bare_fedavg" / "pyproject.toml").read_text())["tool"]["flwr"]["app"]
    assert declared["components"] == {"serverapp": "barefed.server:app", "clientapp": "barefed.client:app"}
    sent = {"workflow", "task", "num-rounds", "min-nodes", "fast-grid", "num-shares", "threshold", "out"}
    assert sent <= set(declared["config"])


@pytest.mark.parametrize("preset_name", ["ai4i", "cmapss_fd001"])
def test_bare_client_reads_the_same_rows_as_load_local(tmp_path: Path, preset_name: str) -> None:
    from barefed.client import read_rows

    from resonance.demo.bundled import ai4i_parts, cmapss_parts
    from resonance.federation.learning.data import load_local
    from resonance.federation.learning.presets import preset
    from resonance.federation.learning.spec import TaskSpec

    frame = ai4i_parts()["M"] if preset_name == "ai4i" else cmapss_parts(4)["E2"]
    path = tmp_path / "part.csv"
    frame.to_csv(path, index=False)
    task = preset(preset_name)["task"]
    task.pop("derived", None)  # the bare app gets the declared numeric features only (federation._bare_task)
    spec = TaskSpec.model_validate(task)
    ours = load_local(path, spec)
    train_X, train_y, test_X, test_y = read_rows(path, spec.model_dump())
    assert len(test_y) > 0
    np.testing.assert_array_equal(train_X, ours.train_X)
    np.testing.assert_array_equal(train_y, ours.train_y)
    np.testing.assert_array_equal(test_X, ours.test_X)
    np.testing.assert_array_equal(test_y, ours.test_y)


def test_our_round_seconds_skip_the_final_evaluation(tmp_path: Path) -> None:
    from _fed_timing import our_round_seconds

    events = [
        {"event": "admitted", "t": 0.5},
        {"event": "round", "round": 0, "t": 2.0},
        {"event": "round", "round": 1, "t": 5.0},
        {"event": "dropped", "t": 5.5},
        {"event": "round", "round": 2, "t": 9.0},
        {"event": "round", "round": 3, "t": 10.0},  # the evaluate-only round trip
        {"event": "ended", "t": 10.1},
    ]
    progress = tmp_path / "progress.jsonl"
    progress.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    assert our_round_seconds(progress) == [3.0, 4.0]


def test_run_bare_refuses_a_used_folder(tmp_path: Path) -> None:
    from _fed_timing import run_bare

    from resonance.errors import ResonanceError

    with pytest.raises(ResonanceError, match="exists"):
        run_bare(tmp_path, tmp_path, task={})


def test_accuracy_verdicts_orient_rmse_and_name_the_failures() -> None:
    from _fed_report import accuracy, secagg, timing

    good = accuracy("regression", {"rmse": 20.0}, {"rmse": 19.9}, {"E1": {"rmse": 25.0}, "E2": {"rmse": 21.0}})
    assert good["met"] and good["verdict"] == "PASS"
    assert good["ratio_to_centralized"] == pytest.approx(0.995)
    bad = accuracy("classification", {"auc": 0.90}, {"auc": 0.95}, {"L": {"auc": 0.91}, "M": {"auc": 0.80}})
    assert not bad["met"]
    assert "× centralized" in bad["verdict"] and "L alone" in bad["verdict"] and "M alone" not in bad["verdict"]
    assert timing(6.0, 5.0, 5.0)["ratio"] == pytest.approx(1.2) and timing(6.0, 5.0, 5.0)["met"]
    assert not timing(7.0, 5.0, 5.0)["met"]
    assert secagg(4.0, 9.0)["verdict"].startswith("FAIL")
