"""Filing facts, the 重要数据目录 table and the offer check through the real CLI, on a node without a space."""

from __future__ import annotations

import csv
import json
import os
import subprocess
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from _server import RESONANCE
from resonance.node import catalog
from resonance.node.home import NodeHome


def _cli(*args, env):
    return subprocess.run([str(RESONANCE), *args], env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def node(tmp_path):
    home = NodeHome(tmp_path / "node")
    home.create(org="mill-l", space_url="http://127.0.0.1:9")  # no space needed for local work
    data = tmp_path / "people.csv"
    lines = ["工号,姓名,手机号,身份证号,班次"]
    ids = ["11010519491231002X", "440524188001010014", "110101199003070011", "110101199003078734"]
    for i in range(400):
        lines.append(f"{i},张{i % 50},139{i:08d},{ids[i % 4]},{'早中夜'[i % 3]}")
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {**os.environ, "RESONANCE_NODE_HOME": str(home.path), "RESONANCE_HOME": str(tmp_path / "h")}
    added = _cli(
        "data",
        "add",
        str(data),
        "--code",
        "staff",
        "--name-zh",
        "员工班次",
        "--kind",
        "common",
        "--industry",
        "steel",
        "--category",
        "管理",
        "--json",
        env=env,
    )
    assert added.returncode == 0, added.stderr
    return home, env, json.loads(added.stdout)


def test_personal_data_is_flagged_and_the_offer_gate_follows_the_confirmed_level(node, tmp_path):
    home, env, summary = node
    assert summary["sensitivity_level"] == "general"  # 400 people: below the rules' scale thresholds
    with catalog.open_catalog(home.catalog_url)() as s:
        scans = {c["column"]: c for c in catalog.get(s, "staff").sensitivity}
    assert scans["手机号"]["pii"] and "mobile" in scans["手机号"]["flagged_kinds"]
    assert "person_name" in scans["姓名"]["flagged_kinds"] and not scans["班次"]["pii"]

    unconfirmed = _cli("data", "offer-check", "staff", env=env)
    assert unconfirmed.returncode == 1 and "confirm-grade" in unconfirmed.stderr
    nobody = _cli("data", "confirm-grade", "staff", "--officer", " ", env=env)
    assert nobody.returncode == 1 and "officer" in nobody.stderr
    # the officer raises the level (就高从严): no justification needed to go up
    assert _cli("data", "confirm-grade", "staff", "--officer", "李安全", "--level", "重要", env=env).returncode == 0

    refused = _cli("data", "offer-check", "staff", "--json", env=env)
    assert refused.returncode == 1 and json.loads(refused.stdout)["allowed"] is False
    old = (date.today() - timedelta(days=400)).isoformat()
    assert (
        _cli(
            "data",
            "filing",
            "staff",
            "--reference",
            "苏工信备〔2026〕17号",
            "--risk-assessed-on",
            old,
            "--purpose",
            "排班优化模型联合训练",
            env=env,
        ).returncode
        == 0
    )
    assert json.loads(_cli("data", "offer-check", "staff", "--json", env=env).stdout)["allowed"] is False
    recent = (date.today() - timedelta(days=30)).isoformat()
    assert _cli("data", "filing", "staff", "--risk-assessed-on", recent, env=env).returncode == 0
    assert json.loads(_cli("data", "offer-check", "staff", "--json", env=env).stdout)["allowed"] is True

    bad = _cli("data", "filing", "staff", "--risk-assessed-on", "yesterday", env=env)
    assert bad.returncode == 1 and "risk_assessed_on" in bad.stderr

    xlsx, csv_out = tmp_path / "备案.xlsx", tmp_path / "备案.csv"
    assert _cli("data", "filing-table", "--out", str(xlsx), env=env).returncode == 0
    assert _cli("data", "filing-table", "--out", str(csv_out), env=env).returncode == 0
    sheet = load_workbook(xlsx).active
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert header[:4] == ["数据集编码", "数据来源", "类别", "级别"]
    assert (row["数据集编码"], row["级别"], row["类别"], row["备案编号"]) == (
        "staff@1",
        "重要",
        "管理",
        "苏工信备〔2026〕17号",
    )
    assert row["规模"].startswith("400 条记录")
    with csv_out.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["处理目的和方式"] for r in rows] == ["排班优化模型联合训练"]
    text = xlsx.read_bytes() + csv_out.read_bytes()
    assert b"13900000007" not in text  # the table describes the data, never contains it
