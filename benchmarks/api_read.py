"""Read throughput and latency of the REST API on PostgreSQL, against a bare FastAPI endpoint in the same server.

What is measured against what
    The list and search endpoints of ``/api/v1/datasets`` (bearer-token auth, one transaction per request,
    COUNT + page query, references shown by code, the read schema, the response model) over 100,000
    datasets, compared with ``GET /bare/datasets``: an ``async`` FastAPI route of the *same* app, served by
    the *same* uvicorn process and event loop, that returns from memory the exact bytes of a real page
    (``page_size=50``) captured from the real endpoint at start-up. Throughput is reported as a ratio to
    the bare route's (measured first and again last; the mean is the reference), so that the figures do not
    depend on how fast or how busy the machine is. Goals: ratio >= 0.5 and p99 < 50 ms, no errors.

How
    1. A fresh PostgreSQL database with a unique name (dropped at the end, also on Ctrl-C or SIGTERM) is
       migrated with ``upgrade(url)``; two action entities, twelve organisations and an operator token are
       created through the services; 100,000 datasets (Chinese names from industry words + topic + 数据集
       type, kind / industry / status / owner variety) and their search terms
       (``search.document_terms`` of the same fields the services index) are bulk-loaded with COPY, then
       ``VACUUM ANALYZE``.
    2. One uvicorn server process (1 worker, no access log, uvicorn's default loop and HTTP parser) serves
       ``server_app()``: ``create_app(url)`` plus the bare route.
    3. This process is the load generator: N keep-alive HTTP/1.1 connections on loopback (a minimal asyncio
       client by default: httpx spends about 40 times more CPU per request, 1.7 ms against 0.04 ms, and on
       two shared cores it would become the bottleneck of the bare route; ``--client httpx`` uses it
       anyway), each sending one request after the other, for a warm-up and then a fixed measured window.
       Only requests that start and end inside the window count; requests and time are both bounded.
    4. Per scenario: requests, req/s, p50 / p95 / p99, errors, ratio to bare; and the CPU time per request
       of the server process, of the PostgreSQL backends serving it and of the load generator, which say
       where the time goes whatever else the machine is doing. "get one dataset" is shown for scale only.
    5. ``--profile DIR`` also records the server with py-spy (samples of the thread holding the GIL) and
       prints, per scenario, which lines of list_page, to_read, FastAPI and the event loop take the time.

Run from the repository root (PostgreSQL at 127.0.0.1:5432, as for the tests)::

    .venv/bin/python benchmarks/api_read.py                       # 100,000 rows, 20 clients, 10 s each
    .venv/bin/python benchmarks/api_read.py --rows 5000 --duration 3 --json out.json
    .venv/bin/python benchmarks/api_read.py --profile prof/       # py-spy per scenario (slower; figures not comparable)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import platform
import random
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Awaitable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
import psycopg
from _pg import DEFAULT_ADMIN_URL, backend_pids, conninfo, cpu_seconds, scratch_database, sqlalchemy_url
from fastapi import APIRouter, FastAPI, Request, Response

HERE = Path(__file__).resolve().parent
ENV_URL = "RESONANCE_BENCH_DATABASE_URL"
HOST = "127.0.0.1"
PAGE_SIZE = 50
MIN_RATIO = 0.5
MAX_P99_MS = 50.0

# --- the server ---------------------------------------------------------------------------------------


def server_app() -> FastAPI:
    """The real API over ``$RESONANCE_BENCH_DATABASE_URL`` plus the bare route (uvicorn ``--factory`` target).

    ``PUT /bare/datasets`` stores the body that ``GET /bare/datasets`` then returns, byte for byte: the
    benchmark puts there a real page it has just read from ``/api/v1/datasets``.
    """
    from resonance.api.app import create_app

    app = create_app(os.environ[ENV_URL])
    app.state.bare_body = b"{}"
    bare = APIRouter(include_in_schema=False)

    @bare.get("/bare/datasets")
    async def bare_page() -> Response:
        return Response(app.state.bare_body, media_type="application/json")

    @bare.put("/bare/datasets", status_code=204)
    async def set_bare_page(request: Request) -> Response:
        app.state.bare_body = await request.body()
        return Response(status_code=204)

    app.include_router(bare)
    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "api_read:server_app",
        "--app-dir",
        str(HERE),
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(command, env={**os.environ, ENV_URL: url})


def wait_ready(server: subprocess.Popen[bytes], base: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the API server exited with status {server.returncode} before answering")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the API server did not answer {base}/health within {timeout:.0f} s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- the data -----------------------------------------------------------------------------------------

# the process or equipment a dataset is about, per industry: "industry: 中文/English; 中文/English"
SUBJECT_TEXT = """
steel: 热轧钢板/hot-rolled plate; 冷轧钢带/cold-rolled strip
steel: 高炉炼铁/blast furnace ironmaking; 转炉炼钢/converter steelmaking
steel: 连铸坯/continuous casting slab; 轧钢加热炉/rolling mill reheating furnace
petrochemicals: 催化裂化装置/catalytic cracking unit; 乙烯裂解炉/ethylene cracking furnace
petrochemicals: 常减压蒸馏/crude distillation; 聚丙烯装置/polypropylene plant
nonferrous_metals: 电解铝槽/aluminium reduction cell; 铜冶炼炉/copper smelting furnace
nonferrous_metals: 铝型材挤压/aluminium extrusion; 锂盐提纯/lithium salt refining
building_materials: 水泥回转窑/cement rotary kiln; 浮法玻璃/float glass
building_materials: 陶瓷砖/ceramic tile; 石膏板/gypsum board
machine_tools: 数控机床主轴/CNC spindle; 五轴加工中心/five-axis machining centre
machine_tools: 刀具磨损/tool wear; 滚珠丝杠/ball screw
automobiles: 车身焊装/body welding; 涂装车间/paint shop
automobiles: 动力电池包/battery pack; 总装线/final assembly line
medical_equipment: 医学影像设备/medical imaging device; 呼吸机/ventilator
medical_equipment: 超声探头/ultrasound probe; 手术机器人/surgical robot
power_equipment: 风电机组/wind turbine; 变压器/transformer
power_equipment: 光伏组件/photovoltaic module; 燃气轮机/gas turbine
ships: 船体分段焊接/hull block welding; 船舶主机/marine main engine
ships: 涂装坞/painting dock; 管系加工/pipe fabrication
aerospace: 航空发动机叶片/aero-engine blade; 复合材料构件/composite component
aerospace: 机身装配/fuselage assembly; 卫星总装/satellite integration
home_furnishings: 板式家具/panel furniture; 定制橱柜/custom cabinet
home_furnishings: 床垫生产/mattress production; 智能家电/smart appliance
pharmaceuticals: 原料药合成/API synthesis; 固体制剂/solid dosage
pharmaceuticals: 无菌灌装/aseptic filling; 中药提取/herbal extraction
biomanufacturing: 发酵罐/fermenter; 酶制剂/enzyme preparation
biomanufacturing: 细胞培养/cell culture; 生物基材料/bio-based material
historical_classics: 丝绸织造/silk weaving; 陶瓷烧制/porcelain firing
historical_classics: 白酒酿造/baijiu brewing; 茶叶加工/tea processing
electronic_components: 片式电容/chip capacitor; 印制电路板/printed circuit board
electronic_components: 连接器/connector; 电感器/inductor
consumer_electronics: 手机整机/smartphone assembly; 笔记本电脑/laptop
consumer_electronics: 智能穿戴/wearable device; 耳机声学/earphone acoustics
new_displays: OLED面板/OLED panel; 液晶模组/LCD module
new_displays: 柔性屏/flexible screen; 微显示/micro display
software: 工业软件/industrial software; 代码仓库/code repository
software: 软件测试/software testing; 运维日志/operations log
ict: 基站/base station; 光传输网/optical transport network
ict: 数据中心/data centre; 5G专网/private 5G network
cybersecurity: 工控安全/industrial control security; 入侵检测/intrusion detection
cybersecurity: 漏洞扫描/vulnerability scanning; 态势感知/situational awareness
"""


def _subjects() -> dict[str, list[tuple[str, str]]]:
    subjects: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for line in SUBJECT_TEXT.strip().splitlines():
        industry, _, items = line.partition(": ")
        for item in items.split("; "):
            zh, en = item.split("/")
            subjects[industry].append((zh, en))
    return dict(subjects)


SUBJECTS = _subjects()
TOPICS = [
    ("表面缺陷", "surface defect"),
    ("设备故障", "equipment fault"),
    ("能耗", "energy consumption"),
    ("工艺参数", "process parameter"),
    ("质量检测", "quality inspection"),
    ("振动监测", "vibration monitoring"),
    ("排产调度", "production scheduling"),
    ("安全巡检", "safety patrol"),
]
# (zh, en, modality, data format)
TYPES = [
    ("图像数据集", "image dataset", "image", "jpg"),
    ("时序数据集", "time-series dataset", "timeseries", "parquet"),
    ("标注样本集", "labelled sample set", "image", "json"),
    ("文本语料", "text corpus", "text", "jsonl"),
    ("表格数据集", "tabular dataset", "tabular", "csv"),
]
EVALUATION_TYPE = ("评测集", "evaluation set", "tabular", "parquet")
PURPOSES = ["缺陷识别模型训练", "预测性维护", "工艺优化", "行业大模型微调", "模型评测基准"]
KINDS = [("general", 10), ("common", 50), ("specialised", 30), ("evaluation", 10)]
STATUSES = [("registered", 50), ("building", 20), ("published", 20), ("listed", 8), ("retired", 2)]
CATEGORIES = ["rd", "production", "production", "production", "management", "maintenance", "business_service"]
SENSITIVITIES = [("general", 70), ("important", 25), ("core", 5)]
LICENCES = ["", "内部使用", "联盟内共享", "CC BY 4.0"]
ENTITIES = [
    {"code": "js", "name_zh": "江苏省", "kind": "province", "industries": ["steel", "machine_tools"]},
    {"code": "baowu", "name_zh": "中国宝武钢铁集团有限公司", "kind": "central_enterprise", "industries": ["steel"]},
]
# (code, Chinese name, short name used in dataset names, entity)
ORGANISATIONS = [
    ("shagang", "江苏沙钢集团有限公司", "沙钢", "js"),
    ("baosteel", "宝山钢铁股份有限公司", "宝钢", "baowu"),
    ("xcmg", "徐工集团工程机械股份有限公司", "徐工", "js"),
    ("cisdi", "中冶赛迪集团有限公司", "中冶赛迪", None),
    ("yangzi-pc", "中国石化扬子石油化工有限公司", "扬子石化", "js"),
    ("hengtong", "江苏亨通光电股份有限公司", "亨通", "js"),
    ("wuxi-ai", "无锡智能制造数据服务有限公司", "无锡智造", "js"),
    ("nanjing-lab", "南京工业大数据研究院", "南京数研院", "js"),
    ("wisco", "武汉钢铁有限公司", "武钢", "baowu"),
    ("ouyeel", "欧冶工业品股份有限公司", "欧冶", "baowu"),
    ("suzhou-med", "苏州医疗装备创新中心", "苏州医装", None),
    ("changzhou-ev", "常州新能源汽车零部件有限公司", "常州新能源", None),
]
ORG_ROLES = ["data", "manufacturer", "leading_enterprise"]


@dataclass
class References:
    industries: dict[str, int]  # code -> id
    organisations: list[tuple[int, str, str, int | None]]  # id, name_zh, short name, entity id
    scenarios: list[int]
    token: str


def _weighted(rng: random.Random, choices: list[tuple[str, int]]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def seed_references(url: str) -> References:
    """Entities, organisations and an operator token, through the services (the way the CLI makes them)."""
    from sqlalchemy import select

    from resonance.registry import models as m
    from resonance.registry import services
    from resonance.registry.concepts import CONCEPTS
    from resonance.registry.db import make_engine, make_sessionmaker, transaction
    from resonance.tokens import create_token

    engine = make_engine(url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            entities = {e["code"]: services.create(session, CONCEPTS["entities"], e).id for e in ENTITIES}
            organisations = []
            for i, (code, name, short, entity) in enumerate(ORGANISATIONS):
                payload = {"code": code, "name_zh": name, "entity": entity, "roles": [ORG_ROLES[i % 3]]}
                row = services.create(session, CONCEPTS["organisations"], payload)
                organisations.append((row.id, name, short, entities[entity] if entity else None))
            _, secret = create_token(session, "api_read benchmark", "operator")
            industries = dict(session.execute(select(m.Industry.code, m.Industry.id)).all())
            scenarios = list(session.scalars(select(m.Scenario.id).order_by(m.Scenario.id)))
    finally:
        engine.dispose()
    return References(industries, organisations, scenarios, secret)


DATASET_COLUMNS = (
    "id",
    "code",
    "version",
    "name_zh",
    "name_en",
    "description",
    "kind",
    "industry_id",
    "entity_id",
    "scenario_id",
    "owner_org_id",
    "category",
    "sensitivity",
    "modality",
    "data_format",
    "licence",
    "row_count",
    "column_count",
    "quality_score",
    "quality_grade",
    "node_id",
    "status",
    "extra",
    "created_at",
    "updated_at",
)


def dataset_rows(n: int, refs: References, seed: int = 20260101) -> Iterator[tuple[Any, ...]]:
    """``n`` realistic dataset rows (ids 1..n), in the order of DATASET_COLUMNS."""
    rng = random.Random(seed)
    industries = list(SUBJECTS)
    start = datetime(2025, 6, 1, tzinfo=UTC)
    for i in range(1, n + 1):
        industry = industries[rng.randrange(len(industries))]
        subject_zh, subject_en = rng.choice(SUBJECTS[industry])
        topic_zh, topic_en = rng.choice(TOPICS)
        kind = _weighted(rng, KINDS)
        type_zh, type_en, modality, data_format = EVALUATION_TYPE if kind == "evaluation" else rng.choice(TYPES)
        org_id, org_name, org_short, entity_id = refs.organisations[
            (industries.index(industry) + rng.randrange(3)) % len(refs.organisations)
        ]
        prefix = org_short if rng.random() < 0.3 else ""
        name_zh = f"{prefix}{subject_zh}{topic_zh}{type_zh}"
        name_en = f"{subject_en} {topic_en} {type_en}"
        name_en = name_en[0].upper() + name_en[1:]
        description = (
            f"{org_name}采集的{subject_zh}{topic_zh}数据，覆盖{rng.randint(1, 8)}条产线、"
            f"{rng.randint(1, 5)}年运行记录，用于{rng.choice(PURPOSES)}。"
        )
        status = _weighted(rng, STATUSES)
        created = start + timedelta(minutes=rng.randrange(60 * 24 * 330))
        quality = round(rng.uniform(55, 99), 1) if rng.random() < 0.6 else None
        yield (
            i,
            f"ds-{industry.replace('_', '-')}-{i:06d}",
            "2" if rng.random() < 0.05 else "1",
            name_zh,
            name_en,
            description,
            kind,
            refs.industries[industry],
            entity_id if rng.random() < 0.8 else None,
            rng.choice(refs.scenarios) if refs.scenarios and rng.random() < 0.2 else None,
            org_id,
            rng.choice(CATEGORIES),
            _weighted(rng, SENSITIVITIES),
            modality,
            data_format,
            rng.choice(LICENCES),
            rng.randrange(1_000, 50_000_000) if rng.random() < 0.9 else None,
            rng.randrange(3, 400) if modality in ("tabular", "timeseries") else None,
            quality,
            None if quality is None else ("A" if quality >= 90 else "B" if quality >= 75 else "C"),
            f"node-{org_id}" if status == "published" else None,
            status,
            "{}",
            created,
            created + timedelta(days=rng.randrange(30)),
        )


@lru_cache(maxsize=200_000)
def _terms(text: str) -> frozenset[str]:
    from resonance.registry.search import document_terms

    return frozenset(document_terms(text))


_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_DIGITS = re.compile(f"(?<=[{_CJK}])([0-9]+)(?=[{_CJK}])")  # a number between two Chinese characters


def search_terms(name_zh: str, name_en: str, description: str, code: str) -> set[str]:
    """``document_terms(name_zh, name_en, description, code)``, what the services index, computed faster.

    ``document_terms(*texts)`` is the union of ``document_terms(text)``; and in the generated descriptions
    a number between two Chinese characters ends a CJK run and is a word of its own, so a description's
    terms are the union of those of its pieces around such numbers. Both facts let the pieces,
    which repeat a lot, be cached; ``check_terms`` compares the result with ``document_terms`` itself.
    """
    pieces = [_terms(piece) for piece in _DIGITS.split(description) if piece]
    return set().union(_terms(name_zh), _terms(name_en), _terms(code), *pieces)


def check_terms(rows: list[tuple[Any, ...]], sample: int = 2_000) -> None:
    from resonance.registry.search import document_terms

    for row in rows[:sample]:
        if search_terms(row[3], row[4], row[5], row[1]) != document_terms(row[3], row[4], row[5], row[1]):
            raise AssertionError(f"the cached search terms of dataset {row[1]} differ from document_terms")


def _index_ddl(conn: psycopg.Connection, table: str) -> tuple[list[str], list[str]]:
    """(drop, create) statements for the indexes and primary key of ``table``, from the catalogue itself."""
    drop, create = [], []
    constraints = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
        "AND contype IN ('p', 'u')",
        (table,),
    ).fetchall()
    for name, definition in constraints:
        drop.append(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        create.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    owned = {name for name, _ in constraints}
    for name, definition in conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", (table,)
    ).fetchall():
        if name not in owned:
            drop.append(f'DROP INDEX "{name}"')
            create.append(definition)
    return drop, create


def bulk_load(admin_url: str, dbname: str, refs: References, n: int) -> dict[str, float]:
    """COPY ``n`` datasets and their search terms, then VACUUM ANALYZE; returns the seconds of each step.

    The indexes of ``search_terms`` are dropped during its COPY and re-created from their own catalogue
    definitions afterwards (several times faster than maintaining them row by row).
    """
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    rows = list(dataset_rows(n, refs))
    check_terms(rows)
    terms = bytearray()
    term_count = 0
    prefix = b"datasets\t"
    for row in rows:
        found = search_terms(row[3], row[4], row[5], row[1])
        term_count += len(found)
        suffix = f"\t{row[0]}\n".encode()
        for term in found:
            if any(c in term for c in "\t\n\r\\"):
                raise ValueError(f"unexpected character in search term {term!r}")
            terms += prefix + term.encode() + suffix
    seconds["generate rows and terms"] = time.perf_counter() - t0
    with psycopg.connect(conninfo(admin_url, dbname)) as conn:
        t0 = time.perf_counter()
        with conn.cursor() as cur, cur.copy(f"COPY datasets ({', '.join(DATASET_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.execute("SELECT setval(pg_get_serial_sequence('datasets', 'id'), (SELECT max(id) FROM datasets))")
        conn.commit()
        seconds[f"COPY {n:,} datasets"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        drop, create = _index_ddl(conn, "search_terms")
        before = sorted(r[0] for r in conn.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'search_terms'"))
        for statement in drop:
            conn.execute(statement)
        with conn.cursor() as cur, cur.copy("COPY search_terms (kind, term, object_id) FROM STDIN") as copy:
            view = memoryview(terms)
            for i in range(0, len(view), 1 << 20):
                copy.write(view[i : i + (1 << 20)])
        conn.execute("SET maintenance_work_mem = '256MB'")
        for statement in create:
            conn.execute(statement)
        after = sorted(r[0] for r in conn.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'search_terms'"))
        if after != before:
            raise AssertionError(f"search_terms indexes not restored: {before} != {after}")
        conn.commit()
        seconds[f"COPY {term_count:,} search terms, index them"] = time.perf_counter() - t0
    with psycopg.connect(conninfo(admin_url, dbname), autocommit=True) as conn:
        t0 = time.perf_counter()
        conn.execute("VACUUM (ANALYZE)")
        seconds["VACUUM ANALYZE"] = time.perf_counter() - t0
    return seconds


# --- the load generator -------------------------------------------------------------------------------


@dataclass
class Tally:
    """What the clients of one scenario saw inside the measured window."""

    start: float
    end: float
    max_requests: int
    issued: int = 0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    body_bytes: int = 0

    def record(self, t0: float, t1: float, status: int, size: int) -> None:
        if t0 >= self.start and t1 <= self.end:
            self.latencies.append(t1 - t0)
            self.statuses[status] += 1
            self.body_bytes += size

    def fail(self, t0: float, t1: float, reason: str) -> None:
        if t0 >= self.start and t1 <= self.end:
            self.latencies.append(t1 - t0)
            self.failures[reason] += 1

    def more(self, now: float) -> bool:
        if now >= self.end or self.issued >= self.max_requests:
            return False
        self.issued += 1
        return True


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, int, bool]:
    """(status, body length, keep-alive) of one HTTP/1.1 response; the body is read and dropped."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    keep = b"\r\nconnection: close" not in lower
    at = lower.find(b"\r\ncontent-length:")
    if at >= 0:
        size = int(lower[at + 17 : lower.index(b"\r\n", at + 2)])
        await reader.readexactly(size)
        return status, size, keep
    if b"\r\ntransfer-encoding: chunked" in lower:
        size = 0
        while True:
            chunk = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(chunk + 2)
            size += chunk
            if chunk == 0:
                return status, size, keep
    raise ValueError("a response with neither Content-Length nor chunked encoding")


