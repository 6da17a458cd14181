"""A whole federation on one machine: the space (registry, REST API process, TLS SuperLink) and the enterprises'
nodes (node homes with their own data, SuperNode processes), all on 127.0.0.1.

The end-to-end demo and the integration tests build the same world with these functions. Each act is done the
way its owner would do it: nodes enrol, publish and fetch their contracts over HTTP with signed requests; the
operator approves nodes and authorises their SuperNode keys; consumer and provider take the contract
negotiation steps; the space runs the job. Rows stay in the node homes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from resonance.errors import ResonanceError
from resonance.federation import pki, superlink, supernode
from resonance.federation._procs import free_port
from resonance.node import contracts as node_contracts
from resonance.node.client import SpaceClient
from resonance.node.home import NodeHome
from resonance.registry.db import make_engine, make_sessionmaker, transaction, upgrade

CONSUMER = "model-co"
PURPOSE = "JS-MT-01"


@contextmanager
def space_home(home: Path) -> Iterator[None]:
    """Point this process's settings at ``home`` (the space key, the registry) for the duration."""
    from resonance.settings import get_settings

    before = os.environ.get("RESONANCE_HOME")
    os.environ["RESONANCE_HOME"] = str(home)
    get_settings.cache_clear()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("RESONANCE_HOME", None)
        else:
            os.environ["RESONANCE_HOME"] = before
        get_settings.cache_clear()


@dataclass
class World:
    home: Path
    database_url: str
    api_url: str = ""
    api: subprocess.Popen[bytes] | None = None
    link: superlink.SuperLink | None = None
    nodes: dict[str, NodeHome] = field(default_factory=dict)  # org -> node home
    datasets: dict[str, str] = field(default_factory=dict)  # org -> dataset code@version
    contracts: dict[str, int] = field(default_factory=dict)  # org (or "org:purpose" for others) -> contract id
    seeded: dict[str, int] = field(default_factory=dict)  # registry rows the example seed added, per concept
    _engine: Engine | None = None

    @property
    def sessions(self) -> sessionmaker[Session]:
        if self._engine is None:
            self._engine = make_engine(self.database_url)
        return make_sessionmaker(self._engine)

    @property
    def ca(self) -> Path:
        return pki.tls_dir(self.home) / "ca.pem"

    def node_id(self, org: str) -> str:
        return self.nodes[org].load().node_id

    def close(self) -> None:
        for home in self.nodes.values():
            supernode.stop(home.path)
        superlink.stop(self.home)
        if self.api is not None and self.api.poll() is None:
            self.api.terminate()
            try:
                self.api.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.api.kill()
        if self._engine is not None:
            self._engine.dispose()


def create(home: Path, *, seed: bool = True) -> World:
    """A fresh registry (migrated, seeded with the example province), the space key and the federation CA."""
    from resonance.demo.seed import seed as seed_registry
    from resonance.ledger.keys import ensure_space_key

    home.mkdir(parents=True, exist_ok=True)
    world = World(home=home, database_url=f"sqlite:///{home / 'registry.sqlite'}")
    upgrade(world.database_url)
    ensure_space_key(home)
    pki.ensure_ca(home)
    if seed:
        with transaction(world.sessions) as session:
            world.seeded = dict(seed_registry(session))
    return world


