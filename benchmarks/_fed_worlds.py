"""The worlds the federation benchmark runs in, and the reference trainings it compares a job with.

Built with ``resonance.demo.world`` (registry, REST API and TLS SuperLink as processes; each enterprise's node
home with its own data and its SuperNode process), the same way the demo and the integration tests build
theirs. Call everything inside ``worlds.space_home(home)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from resonance.demo import world as worlds
from resonance.demo.nodes import ENTERPRISES, register_local, write_partition

ROUND_TIMEOUT_S = 600.0  # the machine is shared: a slow round is a figure, not a failure
CMAPSS_ORGS = ("E1", "E2", "E3", "E4")


def ai4i_world(home: Path, rounds: int) -> worlds.World:
    """Three enterprises (AI4I product types L, M, H), contracts for ``rounds`` rounds, SuperNodes online."""
    world = worlds.create(home)
    try:
        worlds.start_space(world)
        for product_type, org in ENTERPRISES:
            worlds.join(world, product_type, org)
        for _, org in ENTERPRISES:
            worlds.negotiate(world, org, max_rounds=max(100, rounds))
        worlds.start_nodes(world)
    except BaseException:
        world.close()
        raise
    return world


def ai4i_files(world: worlds.World) -> dict[str, Path]:
    """org → the CSV each AI4I node holds (as ``demo.nodes.prepare_dataset`` wrote it)."""
    return {org: world.nodes[org].path / "data" / f"ai4i_{t}.csv" for t, org in ENTERPRISES}


def add_ai4i_nodes(world: worlds.World, count: int) -> list[str]:
    """``count`` more enterprises holding the L, M, H rows again (SuperNodes for SecAgg+ with six nodes);
    their datasets get their own codes and contracts for JS-MT-01 (our SecAgg+ job runs on them too). Returns
    their orgs."""
    added = []
    for i in range(count):
        product_type = ENTERPRISES[i % len(ENTERPRISES)][0]
        org = f"mill-{product_type.lower()}{i // len(ENTERPRISES) + 2}"

        def prepare(home: Any, product_type: str = product_type, org: str = org) -> tuple[dict, dict]:
            data = home.path / "data" / f"ai4i_{product_type}.csv"
            write_partition(product_type, data)
            registry = _registry(f"ai4i-{product_type.lower()}-{org}", f"铣削加工过程故障数据集（{org}）")
            return register_local(home, org, data, registry, label_column="Machine failure")

        register_org(world, org, f"示例机床企业 {org}")
        worlds.join(world, product_type, org, prepare=prepare)
        worlds.negotiate(world, org)
        added.append(org)
    worlds.start_nodes(world)
    return added


def cmapss_world(home: Path, rounds: int) -> tuple[worlds.World, dict[str, Path]]:
    """Four enterprises E1..E4, each with 25 FD001 engines (``bundled.cmapss_parts(4)``) as a CSV in its node
    home, registered with ``register_local``; contracts for JS-MT-01; SuperNodes online."""
    from resonance.demo.bundled import cmapss_parts

    world = worlds.create(home)
    files: dict[str, Path] = {}
    try:
        worlds.start_space(world)
        for org, frame in cmapss_parts(len(CMAPSS_ORGS)).items():

            def prepare(node: Any, org: str = org, frame: Any = frame) -> tuple[dict, dict]:
                data = node.path / "data" / f"cmapss_fd001_{org.lower()}.csv"
                data.parent.mkdir(parents=True, exist_ok=True)
                frame.to_csv(data, index=False)
                files[org] = data
                registry = _registry(f"cmapss-fd001-{org.lower()}", f"涡扇发动机退化数据（{org}，FD001）")
                return register_local(node, org, data, registry, label_column="RUL")

            register_org(world, org, f"示例航空发动机运维企业 {org}")
            worlds.join(world, "", org, prepare=prepare)
        for org in files:
            worlds.negotiate(world, org, max_rounds=max(100, rounds))
        worlds.start_nodes(world)
    except BaseException:
        world.close()
        raise
    return world, files


def register_org(world: worlds.World, code: str, name_zh: str) -> None:
    """The operator registers an enterprise the example registry does not hold (a node enrols for a known org)."""
    from resonance.registry import services
    from resonance.registry.concepts import CONCEPTS
    from resonance.registry.db import transaction

    payload = {"code": code, "name_zh": name_zh, "entity": "jiangsu", "roles": ["数据企业", "制造企业"]}
    with transaction(world.sessions) as session:
        services.create(session, CONCEPTS["organisations"], payload, where=f"benchmark organisation {code}")


def job_spec(
    world: worlds.World, orgs: list[str], preset_name: str, rounds: int, name: str, *, secagg: bool = False
) -> Any:
    """A job over the datasets of ``orgs`` with the preset's task and strategy (SecAgg+ when ``secagg``)."""
    from resonance.demo.run import JOB_MODEL
    from resonance.federation.jobspec import parse_job
    from resonance.federation.learning.presets import preset

    chosen = preset(preset_name)
    return parse_job(
        {
            "name": name,
            "consumer": worlds.CONSUMER,
            "purpose": worlds.PURPOSE,
            "datasets": [world.datasets[org].split("@")[0] for org in orgs],
            "model": JOB_MODEL,
            "task": chosen["task"],
            "training": {
                "rounds": rounds,
                "min_nodes": 2,
                "strategy": chosen["strategy"],
                "round_timeout": ROUND_TIMEOUT_S,
                "secagg": secagg,
            },
        },
        where=f"benchmark job {name}",
    )


def references(
    files: dict[str, Path], task: dict[str, Any], rounds: int, world: worlds.World | None = None
) -> dict[str, Any]:
    """Centralized and each local-only model on the nodes' own CSVs (so the test rows are the job's), scored on
    the pooled test set: ``{"centralized": metrics, "local": {org: metrics}}``. Categorical vocabularies are
    built from ``world``'s published profiles, as the space builds them for the job."""
    from resonance.demo.run import published_profiles
    from resonance.federation.learning import baselines
    from resonance.federation.learning.data import load_local
    from resonance.federation.learning.encoding import with_vocabularies
    from resonance.federation.learning.spec import TaskSpec

    spec = TaskSpec.model_validate(with_vocabularies(task, published_profiles(world) if world else []))
    parts = [load_local(path, spec, name=org) for org, path in files.items()]
    central = baselines.centralized(parts, spec, rounds)
    alone = baselines.local_only(parts, spec, rounds)
    return {"centralized": central.metrics, "local": {o.name: o.metrics for o in alone}}


def _registry(code: str, name_zh: str) -> dict[str, Any]:
    return {
        "code": code,
        "version": "1",
        "kind": "common",
        "industry": "machine_tools",
        "category": "production",
        "licence": "CC BY 4.0",
        "name_zh": name_zh,
    }