async def raw_client(port: int, request: bytes, tally: Tally, timeout: float) -> None:
    """One keep-alive connection sending ``request`` again and again (a minimal client: little CPU per request)."""
    conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    try:
        while tally.more(t0 := time.perf_counter()):
            try:
                async with asyncio.timeout(timeout):
                    if conn is None:
                        conn = await asyncio.open_connection(HOST, port)
                    conn[1].write(request)
                    status, size, keep = await _read_response(conn[0])
            except (TimeoutError, OSError, EOFError, ValueError, asyncio.LimitOverrunError) as exc:
                tally.fail(t0, time.perf_counter(), type(exc).__name__)
                if conn is not None:
                    conn[1].close()
                conn = None
                continue
            tally.record(t0, time.perf_counter(), status, size)
            if not keep:
                conn[1].close()
                conn = None
    finally:
        if conn is not None:
            conn[1].close()


async def httpx_client(client: httpx.AsyncClient, path: str, tally: Tally) -> None:
    while tally.more(t0 := time.perf_counter()):
        try:
            response = await client.get(path)
        except httpx.HTTPError as exc:
            tally.fail(t0, time.perf_counter(), type(exc).__name__)
            continue
        tally.record(t0, time.perf_counter(), response.status_code, len(response.content))


@dataclass
class Scenario:
    name: str
    path: str
    bare: bool = False
    measured: bool = True  # False: shown for comparison, not judged against the goals


