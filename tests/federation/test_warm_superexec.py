"""The warm SuperExec: a ClientApp task runs in a child forked from the warm process, which reaps it."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from flwr.supercore.constant import TaskType
from flwr.supercore.superexec.executor.types import ExecutionSpec, LaunchResultStatus

from resonance.federation import _warm_superexec as warm


def _spec(task_type: TaskType = TaskType.CLIENT_APP, task_id: int = 7) -> ExecutionSpec:
    return ExecutionSpec(
        task_type=task_type,
        runtime_api_address="127.0.0.1:1",
        token="tok-123",
        insecure=True,
        root_certificates_path=None,
        runtime_dependency_install=False,
        parent_pid=os.getpid(),
        suppress_output=True,
        task_id=task_id,
    )


def _reap_all(executor: warm.ForkExecutor, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while executor.children and time.monotonic() < deadline:
        executor.reconcile()
        time.sleep(0.05)


def test_a_clientapp_task_runs_in_a_forked_child_that_is_reaped(tmp_path: Path, monkeypatch) -> None:
    marker = tmp_path / "ran.txt"

    def fake_task(spec: ExecutionSpec, certificates: bytes | None) -> int:
        # runs in the child: it sees the parent's imports and the spec it was given
        marker.write_text(f"{os.getpid()} {os.getppid()} {spec.token} {spec.task_id} {'torch' in sys.modules}")
        return 0

    monkeypatch.setattr(warm, "_run_task", fake_task)
    import torch  # noqa: F401 - what the warm parent has imported, the child has too

    executor = warm.ForkExecutor()
    result = executor.launch(_spec())
    assert result.status == LaunchResultStatus.ACCEPTED
    assert len(executor.children) == 1
    child = next(iter(executor.children))
    _reap_all(executor)
    assert executor.children == set()
    pid, parent, token, task, has_torch = marker.read_text().split()
    assert int(pid) == child and int(parent) == os.getpid()
    assert (token, task, has_torch) == ("tok-123", "7", "True")
    with pytest.raises(ChildProcessError):  # reaped: no zombie left behind
        os.waitpid(child, os.WNOHANG)


@pytest.mark.parametrize(
    ("raised", "code"), [(SystemExit(0), 0), (SystemExit(3), 3), (SystemExit("bye"), 1), (RuntimeError("boom"), 1)]
)
def test_a_task_ends_with_an_exit_code_and_never_raises(monkeypatch, raised: BaseException, code: int) -> None:
    """flwr's run_clientapp ends every task with SystemExit; whatever it raises becomes the child's exit code."""
    import flwr.supernode.runtime.run_clientapp as runtime

    calls = []

    def fake_run_clientapp(**kwargs) -> None:
        calls.append(kwargs)
        raise raised

    monkeypatch.setattr(runtime, "run_clientapp", fake_run_clientapp)
    assert warm._run_task(_spec(task_id=8), b"PEM") == code
    assert calls[0]["token"] == "tok-123" and calls[0]["certificates"] == b"PEM"
    assert calls[0]["runtime_dependency_install"] is False


def test_server_tasks_fall_back_to_flwr_subprocess_executor(monkeypatch) -> None:
    launched = []
    executor = warm.ForkExecutor()
    monkeypatch.setattr(executor._fallback, "launch", lambda spec: launched.append(spec.task_type) or "sub")
    assert executor.launch(_spec(TaskType.SERVER_APP)) == "sub"
    assert launched == [TaskType.SERVER_APP] and executor.children == set()
