"""``resonance data``: register local data at this node, analyse it there, confirm its grade, publish metadata only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
import yaml
from sqlalchemy.orm import Session

from resonance.cli._common import console, err_console, handle_errors, print_json, print_table
from resonance.cli.node import HOME_OPTION, node_home
from resonance.errors import ResonanceError
from resonance.node import catalog
from resonance.node.home import NodeHome
from resonance.node.sources import is_database_url, open_source
from resonance.registry.db import transaction

app = typer.Typer(no_args_is_help=True)
JSON = typer.Option(False, "--json", help="print machine-readable JSON")


@contextmanager
def local_catalog(home: NodeHome) -> Iterator[Session]:
    home.load()  # refuses a missing node with the fix
    with transaction(catalog.open_catalog(home.catalog_url)) as session:
        yield session


def _open(row: catalog.LocalDataset, home: NodeHome):  # type: ignore[no-untyped-def]
    return open_source(row.location, table=row.table, workdir=home.workdir)


def _declared(path: Path | None) -> Any:
    if path is None:
        return None
    from resonance.node.quality import DeclaredSchema

    try:
        return DeclaredSchema.from_dict(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except FileNotFoundError:
        raise ResonanceError(what=f"no file {path}", fix="give the path of the declared-schema YAML") from None


def _analyse(row: catalog.LocalDataset, home: NodeHome, declared: Path | None, label: str | None, quiet: bool) -> None:
    from resonance.node import pipeline
    from resonance.node.profiler import rich_progress

    with _open(row, home) as source, rich_progress(f"analysing {row.code}", console=err_console) as progress:
        result = pipeline.analyse(
            source,
            declared=_declared(declared),
            label_column=label,
            category=row.registry_fields.get("category"),
            progress=None if quiet else progress,
        )
        row.fingerprint = source.fingerprint()
    row.profile = result.profile.as_dict()
    row.quality = result.quality.as_dict()
    row.sensitivity = [s.as_dict() for s in result.sensitivity]
    row.grade_proposal = result.proposal.as_dict()
    row.grade_decision = None  # a new analysis needs a new confirmation
    row.status = "analysed"


@app.command("add")
@handle_errors
def add(
    source: str = typer.Argument(..., help="CSV/TSV/Parquet/XLSX file, a folder of CSV shards, or a SQLAlchemy URL"),
    code: str = typer.Option(..., "--code", help="stable code of the dataset in the space"),
    name_zh: str = typer.Option(..., "--name-zh", help="数据集名称"),
    kind: str = typer.Option(
        ..., "--kind", help="通识 / 行业通识 / 行业专识 / 评测 (or general/common/specialised/evaluation)"
    ),
    industry: str = typer.Option(..., "--industry", help="one of the 20 industries (code or 中文)"),
    name_en: str = typer.Option("", "--name-en"),
    version: str = typer.Option("1", "--version"),
    table: str | None = typer.Option(None, "--table", help="table (SQL source) or sheet (XLSX)"),
    category: str | None = typer.Option(None, "--category", help="研发 / 生产运行 / 管理 / 运维 / 业务服务 / 外部"),
    entity: str | None = typer.Option(None, "--entity", help="action entity it is reported under"),
    scenario: str | None = typer.Option(None, "--scenario", help="scenario code (行业专识 datasets)"),
    licence: str = typer.Option("", "--licence"),
    description: str = typer.Option("", "--description"),
    label: str | None = typer.Option(None, "--label", help="label column, for the accuracy estimate"),
    declared: Path | None = typer.Option(None, "--declared", help="YAML of declared ranges/units/regexes/enums"),
    analyse: bool = typer.Option(True, "--analyse/--no-analyse", help="profile, score and grade now"),
    home: Path | None = HOME_OPTION,
    json_out: bool = JSON,
) -> None:
    """Register a local source WITHOUT copying it, then analyse it here (profile, quality, sensitivity)."""
    from resonance.registry.vocabularies import normalise

    target = node_home(home)
    location = source if is_database_url(source) else str(Path(source).expanduser().resolve())
    registry = {
        "code": code,
        "version": version,
        "name_zh": name_zh,
        "name_en": name_en,
        "description": description,
        "kind": normalise("dataset_kind", kind, where="--kind"),
        "industry": industry,
        "entity": entity,
        "scenario": scenario,
        "licence": licence,
        "category": normalise("data_category", category, where="--category") if category else None,
    }
    with _open_check(location, table, target) as (kind_of_source, fingerprint), local_catalog(target) as session:
        row = catalog.add(
            session,
            code=code,
            version=version,
            location=location,
            table=table,
            source_kind=kind_of_source,
            fingerprint=fingerprint,
            registry_fields=registry,
        )
        if analyse:
            _analyse(row, target, declared, label, quiet=json_out)
        summary = catalog.summary(row)
    if json_out:
        print_json(summary)
    else:
        console.print(
            f"registered {code}@{version} ({summary['source_kind']}) at this node; nothing was copied."
            + (
                f" {summary['rows']} rows, quality {summary['quality_grade']}, proposed grade "
                f"{summary['sensitivity_level']}."
                if analyse
                else ""
            )
        )


@contextmanager
def _open_check(location: str, table: str | None, home: NodeHome) -> Iterator[tuple[str, str]]:
    with open_source(location, table=table, workdir=home.workdir) as src:
        facts = (src.kind, src.fingerprint())
    yield facts


@app.command("list")
@handle_errors
def list_(home: Path | None = HOME_OPTION, json_out: bool = JSON) -> None:
    """This node's datasets (local view: paths included, as this never leaves the node)."""
    with local_catalog(node_home(home)) as session:
        rows = [catalog.summary(r) for r in catalog.all_datasets(session)]
    if json_out:
        print_json(rows)
        return
    print_table(
        f"local datasets — {len(rows)}",
        ["code", "version", "kind", "rows", "quality", "grade", "status"],
        [
            [
                r["code"],
                r["version"],
                r["source_kind"],
                r["rows"],
                r["quality_grade"],
                r["sensitivity_level"],
                r["status"],
            ]
            for r in rows
        ],
    )


