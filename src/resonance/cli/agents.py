"""``resonance agents``: register signed AgentCards, list/show/verify agents, serve MCP, run and score the demo agent.

The CLI works on the space's own registry as its operator (like every space-side command); the same
registration over HTTP with a developer's token is ``POST /api/v1/agents/register``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from resonance.cli._common import JSON_OPTION, console, handle_errors, print_json, print_table, registry_session
from resonance.errors import ResonanceError
from resonance.permissions import Principal

app = typer.Typer(no_args_is_help=True)
CLI = Principal(role="operator", token_name="cli")


def _read_card(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except FileNotFoundError:
        raise ResonanceError(
            what=f"no file {path}", where=str(path), fix="give the path of the AgentCard JSON"
        ) from None
    except UnicodeDecodeError:
        raise ResonanceError(
            what="the card is not UTF-8 text", where=str(path), fix="save the card as UTF-8 JSON", code="invalid_card"
        ) from None
    except json.JSONDecodeError as exc:
        raise ResonanceError(
            what=f"the card is not valid JSON: {exc.msg}",
            where=f"{path}, line {exc.lineno}, column {exc.colno}",
            fix="fix the JSON syntax",
            code="invalid_card",
        ) from None
    if not isinstance(data, dict):
        raise ResonanceError(what="the card must be a JSON object", where=str(path), code="invalid_card")
    return data


def _signed(path: Path, key: Path | None, sign: bool) -> dict[str, Any]:
    from resonance.agents import cards, keys

    data = _read_card(path)
    if not sign:
        return data
    code = cards.parse(data, require_signature=False).facts.code
    key_path = key or keys.default_key_path(code)
    private = keys.ensure_key(key_path) if key is None else keys.load_key(key_path)
    return cards.sign(data, private)


@app.command("register")
@handle_errors
def register_command(
    card: Path = typer.Argument(..., help="the AgentCard (A2A JSON) with the Resonance extension"),
    key: Path | None = typer.Option(
        None, "--key", help="the agent's Ed25519 key (PEM); default <home>/agents/CODE/agent.key, created if missing"
    ),
    no_sign: bool = typer.Option(False, "--no-sign", help="the card is already signed: register it as it is"),
    out: Path | None = typer.Option(None, "--out", help="also write the signed card here"),
    json_out: bool = JSON_OPTION,
) -> None:
    """Sign a card with the agent's key, verify it, and register the agent."""
    from resonance.agents import registration

    signed = _signed(card, key, not no_sign)
    with registry_session() as session:
        row = registration.register(session, CLI, signed)
        view = registration.view(session, row)
    if out:
        out.write_text(json.dumps(signed, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if json_out:
        print_json(view)
    else:
        console.print(f"registered agent {view['code']} (key {view['kid']}) → {view['endpoint']}")


@app.command("update")
@handle_errors
def update_command(
    code: str = typer.Argument(..., help="the agent's code"),
    card: Path = typer.Argument(..., help="the new AgentCard"),
    key: Path | None = typer.Option(None, "--key", help="the agent's registered key (default: in the home)"),
    no_sign: bool = typer.Option(False, "--no-sign", help="the card is already signed"),
    json_out: bool = JSON_OPTION,
) -> None:
    """Replace an agent's card; it must be signed by the key the agent was registered with."""
    from resonance.agents import keys, registration

    if not no_sign and key is None and not keys.default_key_path(code).exists():
        raise ResonanceError(
            what=f"no key for agent {code} at {keys.default_key_path(code)}",
            where="--key",
            fix="pass --key with the key the agent was registered with",
        )
    signed = _signed(card, key, not no_sign)
    with registry_session() as session:
        view = registration.view(session, registration.update(session, CLI, code, signed))
    if json_out:
        print_json(view)
    else:
        console.print(f"updated agent {view['code']} (key {view['kid']})")


@app.command("list")
@handle_errors
def list_command(
    q: str | None = typer.Option(None, "-q", "--query", help="search words (Chinese or English)"),
    scenario: str | None = typer.Option(None, "--scenario", help="only agents of this scenario"),
    json_out: bool = JSON_OPTION,
) -> None:
    """Registered agents, with their key and models."""
    from resonance.agents import registration
    from resonance.registry import services

    filters = {"scenario": scenario} if scenario else {}
    with registry_session() as session:
        page = services.list_page(session, registration.AGENTS, filters, q, 1, 500)
        views = [registration.view(session, registration.find(session, item["code"])) for item in page.items]
    if json_out:
        print_json(views)
        return
    rows = [
        (v["code"], v["name_zh"], v["organisation"], v["scenario"], ", ".join(v["models"]), v["kid"][:12])
        for v in views
    ]
    print_table("智能体 agents", ["code", "name", "organisation", "scenario", "models", "key"], rows)


@app.command("show")
@handle_errors
def show_command(code: str = typer.Argument(...), json_out: bool = JSON_OPTION) -> None:
    """One agent and its signed card."""
    from resonance.agents import registration

    with registry_session() as session:
        row = registration.find(session, code)
        view = {**registration.view(session, row), "card": row.card}
    if json_out:
        print_json(view)
    else:
        for name in ("code", "name_zh", "name_en", "organisation", "industry", "scenario", "endpoint", "kid", "models"):
            console.print(f"{name}: {view[name]}", highlight=False)


@app.command("verify")
@handle_errors
def verify_command(
    code: str | None = typer.Argument(None, help="one agent (default: all)"), json_out: bool = JSON_OPTION
) -> None:
    """Re-verify stored cards: signature under the registered key, and the registry row against the card."""
    from sqlalchemy import select

    from resonance.agents import registration
    from resonance.registry import models as m

    with registry_session() as session:
        rows = (
            [registration.find(session, code)]
            if code
            else list(session.scalars(select(m.Agent).order_by(m.Agent.code)))
        )
        checks = [registration.check(session, row) for row in rows]
    if json_out:
        print_json([c.as_dict() for c in checks])
    else:
        for c in checks:
            console.print(f"{'ok ' if c.ok else 'BAD'} {c.code} {c.kid[:12]} {'; '.join(c.problems)}", highlight=False)
    if any(not c.ok for c in checks):
        raise typer.Exit(1)


@app.command("mcp")
@handle_errors
def mcp_command(
    transport: str = typer.Option("stdio", "--transport", help="stdio (token from RESONANCE_TOKEN) or http"),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8766, "--port", help="HTTP port; the endpoint is http://HOST:PORT/mcp"),
) -> None:
    """Serve the MCP tools (catalog search, dataset cards, model predictions, leaderboards)."""
    from resonance.agents import mcp_server

    if transport not in ("stdio", "http"):
        raise ResonanceError(what=f"unknown transport {transport!r}", where="--transport", fix="use stdio or http")
    space = mcp_server.open_space()
    if transport == "stdio":
        mcp_server.serve_stdio(space)
    else:
        mcp_server.serve_http(space, host, port)


@app.command("diagnose")
@handle_errors
def diagnose_command(
    reading: str = typer.Argument(..., help="a JSON object of sensor readings, or @FILE"),
    url: str = typer.Option(..., "--url", help="the MCP endpoint, e.g. http://127.0.0.1:8766/mcp"),
    token: str = typer.Option(..., "--token", envvar="RESONANCE_TOKEN", help="API token"),
    model: str = typer.Option("mt-failure", "--model"),
    lang: str = typer.Option("zh", "--lang", help="zh or en"),
    json_out: bool = JSON_OPTION,
) -> None:
    """Run the predictive-maintenance agent on one reading, calling the model through MCP."""
    from resonance.agents import maintenance

    text = Path(reading[1:]).read_text(encoding="utf-8") if reading.startswith("@") else reading
    try:
        values = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResonanceError(
            what=f"the reading is not JSON: {exc.msg}", where="READING", fix="pass a JSON object"
        ) from None
    advice = maintenance.diagnose_sync(maintenance.http_connection(url, token), model, values)
    if json_out:
        print_json(advice.as_dict())
    else:
        console.print(advice.text(lang), highlight=False)


@app.command("demo")
@handle_errors
def demo_command(
    home: Path | None = typer.Option(
        None, "--home", help="a demo space built by `resonance demo` (default: <home>/demo)"
    ),
    model: str = typer.Option("mt-failure", "--model", help="the model version the agent uses"),
    lang: str = typer.Option("zh", "--lang", help="zh or en"),
    json_out: bool = JSON_OPTION,
) -> None:
    """The demo's agent act on a demo space: register the signed agent, serve MCP, diagnose, score."""
    from resonance.demo.agent import run_agent
    from resonance.demo.world import space_home
    from resonance.settings import get_settings

    home = home or get_settings().home / "demo"
    database = home / "registry.sqlite"
    if not database.is_file():
        raise ResonanceError(
            what=f"no demo space at {home}", where="--home", fix="build one with `resonance demo` first"
        )
    with space_home(home):
        summary = run_agent(home, f"sqlite:///{database}", model=model, step=lambda s: console.print(f"▸ {s}"))
    if json_out:
        print_json(summary)
        return
    for example in summary["examples"]:
        console.print(f"{example['case']}: {example['text_' + ('zh' if lang == 'zh' else 'en')]}", highlight=False)
    score = summary["score"]["action_accuracy"]
    console.print(
        f"agent {summary['agent']} on {summary['score']['n_cases']} scenario cases: action accuracy "
        f"{score['value']:.2f} (95% CI {score['low']:.2f}–{score['high']:.2f}), evaluation {summary['evaluation']}"
    )
