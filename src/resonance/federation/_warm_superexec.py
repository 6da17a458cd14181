"""``python -m resonance.federation._warm_superexec``: a node's SuperExec whose ClientApps start warm.

Why: flwr 1.41 runs every message a node handles in a fresh ``flwr-clientapp`` process (SuperExec's
``SubprocessExecutor``). Its imports — flwr, NumPy, pandas, DuckDB, PyTorch and our job code — cost about two CPU
seconds per message, three nodes on two cores pay them at the same time, and a SecAgg+ round is four messages.
On a loaded machine a round whose local fit takes 1.5 s took ~30 s. Flower has no local warm executor (its warm
pools are Kubernetes pods), so this process imports all of that once and forks a child per task. The child runs
flwr's own ``run_clientapp`` unchanged (Runtime API, task token, heartbeat, FAB check, our mods, error replies);
only the process start is replaced. The polling loop is flwr's ``run_superexec``; we hand it this executor.

Fork safety: the parent never runs a torch operation or opens a database, and imports nothing that starts a
thread of its own beyond NumPy's BLAS pool (which re-initialises itself after a fork); pandas/pyarrow are left
out for that reason (below). Each child builds its own Runtime API client. Children are reaped on
every poll (``reconcile``). The code a child runs is the code imported when the node started: restart the node
after upgrading Resonance Space (as with any long-running service).

The SuperNode runs with ``--isolation process`` (it then starts no SuperExec of its own); ``supernode.start`` has
``_fast_supernode`` start this process as its child, in the SuperNode's process group, so stopping the node stops
both (and this process also watches its parent).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from flwr.supercore.constant import TaskType
from flwr.supercore.superexec import run_superexec as superexec_loop
from flwr.supercore.superexec.executor.subprocess_executor import SubprocessExecutor
from flwr.supercore.superexec.executor.types import ExecutionSpec, LaunchResult

# What a ClientApp of ours imports; loaded once here so that every forked child finds them in sys.modules.
# Not pandas/pyarrow or DuckDB, as a precaution: pyarrow starts jemalloc's background thread at import, and a child
# forked while another thread holds a lock inherits it locked. A node needs them only for its first message of a
# job (reading its source into the per-job cache).
PRELOAD = (
    "torch",
    "flwr.supernode.runtime.run_clientapp",
    "resonance.federation.client_app",
    "resonance.federation.learning.families.mlp",
)


class ForkExecutor:
    """Run each ClientApp task in a child forked from this warm process; anything else as flwr would."""

    def __init__(self) -> None:
        self.children: set[int] = set()
        self._fallback = SubprocessExecutor()

    def get_eligible_capacity(
        self,
        supported_task_types: set[TaskType],
        *,
        insecure: bool = False,
        root_certificates_path: str | None = None,
    ) -> tuple[set[TaskType], set[str]]:
        del insecure, root_certificates_path
        return supported_task_types, set()

    def wait_for_capacity(self, task_type: TaskType | None = None, **_: object) -> None:
        """Forks have no capacity gate."""

    def launch(self, spec: ExecutionSpec) -> LaunchResult:
        if spec.task_type != TaskType.CLIENT_APP:
            return self._fallback.launch(spec)
        certificates = Path(spec.root_certificates_path).read_bytes() if spec.root_certificates_path else None
        pid = os.fork()
        if pid == 0:  # the child: run one task, then leave without running the parent's exit handlers
            os._exit(_run_task(spec, certificates))
        self.children.add(pid)
        return LaunchResult.accepted()

    def reconcile(self) -> None:
        """Reap the children that have finished (no zombies)."""
        for pid in list(self.children):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                self.children.discard(pid)

    def close(self) -> None:
        """Children end with their task; each also watches this process and stops if it dies."""


def _run_task(spec: ExecutionSpec, certificates: bytes | None) -> int:
    from flwr.supercore import log
    from flwr.supernode.runtime.run_clientapp import run_clientapp

    # the same words as flwr's own entry point, so that logs (and whoever reads them) see each message start
    log(logging.INFO, "Start `flwr-clientapp` process (forked from the warm SuperExec, task %d)", spec.task_id)
    try:
        run_clientapp(
            runtime_api_address=spec.runtime_api_address,
            token=spec.token,
            insecure=spec.insecure,
            certificates=certificates,
            parent_pid=spec.parent_pid,
            runtime_dependency_install=spec.runtime_dependency_install,
        )
    except SystemExit as exit_:  # flwr_exit ends every task this way
        return exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:  # a child must never return into the parent's loop
        traceback.print_exc()
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return 0


def preload() -> None:
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m resonance.federation._warm_superexec")
    parser.add_argument("--runtime-api-address", required=True, help="the SuperNode's local API, host:port")
    parser.add_argument("--parent-pid", type=int, help="stop when this process (the SuperNode) ends")
    parser.add_argument("--insecure", action="store_true", help="the local API is plain HTTP (loopback only)")
    parser.add_argument("--root-certificates", help="CA of the local API when it serves HTTPS")
    args = parser.parse_args(argv)
    preload()
    executor = ForkExecutor()
    superexec_loop.get_executor = lambda *_a, **_k: executor  # flwr's loop, our executor (see module docstring)
    superexec_loop.run_superexec(
        runtime_api_address=args.runtime_api_address,
        insecure=args.insecure,
        root_certificates_path=args.root_certificates,
        parent_pid=args.parent_pid,
        runtime_dependency_install=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