@app.command("show")
@handle_errors
def show(code: str, home: Path | None = HOME_OPTION, json_out: bool = JSON) -> None:
    """One local dataset with its profile, quality report, sensitivity scan and grade."""
    with local_catalog(node_home(home)) as session:
        row = catalog.get(session, code)
        out = {
            **catalog.summary(row),
            "profile": row.profile,
            "quality": row.quality,
            "sensitivity": row.sensitivity,
            "grade_proposal": row.grade_proposal,
            "grade_decision": row.grade_decision,
        }
    if json_out:
        print_json(out)
        return
    quality = row.quality or {}
    print_table(
        f"{row.code}@{row.version}",
        ["dimension", "score", "reason"],
        [[d["name_zh"], d["score"], d["reason_zh"]] for d in quality.get("dimensions", [])],
    )
    console.print(
        f"overall {quality.get('overall')} → grade {quality.get('grade')}; "
        f"proposed sensitivity: {(row.grade_proposal or {}).get('level', {}).get('zh')}"
    )


@app.command("analyse")
@handle_errors
def analyse_cmd(
    code: str,
    label: str | None = typer.Option(None, "--label"),
    declared: Path | None = typer.Option(None, "--declared"),
    home: Path | None = HOME_OPTION,
    json_out: bool = JSON,
) -> None:
    """Profile, score and grade again (e.g. after the data or the declared schema changed)."""
    target = node_home(home)
    with local_catalog(target) as session:
        row = catalog.get(session, code)
        _analyse(row, target, declared, label, quiet=json_out)
        out = catalog.summary(row)
    print_json(out) if json_out else console.print(f"{code}: {out['rows']} rows, quality {out['quality_grade']}")


@app.command("grade")
@handle_errors
def grade_cmd(code: str, home: Path | None = HOME_OPTION, json_out: bool = JSON) -> None:
    """The proposed sensitivity grade (GB/T 43697 一般/重要/核心) with its reasons, and any confirmation."""
    with local_catalog(node_home(home)) as session:
        row = catalog.get(session, code)
        proposal, decision = row.grade_proposal, row.grade_decision
    if proposal is None:
        raise ResonanceError(what=f"{code} has not been analysed", fix=f"run `resonance data analyse {code}`")
    if json_out:
        print_json({"proposal": proposal, "decision": decision})
        return
    console.print(f"proposed: {proposal['level']['zh']} ({proposal['level']['key']})")
    for reason in proposal["reasons"]:
        console.print(
            f"  - [{reason['rule']}] {reason['zh']}" + (f" (列 {reason['column']})" if reason["column"] else "")
        )
    console.print(
        f"confirmed by {decision['officer']}: {decision['level']['zh']}"
        if decision
        else f"not confirmed: `resonance data confirm-grade {code} --officer 姓名`"
    )


