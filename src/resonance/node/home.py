"""A node's home directory: its identity (Ed25519 key), its settings, its local catalog and scratch space.

Layout (default ``~/.resonance/node``, or ``RESONANCE_NODE_HOME``, or ``--home``)::

    node.toml          node id, organisation, space URL, enrolment status
    keys/node.key      Ed25519 private key (0600); keys/node.pub the public key
    catalog.sqlite     local catalog: where each dataset lies (paths and credentials stay here)
    work/              scratch files (transcoded sources), removed after use
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from resonance.errors import ResonanceError
from resonance.node import keys
from resonance.settings import get_settings


def default_node_home() -> Path:
    env = os.environ.get("RESONANCE_NODE_HOME")
    return Path(env) if env else get_settings().home / "node"


@dataclass
class NodeConfig:
    node_id: str
    org: str
    space_url: str
    name: str = ""
    status: str = "pending"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class NodeHome:
    path: Path

    @property
    def config_path(self) -> Path:
        return self.path / "node.toml"

    @property
    def key_path(self) -> Path:
        return self.path / "keys" / "node.key"

    @property
    def catalog_url(self) -> str:
        return f"sqlite:///{self.path / 'catalog.sqlite'}"

    @property
    def workdir(self) -> Path:
        work = self.path / "work"
        work.mkdir(parents=True, exist_ok=True)
        return work

    def exists(self) -> bool:
        return self.config_path.is_file()

    def create(self, org: str, space_url: str, name: str = "", force: bool = False) -> NodeConfig:
        """Make the home and a fresh key pair; refuses to overwrite an existing node unless ``force``."""
        if self.exists() and not force:
            raise ResonanceError(
                what=f"a node already lives in {self.path}",
                fix="use it (`resonance node status`), pass another --home, or --force to replace it",
            )
        if force and self.key_path.exists():
            self.key_path.unlink()
            self.key_path.with_suffix(".pub").unlink(missing_ok=True)
        self.path.mkdir(parents=True, exist_ok=True)
        os.chmod(self.path, 0o700)
        public = keys.generate(self.key_path)
        from resonance.registry.nodes import node_id_for

        config = NodeConfig(node_id=node_id_for(public), org=org, space_url=space_url.rstrip("/"), name=name)
        self.save(config)
        return config

    def load(self) -> NodeConfig:
        if not self.exists():
            raise ResonanceError(
                what=f"no node in {self.path}", fix="create one with `resonance node init --space URL --org ORG`"
            )
        data = tomllib.loads(self.config_path.read_text(encoding="utf-8")).get("node", {})
        try:
            return NodeConfig(**data)
        except TypeError as exc:
            raise ResonanceError(
                what=f"{self.config_path} is damaged: {exc}",
                fix="restore it, or re-create the node with `resonance node init --force`",
            ) from None

    def save(self, config: NodeConfig) -> None:
        lines = ["[node]"]
        for key, value in asdict(config).items():
            if key == "extra":
                continue
            lines.append(f"{key} = {_toml_string(str(value))}")
        self.config_path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def private_key(self) -> Ed25519PrivateKey:
        return keys.load_private(self.key_path)

    def public_key(self) -> str:
        return keys.public_key_b64(self.private_key().public_key())


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