def scenarios(rows: int) -> list[Scenario]:
    deep = max(1, rows // PAGE_SIZE // 2)
    api = "/api/v1/datasets"

    def query(**params: Any) -> str:
        return f"{api}?{urllib.parse.urlencode({**params, 'page_size': PAGE_SIZE})}"

    return [
        Scenario("bare (first)", "/bare/datasets", bare=True),
        Scenario("list page 1", query(page=1)),
        Scenario(f"list page {deep}", query(page=deep)),
        Scenario("list industry=steel&kind=common", query(industry="steel", kind="common")),
        Scenario("search q=轧钢", query(q="轧钢")),
        Scenario("search q=表面缺陷", query(q="表面缺陷")),
        Scenario("search q=cold-rolled strip", query(q="cold-rolled strip")),
        Scenario("get one dataset (for scale)", f"{api}/{rows // 2}", measured=False),
        Scenario("bare (last)", "/bare/datasets", bare=True),
    ]


@dataclass
class Result:
    scenario: str
    path: str
    matching_rows: int | None
    requests: int
    req_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    error_kinds: dict[str, int]
    body_bytes: int
    server_cpu_ms_per_req: float | None
    db_cpu_ms_per_req: float | None
    client_cpu_ms_per_req: float
    role: str = "judged"  # "reference" (bare), "judged" against the goals, or "for scale"
    ratio: float | None = None
    verdict: str = ""


def _percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted seconds, in milliseconds."""
    if not ordered:
        return float("nan")
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1] * 1000


@dataclass
class Options:
    clients: int
    warmup: float
    duration: float
    timeout: float
    max_requests: int
    client: str
    profile: Path | None


@dataclass
class Target:
    port: int
    token: str
    server_pid: int
    admin_url: str
    dbname: str


def _cpu_snapshot(target: Target, pids: list[int]) -> tuple[float | None, float | None, float]:
    server = cpu_seconds(target.server_pid)
    found = [cpu_seconds(p) for p in pids]
    db = sum(f for f in found if f is not None) if pids else None
    return server, db, time.process_time()


def _per_request(before: float | None, after: float | None, requests: int) -> float | None:
    if before is None or after is None or requests == 0:
        return None
    return (after - before) * 1000 / requests


async def measure(target: Target, scenario: Scenario, opts: Options) -> Result:
    """Run ``opts.clients`` clients against one path: warm-up, then the measured window."""
    now = time.perf_counter()
    tally = Tally(now + opts.warmup, now + opts.warmup + opts.duration, opts.max_requests)
    headers = {"Authorization": f"Bearer {target.token}", "Accept": "application/json"}
    http: httpx.AsyncClient | None = None
    jobs: list[Awaitable[None]]
    if opts.client == "httpx":
        limits = httpx.Limits(max_connections=opts.clients, max_keepalive_connections=opts.clients)
        http = httpx.AsyncClient(
            base_url=f"http://{HOST}:{target.port}", headers=headers, limits=limits, timeout=opts.timeout
        )
        jobs = [httpx_client(http, scenario.path, tally) for _ in range(opts.clients)]
    else:
        lines = [f"GET {scenario.path} HTTP/1.1", f"Host: {HOST}:{target.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode()
        jobs = [raw_client(target.port, request, tally, opts.timeout) for _ in range(opts.clients)]
    tasks = [asyncio.ensure_future(job) for job in jobs]
    profiler: subprocess.Popen[bytes] | None = None
    try:
        await asyncio.sleep(max(0.0, tally.start - 0.3 - time.perf_counter()))
        pids = await asyncio.to_thread(backend_pids, target.admin_url, target.dbname)
        await asyncio.sleep(max(0.0, tally.start - time.perf_counter()))
        before = _cpu_snapshot(target, pids)
        profiler = _start_profiler(target, scenario, opts)
        await asyncio.sleep(max(0.0, tally.end - time.perf_counter()))
        after = _cpu_snapshot(target, pids)
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=opts.timeout + 5)
    finally:
        for task in tasks:
            task.cancel()
        if http is not None:
            await http.aclose()
    if profiler is not None:
        profiler.wait()
    ordered = sorted(tally.latencies)
    requests = len(ordered)
    bad_status = {f"HTTP {s}": c for s, c in tally.statuses.items() if s != 200}
    errors = sum(bad_status.values()) + sum(tally.failures.values())
    return Result(
        scenario=scenario.name,
        path=scenario.path,
        matching_rows=None,
        requests=requests,
        req_per_s=requests / opts.duration,
        p50_ms=_percentile(ordered, 0.50),
        p95_ms=_percentile(ordered, 0.95),
        p99_ms=_percentile(ordered, 0.99),
        max_ms=ordered[-1] * 1000 if ordered else float("nan"),
        errors=errors,
        error_kinds={**bad_status, **tally.failures},
        body_bytes=tally.body_bytes // max(1, tally.statuses.get(200, 0)),
        server_cpu_ms_per_req=_per_request(before[0], after[0], requests),
        db_cpu_ms_per_req=_per_request(before[1], after[1], requests),
        client_cpu_ms_per_req=_per_request(before[2], after[2], requests) or 0.0,
    )


# --- profiling (optional) -----------------------------------------------------------------------------


# functions whose callees the profile summary breaks down (py-spy frame names)
PROFILE_PARENTS = (
    "WorkerThread.run",  # everything the threadpool runs: dependencies and the endpoint
    "list_page",
    "to_read",
    "get_request_handler.<locals>.app",  # FastAPI: dependencies, endpoint call, response model
    "Runner.run",  # the event loop thread: uvicorn, middleware, routing
)


def _py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).is_file():
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
    return found


def _start_profiler(target: Target, scenario: Scenario, opts: Options) -> subprocess.Popen[bytes] | None:
    """py-spy on the server for the measured window; only samples of the thread holding the GIL (--gil),
    which on a GIL-bound server is where its one busy core goes."""
    if opts.profile is None:
        return None
    out = opts.profile / f"{_slug(scenario.name)}.txt"
    command = [_py_spy(), "record", "--pid", str(target.server_pid), "--duration", str(max(1, int(opts.duration)))]
    command += ["--rate", "250", "--gil", "--nonblocking", "--format", "raw", "--output", str(out)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name).strip("_")


def _frame(frame: str) -> tuple[str, str]:
    """("function", "function (module.py:line)") of a py-spy frame "function (path/module.py:line)"."""
    name, _, where = frame.partition(" (")
    return name, f"{name} ({where.rstrip(')').rsplit('/', 1)[-1]})"


def summarise_profile(path: Path, parents: tuple[str, ...] = PROFILE_PARENTS, top: int = 8) -> list[str]:
    """For each parent function: its share of the samples, and the share of each line it calls from."""
    total = 0
    inside: Counter[str] = Counter()
    callees: dict[str, Counter[str]] = defaultdict(Counter)
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_frame(f) for f in stack.split(";")]
        for parent in parents:
            at = next((i for i, (name, _) in enumerate(frames) if name == parent), None)
            if at is not None:
                inside[parent] += count
                callees[parent][frames[at + 1][1] if at + 1 < len(frames) else "(itself)"] += count
    if not total:
        return ["no samples"]
    lines = [f"{total} samples"]
    for parent in (p for p in parents if inside[p]):
        lines.append(f"{inside[parent] / total:6.1%}  {parent}")
        lines += [f"    {n / total:6.1%}  {callee}" for callee, n in callees[parent].most_common(top)]
    return lines


# --- the run ------------------------------------------------------------------------------------------


def probe(base: str, token: str, scenario: Scenario) -> tuple[int, bytes]:
    """One request, to check that the scenario answers 200 and to read how many rows match."""
    response = httpx.get(base + scenario.path, headers={"Authorization": f"Bearer {token}"}, timeout=120)
    if response.status_code != 200:
        raise SystemExit(f"{scenario.name}: HTTP {response.status_code}: {response.text[:500]}")
    return response.status_code, response.content


def machine() -> dict[str, Any]:
    memory = "?"
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            kib = int(f.readline().split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def table(results: list[Result]) -> str:
    head = (
        "| scenario | matching rows | requests | req/s | ratio to bare | p50 ms | p95 ms | p99 ms | errors "
        "| server CPU ms/req | PostgreSQL CPU ms/req | client CPU ms/req | verdict |"
    )
    lines = [head, "|" + "---|" * head.count(" | ") + "---|"]
    for r in results:
        lines.append(
            f"| {r.scenario} | {'' if r.matching_rows is None else f'{r.matching_rows:,}'} | {r.requests:,} "
            f"| {_fmt(r.req_per_s)} | {_fmt(r.ratio, 3)} | {_fmt(r.p50_ms)} | {_fmt(r.p95_ms)} | {_fmt(r.p99_ms)} "
            f"| {r.errors} | {_fmt(r.server_cpu_ms_per_req, 2)} | {_fmt(r.db_cpu_ms_per_req, 2)} "
            f"| {_fmt(r.client_cpu_ms_per_req, 2)} | {r.verdict} |"
        )
    return "\n".join(lines)


def judge(results: list[Result]) -> bool:
    """Set every ratio (to the mean of the bare runs) and verdict; True when every judged scenario passes."""
    bare = [r.req_per_s for r in results if r.role == "reference"]
    reference = sum(bare) / len(bare)
    passed = True
    for r in results:
        r.ratio = r.req_per_s / reference if reference else None
        misses = []
        if r.role == "judged" and (r.ratio is None or r.ratio < MIN_RATIO):
            misses.append(f"ratio < {MIN_RATIO}")
        if r.role == "judged" and not r.p99_ms < MAX_P99_MS:
            misses.append(f"p99 ≥ {MAX_P99_MS:.0f} ms")
        if r.errors:
            misses.append("errors")
        if r.role == "judged":
            r.verdict = "PASS" if not misses else "FAIL: " + ", ".join(misses)
        else:
            r.verdict = r.role + (": " + ", ".join(misses) if misses else "")
        passed = passed and not misses
    return passed


def run(args: argparse.Namespace) -> int:
    opts = Options(
        clients=args.clients,
        warmup=args.warmup,
        duration=args.duration,
        timeout=args.timeout,
        max_requests=args.max_requests,
        client=args.client,
        profile=args.profile,
    )
    if opts.profile is not None:
        opts.profile.mkdir(parents=True, exist_ok=True)
    info: dict[str, Any] = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "rows": args.rows,
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(opts).items()},
    }
    print(f"machine: {info['machine']}")
    with scratch_database(args.pg_url) as dbname:
        url = sqlalchemy_url(args.pg_url, dbname)
        t0 = time.perf_counter()
        from resonance.registry.db import upgrade

        upgrade(url)
        refs = seed_references(url)
        load = {"migrate and seed references": time.perf_counter() - t0}
        load.update(bulk_load(args.pg_url, dbname, refs, args.rows))
        info["load_seconds"] = load
        print(f"database {dbname}: " + ", ".join(f"{k} {v:.1f} s" for k, v in load.items()))
        print(f"load total: {sum(load.values()):.1f} s")
        _terms.cache_clear()
        gc.collect()
        gc.freeze()

        port = free_port()
        server = start_server(url, port)
        try:
            base = f"http://{HOST}:{port}"
            wait_ready(server, base)
            target = Target(port, refs.token, server.pid, args.pg_url, dbname)
            plan = scenarios(args.rows)
            _, page = probe(base, refs.token, plan[1])
            put = httpx.put(f"{base}/bare/datasets", content=page, timeout=10)
            if put.status_code != 204 or probe(base, refs.token, plan[0])[1] != page:
                raise SystemExit("the bare route does not return the captured page")
            matching = {}
            for scenario in plan:
                body = probe(base, refs.token, scenario)[1]
                matching[scenario.name] = None if scenario.bare else json.loads(body).get("total")
            print(f"server pid {server.pid} on {base}; a page is {len(page):,} bytes; measuring …")
            results = []
            for scenario in plan:
                result = asyncio.run(measure(target, scenario, opts))
                result.matching_rows = matching[scenario.name]
                result.role = "reference" if scenario.bare else "judged" if scenario.measured else "for scale"
                results.append(result)
                print(
                    f"  {scenario.name}: {result.req_per_s:,.1f} req/s, p99 {result.p99_ms:,.1f} ms, "
                    f"{result.errors} errors",
                    flush=True,
                )
        finally:
            stop_server(server)
    passed = judge(results)
    print()
    print(table(results))
    bare = [r.req_per_s for r in results if r.role == "reference"]
    drift = abs(bare[0] - bare[-1]) / max(bare) if max(bare) else 0.0
    print(f"\nbare throughput drift between first and last run: {drift:.1%} (noise of the shared machine)")
    verdict = "PASS" if passed else "FAIL"
    print(f"verdict: {verdict} (goals: every scenario ≥ {MIN_RATIO} of bare throughput, p99 < {MAX_P99_MS:.0f} ms)")
    if opts.profile is not None:
        for scenario in plan:
            path = opts.profile / f"{_slug(scenario.name)}.txt"
            if path.is_file():
                print(f"\nserver profile during '{scenario.name}' (share of GIL-holding samples):")
                for line in summarise_profile(path):
                    print(f"  {line}")
    if args.json:
        info.update(results=[asdict(r) for r in results], bare_drift=drift, verdict=verdict)
        args.json.write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0 if passed else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=100_000, help="datasets to load (default 100000)")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per scenario (default 10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per scenario (default 2)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent keep-alive connections (default 20)")
    parser.add_argument("--pg-url", default=DEFAULT_ADMIN_URL, help=f"admin URL (default {DEFAULT_ADMIN_URL})")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw", help="load generator (default raw)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a request counts as failed")
    parser.add_argument("--max-requests", type=int, default=2_000_000, help="cap on requests per scenario")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--profile", type=Path, help="record the server with py-spy into this folder")
    args = parser.parse_args(argv)
    if args.rows < PAGE_SIZE or args.clients < 1 or args.duration <= 0:
        parser.error("--rows must be at least 50, --clients at least 1 and --duration positive")
    try:
        return run(args)
    except KeyboardInterrupt:
        print("interrupted; the scratch database was dropped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
