"""A provider registers GBK data at its node, analyses it there, confirms the grade and publishes to a real space
process. Every byte the node sends is captured: no suppressed value, no raw row and no local path is in them."""

from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path

import httpx

from _server import RESONANCE, running_space
from resonance import tokens
from resonance.node import catalog, pipeline
from resonance.node.client import SpaceClient
from resonance.node.home import NodeHome
from resonance.registry import services
from resonance.registry.concepts import CONCEPTS
from resonance.registry.db import transaction

RARE = "罕见供应商甲"  # seen twice: below k = 5, must never be published


class Recording(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[bytes] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request.method.encode() + b" " + str(request.url).encode() + b"\n" + request.read())
        return super().handle_request(request)


def _write_data(path: Path) -> list[str]:
    rng = random.Random(3)
    lines, rows = ["编号,机床类型,供应商,主轴转速,扭矩,刀具磨损,联系电话,故障"], []
    for i in range(600):
        supplier = RARE if i in (10, 400) else rng.choice(["苏锡机床", "常州数控", "南通装备"])
        row = (
            f"{i + 1},{rng.choice('LMH')},{supplier},{rng.randint(1200, 2800)},{rng.uniform(20, 70):.3f},"
            f"{rng.randint(0, 250)},1{rng.choice('3589')}{rng.randint(100000000, 999999999)},{int(rng.random() < 0.05)}"
        )
        lines.append(row)
        rows.append(row)
    path.write_bytes(("\n".join(lines) + "\n").encode("gbk"))
    return rows


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(RESONANCE), *args], env=env, capture_output=True, text=True, timeout=300)


def test_publish_sends_metadata_only(sqlite_registry, tmp_path):
    with transaction(sqlite_registry.sessions) as s:
        services.create(s, CONCEPTS["organisations"], {"code": "mill-l", "name_zh": "苏锡精密机床有限公司"})
        _, provider = tokens.create_token(s, "mill provider", "provider", org="mill-l")
    data = tmp_path / "secret-folder" / "加工记录.csv"
    data.parent.mkdir()
    rows = _write_data(data)
    home = tmp_path / "node"
    env = {
        **os.environ,
        "RESONANCE_HOME": str(tmp_path / "h"),
        "RESONANCE_DATABASE_URL": sqlite_registry.url,
        "RESONANCE_NODE_HOME": str(home),
    }
    with running_space(sqlite_registry.url, tmp_path / "space") as base:
        made = _cli("node", "init", "--space", base, "--org", "mill-l", "--token", provider, "--json", env=env)
        assert made.returncode == 0, made.stderr
        node_id = json.loads(made.stdout)["node_id"]
        added = _cli(
            "data",
            "add",
            str(data),
            "--code",
            "mill-log",
            "--name-zh",
            "铣削加工记录",
            "--kind",
            "行业通识",
            "--industry",
            "工业母机",
            "--category",
            "生产运行",
            "--label",
            "故障",
            "--json",
            env=env,
        )
        assert added.returncode == 0, added.stderr
        summary = json.loads(added.stdout)
        assert summary["rows"] == 600 and summary["sensitivity_level"] in ("important", "general")

        refused = _cli("data", "publish", "mill-log", env=env)
        assert refused.returncode == 1 and "confirm-grade" in refused.stderr  # the officer has not confirmed yet

        assert _cli("data", "confirm-grade", "mill-log", "--officer", "王工", env=env).returncode == 0
        early = _cli("data", "publish", "mill-log", env=env)
        assert early.returncode == 1 and "waiting for the operator" in early.stderr

        assert _cli("space", "nodes", "approve", node_id, env=env).returncode == 0

        recorder = Recording()
        node_home = NodeHome(home)
        session = catalog.open_catalog(node_home.catalog_url)()
        row = catalog.get(session, "mill-log")
        payload = pipeline.publish_payload(
            row.registry_fields,
            fingerprint=row.fingerprint,
            profile_dict=row.profile,
            quality=row.quality,
            decision=row.grade_decision,
            card=row.card,
            sensitivity=row.sensitivity or [],
        )
        with SpaceClient(node_home, transport=recorder) as client:
            reply = client.publish(payload)
        session.close()
        assert reply["owner"] == "mill-l" and reply["status"] == "published" and reply["row_count"] == 600

        published = _cli("dataset", "show", "mill-log", "--json", env=env)
        assert json.loads(published.stdout)["node_id"] == node_id

    sent = b"".join(recorder.sent)
    text = sent.decode("utf-8")
    assert RARE not in text
    assert str(data) not in text and "secret-folder" not in text and "加工记录.csv" not in text
    for raw in rows:
        assert raw not in text
        for cell in raw.split(",")[3:7]:  # speeds, torques (3 decimals), wear and phone numbers of single rows
            if len(cell) >= 7:
                assert cell not in text, cell
    assert "苏锡机床" in text  # a value seen many times may be published (top values)