def start_space(world: World, timeout: float = 60) -> None:
    """The space's two processes: the REST API (for nodes and people) and the TLS SuperLink (for training)."""
    port = free_port()
    env = {**os.environ, "RESONANCE_HOME": str(world.home), "RESONANCE_DATABASE_URL": world.database_url}
    log = (world.home / "api.log").open("ab")
    world.api = subprocess.Popen(
        [str(Path(sys.executable).with_name("resonance")), "space", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    world.api_url = f"http://127.0.0.1:{port}"
    world.link = superlink.start(world.home)
    deadline = time.monotonic() + timeout
    while True:
        if world.api.poll() is not None:
            raise ResonanceError(
                what=f"the space API exited with {world.api.returncode}",
                where=str(world.home / "api.log"),
                fix="read the log",
            )
        try:
            if httpx.get(f"{world.api_url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise ResonanceError(what=f"the space API did not answer within {timeout:g} s", where=world.api_url)
        time.sleep(0.2)


def join(
    world: World,
    product_type: str,
    org: str,
    prepare: Callable[[NodeHome], tuple[dict[str, Any], dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """One enterprise joins: node home, enrolment over HTTP, the operator's approval (which authorises its
    SuperNode key), its data analysed where it lies and published as metadata. Returns the demo summary.

    ``prepare(node_home)`` puts other data at the node (see ``demo.nodes.register_local``); by default the
    enterprise holds the AI4I rows of ``product_type``."""
    from resonance import tokens
    from resonance.demo.nodes import prepare_dataset
    from resonance.registry import nodes

    with transaction(world.sessions) as session:
        _, secret = tokens.create_token(session, f"{org} node enrolment", "provider", org=org, expires_in_days=1)
    home = NodeHome(world.home / "nodes" / org)
    config = home.create(org=org, space_url=world.api_url, name=f"{org} 车间数据节点")
    with SpaceClient(home, token=secret) as client:
        client.enrol()
    with transaction(world.sessions) as session:  # the operator's decision
        nodes.decide(session, config.node_id, approve=True, by="demo operator")
    config.status = "approved"
    home.save(config)
    payload, summary = prepare(home) if prepare else prepare_dataset(home, product_type, org)
    with SpaceClient(home) as client:
        published = client.publish(payload)
    world.nodes[org] = home
    world.datasets[org] = summary["dataset"]
    return {"node": config.node_id, **summary, "published": published.get("dataset", summary["dataset"])}


def negotiate(
    world: World,
    org: str,
    *,
    consumer: str = CONSUMER,
    purpose: str = PURPOSE,
    max_rounds: int | None = 100,
    epsilon_budget: float | None = None,
    min_nodes: int = 2,
    days: int = 30,
) -> int:
    """Consumer and provider go through the Dataspace Protocol steps to FINALIZED; the node fetches the
    signed terms (its own copy is what it enforces). Returns the contract id."""
    from resonance.policy import contracts

    expires = datetime.now(UTC) + timedelta(days=days)
    with transaction(world.sessions) as session:
        contract = contracts.request(
            session,
            dataset=world.datasets[org],
            consumer=consumer,
            purpose=purpose,
            actor=f"{consumer} (demo)",
            max_rounds=max_rounds,
            epsilon_budget=epsilon_budget,
            min_nodes=min_nodes,
            expires_at=expires,
        )
        for step, party, actor in (
            ("offer", "provider", org),
            ("accept", "consumer", consumer),
            ("agree", "provider", org),
            ("verify", "consumer", consumer),
            ("finalize", "provider", org),
        ):
            contracts.transition(session, contract.id, step, party=party, actor=f"{actor} (demo)")
        contract_id = contract.id
    node_contracts.sync(world.nodes[org])
    world.contracts[org if purpose == PURPOSE else f"{org}:{purpose}"] = contract_id
    return contract_id


def start_nodes(world: World, timeout: float = 120, *, wait: bool = True) -> None:
    """Each enterprise's SuperNode, authenticated by its key, connects out to the SuperLink over TLS.

    With ``wait=False`` the processes are started and the call returns at once (the demo negotiates contracts
    meanwhile); ``wait_nodes`` then waits until all are online."""
    assert world.link is not None
    for home in world.nodes.values():
        if supernode.running(home.path) is None:
            supernode.start(home.path, world.link.address, world.ca)
    if wait:
        wait_nodes(world, timeout)


def wait_nodes(world: World, timeout: float = 120, poll: float = 0.25) -> None:
    """Until every node's SuperNode is online at the SuperLink. A SuperNode whose previous session the SuperLink
    still holds is refused activation and exits; it is started again until the SuperLink lets it in (or
    ``timeout``)."""
    assert world.link is not None
    deadline = time.monotonic() + timeout
    while True:
        for home in world.nodes.values():
            if supernode.running(home.path) is None:
                supernode.start(home.path, world.link.address, world.ca)
        alive = all(supernode.running(home.path) is not None for home in world.nodes.values())
        if alive and len(online(world)) >= len(world.nodes):
            return
        if time.monotonic() > deadline:
            raise ResonanceError(
                what=f"only {len(online(world))} of {len(world.nodes)} SuperNodes came online in {timeout:g} s",
                where=str(world.home / "federation" / "superlink.log"),
                fix="read the SuperLink and SuperNode logs",
            )
        time.sleep(poll)


def online(world: World) -> list[str]:
    return [n["node-id"] for n in superlink.status(world.home).nodes if n["status"] == "online"]


def train(
    world: World, spec: Any, *, on_event: Callable[[dict[str, Any]], None] | None = None, timeout: float = 900
) -> dict[str, Any]:
    """Submit the job (contracts and budgets checked, plan recorded) and run it to its end."""
    from resonance.federation import execution, jobs

    with transaction(world.sessions) as session:
        job, _ = jobs.submit(session, spec, actor=f"{spec.consumer} (demo)")
        job_id = job.id
    return execution.run(world.sessions, job_id, space_home=world.home, on_event=on_event, timeout=timeout)
