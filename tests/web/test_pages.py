"""Every page as the operator sees it, with real content from the seeded registry, and bad input on each."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select
from webworld import add_round

from conftest import Site, text
from resonance.registry import models as m
from resonance.registry.db import transaction


@pytest.fixture
def op(site: Site):  # type: ignore[no-untyped-def]
    client = site.login("operator")
    client.cookies.set("rs_lang", "zh")
    return client


def rows(html: str, table_id: str | None = None) -> list[str]:
    """The body rows of the (first, or ``table_id``) table, as text without tags."""
    if table_id:
        html = html[html.index(f'id="{table_id}"') :]
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return [re.sub(r"<[^>]+>", " ", row) for row in body.split("<tr")[1:]]


def test_overview_shows_counts_deadlines_and_progress(site: Site, op) -> None:  # type: ignore[no-untyped-def]
    page = op.get("/web/")
    assert page.status_code == 200
    with transaction(site.sessions) as session:  # type: ignore[arg-type]
        datasets = session.scalar(select(func.count()).select_from(m.Dataset))
    tile = re.search(r'id="count-datasets"><span class="n">([\d,]+)</span>', page.text)
    assert tile is not None and int(tile.group(1)) == datasets == 7
    days = (date(2026, 11, 30) - date.today()).days
    expected = f"剩余 {days} 天" if days >= 0 else f"已过 {-days} 天"
    assert expected in page.text
    assert 'id="entity-jiangsu"' in page.text and 'id="entity-baowu-demo"' in page.text
    assert "每个行业高质量行业通识数据集不少于5个" in page.text  # the first entity's rule table is shown
    assert '<a class="skip" href="#main">跳到正文</a>' in page.text and '<main id="main"' in page.text


def test_overview_loads_an_entitys_rules_when_opened(op) -> None:  # type: ignore[no-untyped-def]
    page = op.get("/web/")
    assert 'hx-get="/web/progress/baowu-demo" hx-trigger="toggle from:closest details once"' in page.text
    partial = op.get("/web/progress/baowu-demo", headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.text
    table = rows(partial.text)
    assert len(table) == 9 and any("中央企业选定重点行业不少于1个" in r for r in table)
    unknown = op.get("/web/progress/atlantis")
    assert unknown.status_code == 404 and "no action entity with id or code 'atlantis'" in text(unknown)


def test_industries_lists_the_twenty_with_counts(op) -> None:  # type: ignore[no-untyped-def]
    page = op.get("/web/industries")
    body = rows(page.text, "industries")
    assert len(body) == 20
    steel = next(r for r in body if "钢铁" in r)
    numbers = [int(x) for x in re.findall(r"\b\d+\b", steel)]
    assert numbers[:3] == [1, 2, 3]  # position 1, selected by 2 entities, 3 datasets


def test_an_industry_page_lists_its_datasets_and_entities(op) -> None:  # type: ignore[no-untyped-def]
    page = op.get("/web/industries/steel")
    assert page.status_code == 200
    assert "热轧带钢表面缺陷图谱数据集" in page.text and "江苏省" in page.text and "示例中央企业集团" in page.text
    assert op.get("/web/industries/钢铁").status_code == 200  # by Chinese name too


def test_unknown_ids_are_404_pages_with_a_clear_message(op) -> None:  # type: ignore[no-untyped-def]
    for path, message in {
        "/web/industries/nope": "no industry with id or code 'nope'",
        "/web/datasets/nope@9": "no dataset with id or code 'nope@9'",
        "/web/scenarios/JS-XX-99": "no scenario with id or code 'JS-XX-99'",
        "/web/models/ghost": "no model with id or code 'ghost'",
        "/web/jobs/999999": "no job with id or code '999999'",
        "/web/contracts/424242": "no contract with id or code '424242'",
        "/web/ledger/999999": "no ledger event with id or code 999999",
        "/web/no/such/page": "no page at /web/no/such/page",
    }.items():
        page = op.get(path)
        assert page.status_code == 404, path
        assert message in text(page), path
        assert "未找到" in page.text and 'role="alert"' in page.text


def test_catalog_search_finds_the_steel_dataset_in_chinese_and_english(op) -> None:  # type: ignore[no-untyped-def]
    page = op.get("/web/datasets", params={"q": "轧钢"})
    assert page.status_code == 200
    found = rows(page.text)
    assert len(found) == 1 and "steel-common-1" in found[0]
    assert "共 1 条" in page.text
    english = rows(op.get("/web/datasets", params={"q": "surface defect"}).text)
    assert len(english) == 1 and "steel-common-1" in english[0]
    milling = rows(op.get("/web/datasets", params={"q": "milling"}).text)
    assert {re.search(r"(ai4i-[lmh])@1", r).group(1) for r in milling} == {"ai4i-l", "ai4i-m", "ai4i-h"}  # type: ignore[union-attr]


def test_catalog_filters_and_paging(op) -> None:  # type: ignore[no-untyped-def]
    steel = rows(op.get("/web/datasets", params={"industry": "steel"}).text)
    assert len(steel) == 3 and all("steel-common" in r for r in steel)
    kind = rows(op.get("/web/datasets", params={"kind": "specialised"}).text)
    assert len(kind) == 1 and "tool-wear-specialised" in kind[0]
    page2 = op.get("/web/datasets", params={"page": 2})
    assert page2.status_code == 200 and "没有找到匹配的条目" in page2.text  # 7 datasets fit on page 1


def test_catalog_htmx_requests_get_only_the_results(op) -> None:  # type: ignore[no-untyped-def]
    partial = op.get("/web/datasets", params={"q": "轧钢"}, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "<html" not in partial.text and "steel-common-1" in partial.text


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"kind": "bogus"}, 422, "is not a known dataset kind"),
        ({"industry": "atlantis"}, 422, "atlantis"),
        ({"q": "!!!"}, 422, "has no word to search for"),
        ({"q": "钢" * 201}, 422, "the search is 201 characters long"),
        ({"page": "0"}, 422, "page"),
        ({"page": "abc"}, 422, "page"),
    ],
)
def test_catalog_bad_query_parameters_are_explained(op, params, status, message) -> None:  # type: ignore[no-untyped-def]
    page = op.get("/web/datasets", params=params)
    assert page.status_code in (status, 404) if "industry" in params else page.status_code == status
    assert message in text(page)
    assert 'role="alert"' in page.text


def test_dataset_page_shows_profile_quality_and_charts(op) -> None:  # type: ignore[no-untyped-def]
    page = op.get("/web/datasets/ai4i-l@1")
    assert page.status_code == 200
    text = page.text
    grade = re.search(r'id="quality-grade">([A-E])<', text)
    assert grade is not None
    assert "完整性" in text and "唯一性" in text  # quality dimensions
    assert "Torque [Nm]" in text and "Air temperature [K]" in text  # profile columns
    assert text.count("Plotly.newPlot(") >= 1 + 10  # quality chart + a histogram per numeric column
    assert '<script src="/web/static/vendor/plotly.min.js"></script>' in text
    assert "王工" in text  # the officer who confirmed the grade
    other = op.get("/web/datasets/ai4i-m")
    assert other.status_code == 200 and 'id="no-profile"' in other.text and "Plotly.newPlot(" not in other.text


def test_scenario_page_shows_the_file_and_what_was_built_for_it(op) -> None:  # type: ignore[no-untyped-def]
    listing = rows(op.get("/web/scenarios", params={"industry": "工业母机"}).text)
    assert sum("JS-MT-" in r for r in listing) == 8
    assert all("参考示例" in r for r in listing if "REF-" in r)
    page = op.get("/web/scenarios/JS-MT-01")
    assert page.status_code == 200
    assert "数控机床刀具磨损预测与换刀决策" in page.text
    assert (
        "tool-wear-specialised" in page.text and "tool-wear-model" in page.text and "tool-wear-landing-1" in page.text
    )
    assert op.get("/web/scenarios", params={"stage": "nowhere"}).status_code == 422


def test_model_page_shows_lineage_and_a_round_chart(op) -> None:  # type: ignore[no-untyped-def]
    page = op.get("/web/models/mt-failure")
    assert page.status_code == 200
    final = rows(page.text, "final-metrics")
    assert any("accuracy" in r and "0.97" in r for r in final)
    assert page.text.count("Plotly.newPlot(") == 1
    assert '"x":[1,2,3,4,5]' in page.text.replace(" ", "")
    assert 'id="lineage"' in page.text and "ai4i-l" in page.text
    assert rows(op.get("/web/models", params={"kind": "specialised"}).text)[0].count("tool-wear-model") == 1


def test_leaderboards_without_and_with_evaluations(site: Site, op) -> None:  # type: ignore[no-untyped-def]
    page = op.get("/web/leaderboards")
    assert page.status_code == 200 and 'id="no-evaluations"' in page.text
    with transaction(site.sessions) as session:  # type: ignore[arg-type]
        ids = {
            c: session.scalar(select(m.ModelVersion.id).where(m.ModelVersion.code == c))
            for c in ("mt-failure", "tool-wear-model")
        }
        dataset = session.scalar(select(m.Dataset.id).where(m.Dataset.code == "ai4i-h"))
        evaluator = session.scalar(select(m.Organisation.id).where(m.Organisation.code == "evaluator"))
        results = [
            m.EvaluationResult(
                model_id=ids["mt-failure"],
                dataset_id=dataset,
                evaluator_org_id=evaluator,
                metrics={"f1": 0.61},
                signature="s",
            ),
            m.EvaluationResult(
                model_id=ids["tool-wear-model"],
                dataset_id=dataset,
                evaluator_org_id=evaluator,
                metrics={"f1": 0.83},
                signature="s",
            ),
        ]
        session.add_all(results)
    try:
        board = rows(op.get("/web/leaderboards").text)
        assert "tool-wear-model" in board[0] and "0.83" in board[0]  # ranked by f1, higher first
        assert "mt-failure" in board[1]
        assert "0.61" in op.get("/web/models/mt-failure").text
    finally:
        with transaction(site.sessions) as session:  # type: ignore[arg-type]
            for row in session.scalars(select(m.EvaluationResult)):
                session.delete(row)


def test_job_page_polls_while_running_and_shows_new_rounds(site: Site, op) -> None:  # type: ignore[no-untyped-def]
    job = site.world.job_id
    assert rows(op.get("/web/jobs").text)[0].count("mt-failure federated") == 1
    page = op.get(f"/web/jobs/{job}")
    assert f'hx-get="/web/jobs/{job}/progress" hx-trigger="every 1s"' in page.text
    assert 'id="rounds-done">2<' in page.text
    with transaction(site.sessions) as session:  # type: ignore[arg-type]
        add_round(session, job, 3)
    partial = op.get(f"/web/jobs/{job}/progress")
    assert "<html" not in partial.text and 'id="rounds-done">3<' in partial.text
    assert partial.text.count("Plotly.newPlot(") == 1 and '"x":[1,2,3]' in partial.text.replace(" ", "")
    with transaction(site.sessions) as session:  # type: ignore[arg-type]
        session.get(m.Job, job).status = "completed"  # type: ignore[union-attr]
    try:
        done = op.get(f"/web/jobs/{job}/progress")
        assert "hx-trigger" not in done.text and 'data-status="completed"' in done.text
    finally:
        with transaction(site.sessions) as session:  # type: ignore[arg-type]
            session.get(m.Job, job).status = "running"  # type: ignore[union-attr]
    assert op.get("/web/jobs/abc").status_code == 404
    assert op.get("/web/jobs", params={"page": "-1"}).status_code == 422


def test_contracts_list_and_page(site: Site, op) -> None:  # type: ignore[no-untyped-def]
    listing = rows(op.get("/web/contracts").text)
    assert len(listing) == 2
    page = op.get(f"/web/contracts/{site.world.contract_ids['mill']}")
    assert page.status_code == 200 and "FINALIZED" in page.text and "federatedTrain" in page.text
    assert len(rows(op.get("/web/contracts", params={"state": "finalized"}).text)) == 1


def test_ledger_verifies_and_browses_events(site: Site, op) -> None:  # type: ignore[no-untyped-def]
    page = op.get("/web/ledger")
    assert page.status_code == 200
    assert 'hx-get="/web/ledger/verify" hx-trigger="load"' in page.text
    with transaction(site.sessions) as session:  # type: ignore[arg-type]
        total = session.scalar(select(func.count()).select_from(m.LedgerEvent))
    assert len(rows(page.text, "events")) == min(total, 50)
    verify = op.get("/web/ledger/verify")
    assert 'data-ok="true"' in verify.text and f"{total} 个事件" in verify.text
    jobs_only = rows(op.get("/web/ledger", params={"kind": "job."}).text, "events")
    assert jobs_only and all("job.round" in r for r in jobs_only)
    assert op.get("/web/ledger", params={"kind": "x' OR 1=1"}).status_code == 422
    event = op.get("/web/ledger/1")
    assert event.status_code == 200 and "contract.requested" in event.text


def test_ledger_page_reports_a_tampered_event(site: Site, op) -> None:  # type: ignore[no-untyped-def]
    with transaction(site.sessions) as session:  # type: ignore[arg-type]
        event = session.get(m.LedgerEvent, 1)
        original = event.payload  # type: ignore[union-attr]
        event.payload = '{"forged":true}'  # type: ignore[union-attr]
    try:
        verify = op.get("/web/ledger/verify")
        assert 'data-ok="false"' in verify.text
        assert "seq 1" in verify.text and "edited after it was written" in verify.text
    finally:
        with transaction(site.sessions) as session:  # type: ignore[arg-type]
            session.get(m.LedgerEvent, 1).payload = original  # type: ignore[union-attr]


def test_reports_page_and_bad_download_requests(op) -> None:  # type: ignore[no-untyped-def]
    page = op.get("/web/reports")
    assert page.status_code == 200
    assert '<option value="jiangsu">' in page.text and '<option value="baowu-demo">' in page.text
    assert '<label for="r-kind">' in page.text
    assert "江苏省2026年" in page.text  # the registered plan
    for params, message in (
        ({"entity": "jiangsu", "kind": "weekly"}, "kind 'weekly' is not one of plan, phase, final"),
        ({"entity": "jiangsu", "lang": "fr"}, "lang 'fr' is not one of zh, en"),
        ({"entity": "jiangsu", "format": "pdf"}, "format 'pdf' is not one of docx, xlsx, markdown"),
    ):
        response = op.get("/web/reports/download", params=params)
        assert response.status_code == 422 and message in text(response)
    unknown = op.get("/web/reports/download", params={"entity": "atlantis"})
    assert unknown.status_code == 404 and "atlantis" in text(unknown)
    assert op.get("/web/reports/download").status_code == 422  # entity is required


def test_conformance_maps_seven_plus_five_functions(op) -> None:  # type: ignore[no-untyped-def]
    page = op.get("/web/conformance")
    platform = rows(page.text, "tc609-service_platform")
    assert len(platform) == 7 and len(rows(page.text, "tc609-access_connector")) == 5
    gateway = next(r for r in platform if "国际空间互通网关" in r)
    assert "不适用" in gateway
    assert "resonance.tokens" in platform[0] and "/web/login" in platform[0]


def test_static_assets_are_bundled(op) -> None:  # type: ignore[no-untyped-def]
    htmx = op.get("/web/static/vendor/htmx.min.js")
    assert htmx.status_code == 200 and htmx.text.startswith("/*! htmx 2.")
    plotly = op.get("/web/static/vendor/plotly.min.js")
    assert plotly.status_code == 200 and "plotly.js v" in plotly.text[:200]
    assert plotly.headers["cache-control"] == "public, max-age=86400"  # 4.8 MB: not fetched again for a day
    css = op.get("/web/static/app.css")
    assert css.status_code == 200 and css.headers["cache-control"] == "no-cache"
    assert op.get("/web/static/vendor/nothing.js").status_code == 404
    for path in ("/web/", "/web/datasets/ai4i-l", "/web/jobs/1"):
        assert not re.search(r'(src|href)="(https?:)?//', op.get(path).text), path  # no CDN, no external asset


@pytest.mark.parametrize(("fmt", "suffix"), [("docx", "docx"), ("xlsx", "xlsx"), ("markdown", "md")])
def test_reports_download_in_each_format(op, fmt: str, suffix: str) -> None:  # type: ignore[no-untyped-def]
    params = {"entity": "jiangsu", "kind": "phase", "lang": "zh", "format": fmt}
    response = op.get("/web/reports/download", params=params)
    assert response.status_code == 200
    assert f'filename="jiangsu-phase-zh.{suffix}"' in response.headers["content-disposition"]
    if fmt == "markdown":
        assert "江苏省" in response.content.decode("utf-8")
    else:
        assert response.content[:2] == b"PK"  # DOCX and XLSX are zip files


def test_overview_progress_follows_registry_writes(site: Site, op) -> None:  # type: ignore[no-untyped-def]
    def checks_met(html: str) -> str:
        found = re.search(r'id="entity-baowu-demo">.*?已达标检查项 (\d+/\d+)', html, re.S)
        assert found is not None
        return found.group(1)

    before = checks_met(op.get("/web/").text)
    assert checks_met(op.get("/web/").text) == before  # the cached evaluation, same answer
    with transaction(site.sessions) as session:  # type: ignore[arg-type]
        entity = session.scalar(select(m.ActionEntity.id).where(m.ActionEntity.code == "baowu-demo"))
        report = m.Report(entity_id=entity, kind="phase", title="示例阶段总结", status="submitted")
        report.submitted_on = date(2026, 8, 1)
        session.add(report)
    try:
        met, total = (int(x) for x in before.split("/"))
        assert checks_met(op.get("/web/").text) == f"{met + 1}/{total}"  # the write was seen at once
    finally:
        with transaction(site.sessions) as session:  # type: ignore[arg-type]
            session.delete(session.scalars(select(m.Report).where(m.Report.title == "示例阶段总结")).one())
    assert checks_met(op.get("/web/").text) == before


def test_job_page_shows_each_providers_contribution(site: Site, op) -> None:  # type: ignore[no-untyped-def]
    job = site.world.job_id
    found = {
        "available": True,
        "method": "shapley_exact_per_round",
        "players": ["node-h", "node-l"],
        "orgs": {"node-h": "mill-h", "node-l": "mill-l"},
        "shapley": {"node-h": 0.004, "node-l": 0.021},
        "leave_one_out": {"node-h": -0.001, "node-l": 0.012},
        "share": {"node-h": 0.16, "node-l": 0.84},
        "gain": 0.025,
        "rounds": 2,
        "evaluations": 8,
        "trainings": 0,
    }
    with transaction(site.sessions) as session:  # type: ignore[arg-type]
        row = session.get(m.Job, job)
        before = dict(row.spec or {})  # type: ignore[union-attr]
        row.spec = {**before, "contribution": found}  # type: ignore[union-attr]
    try:
        zh = op.get(f"/web/jobs/{job}").text
        assert "贡献度" in zh and "留一法" in zh
        op.cookies.set("rs_lang", "en")
        page = op.get(f"/web/jobs/{job}").text
        section = page[page.index('id="contribution"') :]
        table = rows(section)
        assert "mill-l" in table[0] and "+0.0210" in table[0] and "84%" in table[0]  # largest first
        assert "mill-h" in table[1] and "-0.0010" in table[1]
        assert "+0.0250" in section and "Plotly.newPlot(" in section
        with transaction(site.sessions) as session:  # type: ignore[arg-type]
            hidden = {"available": False, "reason": "SecAgg+ hides each node's update from the space, by design"}
            session.get(m.Job, job).spec = {**before, "contribution": hidden}  # type: ignore[union-attr]
        page = op.get(f"/web/jobs/{job}").text
        assert "No contribution estimate" in page and "SecAgg+ hides" in page
    finally:
        op.cookies.set("rs_lang", "zh")
        with transaction(site.sessions) as session:  # type: ignore[arg-type]
            session.get(m.Job, job).spec = before  # type: ignore[union-attr]
