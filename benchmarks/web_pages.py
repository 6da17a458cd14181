"""Server time of every web page with 10,000 registry rows, against the API's /health and a JSON list in the same run.

What is measured against what
    Each page of the web platform (``/web/…``, signed in as the operator, Chinese) is requested ``--repeat``
    times, one after the other, over one keep-alive connection on loopback, from a real ``resonance space
    serve`` process; the figure is the median (and p95) wall time of a request seen by the client, which is the
    server's time plus a loopback round trip and httpx's own ~1–2 ms. Two baselines are measured the same way in
    the same run, before and after the pages (their mean is used): ``GET /health`` (the app's cheapest route:
    routing and middleware only) and ``GET /api/v1/datasets?page_size=25`` (a plain JSON list of the same
    rows: token check, COUNT, page query, read schema; the API's read cache is turned off so that it queries the
    database every time, as the pages do). Each page is printed with its ratios to both. Beside the wall times,
    the server process's CPU milliseconds per request (user + system, from ``/proc``) are printed: on a shared
    machine they move much less than wall times, and on SQLite they include the database's work. Goal: every page's
    median < 300 ms (issue 7, item 4). The ledger's verification partial (``*``), which the ledger page loads
    after it has shown and which checks the hash and signature of every event, is measured for scale only.
    The overview caches the quota evaluation per registry generation; what its first view after a registry
    write costs (``rules.progress`` of every entity) is measured separately, in-process.

The registry
    A fresh registry (SQLite file by default; ``--backend postgresql`` makes a scratch PostgreSQL database and
    drops it afterwards) with the demo's example world (``resonance.demo.seed``), 30 more provinces and 60 more
    central enterprises (each with industries), 60 organisations, and ``--rows`` (10,000) rows created through the
    registry services (so that they are validated and indexed for search like any others): 60 % datasets, 20 %
    scenario files, 10 % models, 10 % cases, spread over the 20 industries and the entities. ``ai4i-l`` gets the
    profile and quality report the node pipeline computes from the bundled data, a job gets 10 rounds on the
    ledger, and ``--events`` (2,000) more ledger events are appended (the ledger page and its verification).

Run from the repository root::

    .venv/bin/python benchmarks/web_pages.py                          # 10,000 rows, SQLite, 20 requests per page
    .venv/bin/python benchmarks/web_pages.py --backend postgresql     # the same on PostgreSQL at 127.0.0.1:5432
    .venv/bin/python benchmarks/web_pages.py --rows 1000 --repeat 5   # a quick check
    .venv/bin/python benchmarks/web_pages.py --keep benchmarks/out/web  # populate once, reuse in later runs
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
RESONANCE = Path(sys.executable).with_name("resonance")
GOAL_MS = 300.0
TOPICS = [
    "设备运行",
    "工艺参数",
    "质量检测",
    "能耗监测",
    "供应链",
    "安全巡检",
    "故障诊断",
    "排产调度",
    "仓储物流",
    "研发试验",
]
FORMS = ["时序数据集", "图像数据集", "文本语料", "工况记录", "标注样本库"]
STAGES = ["rd_design", "pilot_verification", "production", "marketing_service", "operations_management"]


# --- the registry ---------------------------------------------------------------------------------------


def _create(session: Any, concept: str, payload: dict[str, Any]) -> Any:
    from resonance.registry import services
    from resonance.registry.concepts import CONCEPTS

    return services.create(session, CONCEPTS[concept], payload, where=f"bench {concept}")


def populate(url: str, rows: int, events: int, workdir: Path) -> dict[str, Any]:
    """Seed the demo world and add the bulk rows; returns the operator token and what was made."""
    from sqlalchemy import select

    from resonance import tokens
    from resonance.demo.bundled import ai4i_parts
    from resonance.demo.seed import seed
    from resonance.ledger import chain
    from resonance.node.pipeline import analyse, published_profile
    from resonance.node.sources import open_source
    from resonance.registry import models as m
    from resonance.registry.db import make_engine, make_sessionmaker, transaction
    from resonance.registry.vocabularies import industries

    rng = random.Random(20261205)
    codes = [i["code"] for i in industries()]
    names = {i["code"]: i["zh"] for i in industries()}
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    started = time.perf_counter()
    with transaction(sessions) as session:
        seed(session)
        for n in range(90):
            kind = "province" if n < 30 else "central_enterprise"
            chosen = rng.sample(codes, 3 if kind == "province" else 1)
            payload = {"code": f"ent-{n:03d}", "name_zh": f"示例主体{n:03d}", "kind": kind, "industries": chosen}
            _create(session, "entities", payload)
        entities = [f"ent-{n:03d}" for n in range(90)] + ["jiangsu"]
        for n in range(60):
            payload = {"code": f"org-{n:03d}", "name_zh": f"示例企业{n:03d}有限公司", "entity": rng.choice(entities)}
            _create(session, "organisations", payload)
    orgs = [f"org-{n:03d}" for n in range(60)]
    counts = {"datasets": 0, "scenarios": 0, "models": 0, "cases": 0}
    plan = ["datasets"] * 6 + ["scenarios"] * 2 + ["models", "cases"]
    batch = 500
    for start in range(0, rows, batch):
        with transaction(sessions) as session:
            for n in range(start, min(rows, start + batch)):
                concept = plan[n % len(plan)]
                industry = rng.choice(codes)
                topic, form = rng.choice(TOPICS), rng.choice(FORMS)
                common = {"industry": industry, "entity": rng.choice(entities)}
                if concept == "datasets":
                    payload = {
                        **common,
                        "code": f"ds-{n:05d}",
                        "name_zh": f"{names[industry]}{topic}{form}{n}",
                        "name_en": f"{industry} {topic} dataset {n}",
                        "kind": rng.choice(["common", "specialised"]),
                        "owner": rng.choice(orgs),
                        "row_count": rng.randint(1_000, 5_000_000),
                        "status": "published",
                    }
                elif concept == "scenarios":
                    stage = rng.choice(STAGES)
                    payload = {
                        **common,
                        "code": f"SC-{n:05d}",
                        "name_zh": f"{names[industry]}{topic}场景{n}",
                        "stage": stage,
                    }
                elif concept == "models":
                    payload = {
                        **common,
                        "code": f"md-{n:05d}",
                        "name_zh": f"{names[industry]}{topic}模型{n}",
                        "kind": rng.choice(["industry", "specialised"]),
                        "developer": rng.choice(orgs),
                    }
                else:
                    payload = {
                        **common,
                        "code": f"case-{n:05d}",
                        "name_zh": f"{names[industry]}{topic}应用案例{n}",
                        "kind": "application",
                        "model": "mt-failure",
                        "organisation": rng.choice(orgs),
                    }
                _create(session, concept, payload)
                counts[concept] += 1
    workdir.mkdir(parents=True, exist_ok=True)
    csv = workdir / "ai4i-l.csv"
    ai4i_parts()["L"].to_csv(csv, index=False)
    with open_source(csv, workdir=workdir) as source:
        analysis = analyse(source)
    with transaction(sessions) as session:
        ds = session.scalars(select(m.Dataset).where(m.Dataset.code == "ai4i-l")).one()
        profile = analysis.profile.as_dict()
        ds.profile, ds.quality = published_profile(profile), analysis.quality.as_dict()
        ds.quality_score, ds.quality_grade = analysis.quality.overall, analysis.quality.grade
        developer = session.scalars(select(m.Organisation.id).where(m.Organisation.code == "model-co")).one()
        job = m.Job(kind="training", name="bench job", submitter_org_id=developer, status="running", rounds_total=20)
        session.add(job)
        session.flush()
        for n in range(1, 11):
            job.rounds_done = n
            metrics = {"accuracy": 0.8 + n / 100, "loss": 0.5 - n / 40}
            chain.append(
                session,
                kind="job.round",
                subject=f"job:{job.id}",
                payload={"round": n, "metrics": metrics},
                actor="space",
            )
        for n in range(events):
            chain.append(session, kind="bench.event", subject=f"bench:{n}", payload={"n": n}, actor="bench")
        _, secret = tokens.create_token(session, "bench operator", "operator")
        job_id = job.id
    engine.dispose()
    return {"token": secret, "job": job_id, "counts": counts, "seconds": round(time.perf_counter() - started, 1)}


# --- the server -----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serving(url: str, home: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {**os.environ, "RESONANCE_DATABASE_URL": url, "RESONANCE_HOME": str(home), "RESONANCE_API_CACHE": "0"}
    log = (home / "serve.log").open("ab")
    proc = subprocess.Popen([str(RESONANCE), "space", "serve", "--port", str(port)], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"the space exited with {proc.returncode}; see {home / 'serve.log'}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit("the space did not start within 90 s")
            time.sleep(0.3)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def timed(client: httpx.Client, path: str, repeat: int, pid: int, warmup: int = 2) -> dict[str, Any]:
    """Median and p95 milliseconds of ``repeat`` sequential GETs (after ``warmup``), and the server process's
    CPU milliseconds per request over them; every one must be 200."""
    from _pg import cpu_seconds

    for _ in range(warmup):
        client.get(path)
    cpu_before = cpu_seconds(pid)
    times = []
    size = 0
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"GET {path} answered {response.status_code}: {response.text[:300]}")
        size = len(response.content)
    cpu_after = cpu_seconds(pid)
    times.sort()
    cpu = (cpu_after - cpu_before) * 1000 / repeat if cpu_before is not None and cpu_after is not None else None
    return {
        "path": path,
        "cpu_ms": round(cpu, 1) if cpu is not None else None,
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 2),
        "bytes": size,
    }


FOR_SCALE = "*"  # not a page: a partial loaded after its page, shown for scale (it verifies every event)


def pages(job: int) -> list[tuple[str, str]]:
    """(name, path) of every page measured; a name ending in ``FOR_SCALE`` is measured but not held to the goal."""
    return [
        ("overview", "/web/"),
        ("industries", "/web/industries"),
        ("industry (steel)", "/web/industries/steel"),
        ("dataset catalog", "/web/datasets"),
        ("catalog search 轧钢", "/web/datasets?q=轧钢"),
        ("catalog search 质量检测", "/web/datasets?q=质量检测"),
        ("catalog page 100", "/web/datasets?page=100"),
        ("dataset ai4i-l (profile, 15 charts)", "/web/datasets/ai4i-l"),
        ("scenarios", "/web/scenarios"),
        ("scenario JS-MT-01", "/web/scenarios/JS-MT-01"),
        ("models", "/web/models"),
        ("model mt-failure", "/web/models/mt-failure"),
        ("leaderboards", "/web/leaderboards"),
        ("jobs", "/web/jobs"),
        ("job (10 rounds)", f"/web/jobs/{job}"),
        ("job progress partial", f"/web/jobs/{job}/progress"),
        ("contracts", "/web/contracts"),
        ("ledger (events page)", "/web/ledger"),
        ("ledger verify partial (all events) *", "/web/ledger/verify"),
        ("reports", "/web/reports"),
        ("TC609 map", "/web/conformance"),
    ]


def cold_progress_ms(url: str, repeat: int = 3) -> float:
    """What the overview costs after a registry write: ``rules.progress`` of every entity, in this process."""
    from datetime import date

    from resonance.registry import rules
    from resonance.registry.db import make_engine, make_sessionmaker, transaction

    engine = make_engine(url)
    times = []
    for _ in range(repeat):
        with transaction(make_sessionmaker(engine)) as session:
            start = time.perf_counter()
            rules.progress(session, lang="zh", today=date.today())
            times.append((time.perf_counter() - start) * 1000)
    engine.dispose()
    return round(statistics.median(times), 1)


def run(args: argparse.Namespace) -> int:
    from resonance.registry.db import upgrade

    with contextlib.ExitStack() as stack:
        if args.keep:  # a populated SQLite registry kept between runs (populating 10,000 rows takes minutes)
            tmp = Path(args.keep)
            tmp.mkdir(parents=True, exist_ok=True)
        else:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="web-bench-")))
        home = tmp / "home"
        kept = tmp / "world.json"
        if args.backend == "postgresql":
            from _pg import DEFAULT_ADMIN_URL, scratch_database, sqlalchemy_url

            dbname = stack.enter_context(
                scratch_database(args.pg_url or DEFAULT_ADMIN_URL, prefix="resonance_webbench")
            )
            url = sqlalchemy_url(args.pg_url or DEFAULT_ADMIN_URL, dbname)
        else:
            url = f"sqlite:///{tmp / 'registry.sqlite'}"
        os.environ["RESONANCE_HOME"] = str(home)  # the space key that signs the ledger events
        home.mkdir(exist_ok=True)
        if args.keep and args.backend == "sqlite" and kept.exists():
            world = json.loads(kept.read_text(encoding="utf-8"))
            print(f"reusing the registry in {tmp}: {world['counts']}", flush=True)
        else:
            upgrade(url)
            print(f"populating {args.rows:,} rows + {args.events:,} ledger events on {args.backend} …", flush=True)
            world = populate(url, args.rows, args.events, tmp / "node")
            print(f"  {world['counts']} in {world['seconds']} s", flush=True)
            if args.keep:
                kept.write_text(json.dumps(world), encoding="utf-8")
        base, pid = stack.enter_context(serving(url, home))
        cookies = {"rs_web_token": world["token"], "rs_lang": "zh"}
        headers = {"Authorization": f"Bearer {world['token']}"}
        with (
            httpx.Client(base_url=base, timeout=120, cookies=cookies) as web,
            httpx.Client(base_url=base, timeout=120, headers=headers) as api,
        ):

            def baselines() -> list[dict[str, Any]]:
                return [
                    timed(api, "/health", args.repeat, pid),
                    timed(api, "/api/v1/datasets?page_size=25", args.repeat, pid),
                ]

            before = baselines()
            results = [{"page": name, **timed(web, path, args.repeat, pid)} for name, path in pages(world["job"])]
            after = baselines()
        cold = cold_progress_ms(url)
    health = (before[0]["median_ms"] + after[0]["median_ms"]) / 2
    listing = (before[1]["median_ms"] + after[1]["median_ms"]) / 2
    for row in results:
        row["x_health"] = round(row["median_ms"] / health, 1)
        row["x_json_list"] = round(row["median_ms"] / listing, 2)
        row["meets_goal"] = row["median_ms"] < GOAL_MS or row["page"].endswith(FOR_SCALE)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load": os.getloadavg()},
        "backend": args.backend,
        "rows": world["counts"],
        "ledger_events": args.events + 10,
        "repeat": args.repeat,
        "baselines": {
            "health_ms": {"before": before[0]["median_ms"], "after": after[0]["median_ms"]},
            "json_list_ms": {"before": before[1]["median_ms"], "after": after[1]["median_ms"]},
            "health_cpu_ms": {"before": before[0]["cpu_ms"], "after": after[0]["cpu_ms"]},
            "json_list_cpu_ms": {"before": before[1]["cpu_ms"], "after": after[1]["cpu_ms"]},
        },
        "pages": results,
        "overview_cold_progress_ms": cold,
    }
    print(
        f"\nbaselines (median ms, before/after; server CPU ms per request): /health {before[0]['median_ms']}/"
        f"{after[0]['median_ms']} ({before[0]['cpu_ms']}/{after[0]['cpu_ms']}), "
        f"/api/v1/datasets?page_size=25 {before[1]['median_ms']}/{after[1]['median_ms']} "
        f"({before[1]['cpu_ms']}/{after[1]['cpu_ms']})"
    )
    print(
        f"{'page':40} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>7} {'× /health':>10} {'× JSON list':>12} {'KB':>7}"
        f"  goal < {GOAL_MS:.0f} ms"
    )
    for row in results:
        mark = "for scale" if row["page"].endswith(FOR_SCALE) else "ok" if row["meets_goal"] else "MISSED"
        print(
            f"{row['page']:40} {row['median_ms']:>10.1f} {row['p95_ms']:>8.1f} {row['cpu_ms'] or 0:>7.1f} "
            f"{row['x_health']:>10.1f} "
            f"{row['x_json_list']:>12.2f} {row['bytes'] / 1024:>7.1f}  {mark}"
        )
    print(
        f"overview after a registry write: + rules.progress of every entity, {cold:.1f} ms (median of 3, in-process;"
        " the page caches it until the registry generation or the day changes)"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0 if all(r["meets_goal"] for r in results) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="registry rows to add (default 10,000)")
    parser.add_argument("--events", type=int, default=2_000, help="ledger events to add (default 2,000)")
    parser.add_argument("--repeat", type=int, default=20, help="measured requests per page (default 20)")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=None, help="admin URL of the PostgreSQL server (default: the tests')")
    parser.add_argument("--json", default=None, help="also write every figure to this JSON file")
    parser.add_argument("--keep", default=None, help="SQLite only: populate this folder once and reuse it after")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