@app.command("confirm-grade")
@handle_errors
def confirm_grade(
    code: str,
    officer: str = typer.Option(..., "--officer", help="the named data-security officer (数据安全负责人)"),
    level: str | None = typer.Option(None, "--level", help="final level if not the proposed one"),
    justification: str | None = typer.Option(None, "--justification", help="required to lower the level"),
    home: Path | None = HOME_OPTION,
    json_out: bool = JSON,
) -> None:
    """The data-security officer confirms (or changes, with a written justification) the proposed grade."""
    from resonance.node.pipeline import proposal_from_dict
    from resonance.node.sensitivity.grading import confirm

    with local_catalog(node_home(home)) as session:
        row = catalog.get(session, code)
        if row.grade_proposal is None:
            raise ResonanceError(what=f"{code} has no grade proposal yet", fix=f"run `resonance data analyse {code}`")
        decision = confirm(proposal_from_dict(row.grade_proposal), officer, level, justification)
        row.grade_decision = decision.as_dict()
        row.status = "graded"
        out = row.grade_decision
    print_json(out) if json_out else console.print(f"{code}: {out['level']['zh']}, confirmed by {officer}")


@app.command("card")
@handle_errors
def card_cmd(
    code: str,
    template: Path | None = typer.Option(None, "--template", help="write a starter card (YAML) to fill in"),
    set_: Path | None = typer.Option(None, "--set", help="store this card (YAML) for the dataset"),
    lang: str = typer.Option("zh", "--lang"),
    home: Path | None = HOME_OPTION,
) -> None:
    """The dataset card (数据集说明书): write a template, store a filled-in card, or print it as Markdown."""
    from resonance.node import card as cards
    from resonance.node.pipeline import starter_card

    target = node_home(home)
    with local_catalog(target) as session:
        row = catalog.get(session, code)
        if row.profile is None:
            raise ResonanceError(what=f"{code} has not been analysed", fix=f"run `resonance data analyse {code}`")
        if template is not None:
            card = cards.parse_card(
                starter_card(row.registry_fields, row.profile, target.load().org, row.grade_decision)
            )
            cards.save_card(card, template)
            console.print(
                f"starter card written to {template}; fill it in, then `resonance data card {code} --set {template}`"
            )
            return
        if set_ is not None:
            row.card = cards.load_card(set_).model_dump(mode="json")
        if row.card is None:
            raise ResonanceError(
                what=f"{code} has no card yet", fix=f"write one with `resonance data card {code} --template card.yaml`"
            )
        card = cards.parse_card(row.card)
    score = cards.completeness(card)
    console.print(cards.render_markdown(card, lang=lang), markup=False, highlight=False)
    console.print(f"completeness {score.overall:.0%}; missing: " + "; ".join(score.missing_text(lang)[:8]))


@app.command("publish")
@handle_errors
def publish(code: str, home: Path | None = HOME_OPTION, json_out: bool = JSON) -> None:
    """Send the card, profile, quality report and confirmed grade to the space — never a row."""
    from resonance.node import pipeline
    from resonance.node.client import SpaceClient, canonical_json

    target = node_home(home)
    with local_catalog(target) as session:
        row = catalog.get(session, code)
        if row.profile is None or row.quality is None:
            raise ResonanceError(what=f"{code} has not been analysed", fix=f"run `resonance data analyse {code}`")
        payload = pipeline.publish_payload(
            row.registry_fields,
            fingerprint=row.fingerprint,
            profile_dict=row.profile,
            quality=row.quality,
            decision=row.grade_decision,
            card=row.card,
            sensitivity=row.sensitivity or [],
        )
        with SpaceClient(target) as client:
            reply = client.publish(payload)
        import hashlib

        row.status, row.published_at = "published", datetime.now(UTC)
        row.published_sha256 = hashlib.sha256(canonical_json(payload)).hexdigest()
    print_json(reply) if json_out else console.print(
        f"published {reply['code']}@{reply['version']} to the space (metadata only, {len(canonical_json(payload))} "
        f"bytes)"
    )


@app.command("export")
@handle_errors
def export(
    code: str,
    fmt: str = typer.Option("dcat", "--format", help="dcat (DCAT 3 JSON-LD) or croissant (Croissant 1.1)"),
    out: Path | None = typer.Option(None, "--out", help="file to write (default: print)"),
    base_uri: str = typer.Option("https://resonance.example/datasets/", "--base-uri"),
    home: Path | None = HOME_OPTION,
) -> None:
    """Export a dataset's metadata as DCAT 3 or Croissant 1.1 JSON-LD."""
    from resonance.node import card as cards
    from resonance.node.exports import croissant, dcat
    from resonance.node.pipeline import published_profile

    target = node_home(home)
    with local_catalog(target) as session:
        row = catalog.get(session, code)
        if row.card is None or row.profile is None:
            raise ResonanceError(
                what=f"{code} needs an analysis and a card first",
                fix=f"`resonance data analyse {code}`, then `resonance data card {code} --template …`",
            )
        card, prof = cards.parse_card(row.card), published_profile(row.profile)
        dataset_id = f"{row.code}@{row.version}"
        if fmt == "dcat":
            doc = dcat.to_dcat(
                card, prof, dataset_id=dataset_id, base_uri=base_uri, publisher=target.load().org, quality=row.quality
            )
        elif fmt == "croissant":
            doc = croissant.to_croissant(card, prof, dataset_id=dataset_id, base_uri=base_uri, sha256=row.fingerprint)
        else:
            raise ResonanceError(what=f"unknown format {fmt!r}", fix="use --format dcat or --format croissant")
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    if out is None:
        print(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        console.print(f"{fmt} JSON-LD written to {out}")


@app.command("filing")
@handle_errors
def filing_cmd(
    code: str,
    reference: str | None = typer.Option(None, "--reference", help="重要数据目录备案编号"),
    risk_assessed_on: str | None = typer.Option(None, "--risk-assessed-on", help="last risk assessment, YYYY-MM-DD"),
    source: str | None = typer.Option(None, "--source", help="数据来源"),
    carrier: str | None = typer.Option(None, "--carrier", help="载体 (system, storage)"),
    purpose: str | None = typer.Option(None, "--purpose", help="处理目的和方式"),
    scope: str | None = typer.Option(None, "--scope", help="使用范围"),
    responsible: str | None = typer.Option(None, "--responsible", help="责任主体"),
    protection: str | None = typer.Option(None, "--protection", help="安全保护措施"),
    home: Path | None = HOME_OPTION,
    json_out: bool = JSON,
) -> None:
    """Record the filing facts (备案) of a dataset; 重要 data needs a reference and a recent risk assessment."""
    from resonance.node.filing import Filing
    from resonance.registry.services import parse

    given = {
        "reference": reference,
        "risk_assessed_on": risk_assessed_on,
        "source": source,
        "carrier": carrier,
        "purpose": purpose,
        "scope": scope,
        "responsible": responsible,
        "protection": protection,
    }
    with local_catalog(node_home(home)) as session:
        row = catalog.get(session, code)
        merged = {**(row.filing or {}), **{k: v for k, v in given.items() if v is not None}}
        row.filing = parse(Filing, merged, where=f"filing of {code}").model_dump(mode="json")
        out = row.filing
    print_json(out) if json_out else console.print(f"filing facts of {code} recorded")


@app.command("filing-table")
@handle_errors
def filing_table(
    out: Path = typer.Option(..., "--out", help="output .xlsx or .csv"),
    all_levels: bool = typer.Option(False, "--all", help="include 一般 data (default: 重要 and 核心 only)"),
    lang: str = typer.Option("zh", "--lang"),
    home: Path | None = HOME_OPTION,
) -> None:
    """Export the 重要数据目录 filing table of this node's datasets."""
    from resonance.node.filing import row_for, write_table

    with local_catalog(node_home(home)) as session:
        rows = []
        for row in catalog.all_datasets(session):
            level = catalog.summary(row)["sensitivity_level"]
            if all_levels or level in ("important", "core"):
                rows.append(
                    row_for(
                        f"{row.code}@{row.version}",
                        row.registry_fields,
                        row.profile,
                        row.grade_decision or row.grade_proposal,
                        row.filing,
                    )
                )
    write_table(rows, out, lang)
    console.print(f"{len(rows)} dataset(s) written to {out}")


@app.command("offer-check")
@handle_errors
def offer_check(code: str, home: Path | None = HOME_OPTION, json_out: bool = JSON) -> None:
    """May this dataset be offered for federated use? (核心 needs an override; 重要 needs filing + assessment)."""
    from resonance.node.pipeline import decision_from_dict
    from resonance.node.sensitivity.grading import may_offer_for_federated_use

    with local_catalog(node_home(home)) as session:
        row = catalog.get(session, code)
        if row.grade_decision is None:
            raise ResonanceError(
                what=f"the grade of {code} is not confirmed",
                fix=f"`resonance data confirm-grade {code} --officer 姓名`",
            )
        filing = row.filing or {}
        allowed, reason = may_offer_for_federated_use(
            decision_from_dict(row.grade_decision), filing.get("reference"), filing.get("risk_assessed_on")
        )
    if json_out:
        print_json({"code": code, "allowed": allowed, "reason": reason})
    else:
        console.print(("allowed: " if allowed else "refused: ") + reason)
    if not allowed:
        raise typer.Exit(1)
