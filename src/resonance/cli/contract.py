"""``resonance contract``: 数字合约 negotiation (Dataspace Protocol states), dataset usage policies, ε and metering.

Each step is taken as the party the Dataspace Protocol assigns it (request/accept/verify: the consumer;
offer/agree/finalize: the provider); this command runs on the space with the registry open, like the other
registry commands. ``list`` is the generic registry listing (filters: dataset, consumer, provider, state).
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Any

import typer

from resonance.cli import registry_commands
from resonance.cli._common import console, handle_errors, print_json, print_table, registry_session
from resonance.errors import ResonanceError
from resonance.registry.concepts import CONCEPTS

app = typer.Typer(no_args_is_help=True)

# the generic `list` of the registry concept, unchanged, so scripts that used it keep working
_generic = registry_commands.build(CONCEPTS["contracts"])
app.registered_commands.extend(c for c in _generic.registered_commands if c.name == "list")

JSON_OUT = typer.Option(False, "--json", help="print machine-readable JSON")
POLICY_FILE = typer.Option(None, "--policy", help="an ODRL policy as a JSON-LD file (see docs/contracts.md)")


def _actor(party: str) -> str:
    return f"{party} via CLI ({getpass.getuser()})"


def _load(path: Path | None) -> Any:
    if path is None:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResonanceError(
            what=f"no file {path}", where="--policy", fix="give the path of a JSON-LD policy"
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ResonanceError(
            what=f"{path} is not UTF-8 JSON: {exc}", where="--policy", fix="write the policy as JSON-LD"
        ) from None


def _print(item: dict[str, Any], json_out: bool) -> None:
    if json_out:
        print_json(item)
        return
    console.print(
        f"contract {item['id']}: {item['state']} ({item['state_zh']}) — {item['dataset']} from {item['provider']} "
        f"to {item['consumer']} for {item['purpose_kind']} {item['purpose']}; "
        f"next: {', '.join(item['next_steps']) or 'none'}"
    )


@app.command("request")
@handle_errors
def request(
    dataset: str = typer.Argument(..., help="the dataset, CODE@VERSION"),
    consumer: str = typer.Option(..., "--consumer", help="the consumer organisation (code)"),
    purpose: str = typer.Option(..., "--purpose", help="scenario:CODE or model:CODE the data will serve"),
    operation: list[str] = typer.Option(["federatedTrain"], "--operation", help="federatedTrain and/or evaluate"),
    max_rounds: int | None = typer.Option(None, "--max-rounds", help="rounds cap over every job"),
    epsilon: float | None = typer.Option(None, "--epsilon", help="differential-privacy ε budget"),
    min_nodes: int = typer.Option(1, "--min-nodes", help="fewest nodes in one aggregation"),
    expires: str | None = typer.Option(None, "--expires", help="expiry, ISO 8601, e.g. 2027-06-30T00:00:00Z"),
    policy: Path | None = POLICY_FILE,
    json_out: bool = JSON_OUT,
) -> None:
    """The consumer asks for a contract on a dataset (state REQUESTED); terms from flags or a --policy file."""
    from resonance.policy import contracts

    with registry_session() as session:
        row = contracts.request(
            session,
            dataset=dataset,
            consumer=consumer,
            purpose=purpose,
            actor=_actor("consumer"),
            operations=operation,
            max_rounds=max_rounds,
            epsilon_budget=epsilon,
            min_nodes=min_nodes,
            expires_at=expires,
            policy=_load(policy),
        )
        item = contracts.as_dict(session, row)
    _print(item, json_out)


def _step(step: str, contract_id: str, json_out: bool, policy: Any = None, reason: str = "", party: str = "") -> None:
    from resonance.policy import contracts, negotiation

    who = party or negotiation.who(step)[0]
    with registry_session() as session:
        row = contracts.transition(
            session, contract_id, step, party=who, actor=_actor(who), policy=policy, reason=reason
        )  # type: ignore[arg-type]
        item = contracts.as_dict(session, row)
    _print(item, json_out)


@app.command("offer")
@handle_errors
def offer(contract_id: str, policy: Path | None = POLICY_FILE, json_out: bool = JSON_OUT) -> None:
    """The provider offers terms: the requested ones, or its own ODRL policy (--policy)."""
    _step("offer", contract_id, json_out, policy=_load(policy))


@app.command("accept")
@handle_errors
def accept(contract_id: str, json_out: bool = JSON_OUT) -> None:
    """The consumer accepts the offer."""
    _step("accept", contract_id, json_out)


@app.command("agree")
@handle_errors
def agree(contract_id: str, json_out: bool = JSON_OUT) -> None:
    """The provider agrees: the policy becomes an Agreement."""
    _step("agree", contract_id, json_out)


@app.command("verify")
@handle_errors
def verify(contract_id: str, json_out: bool = JSON_OUT) -> None:
    """The consumer verifies the agreement."""
    _step("verify", contract_id, json_out)


@app.command("finalize")
@handle_errors
def finalize(contract_id: str, json_out: bool = JSON_OUT) -> None:
    """The provider finalizes: the contract may now be used, enforced by the provider's node."""
    _step("finalize", contract_id, json_out)


@app.command("terminate")
@handle_errors
def terminate(
    contract_id: str,
    reason: str = typer.Option(..., "--reason", help="why (both parties read it)"),
    as_: str = typer.Option("operator", "--as", help="consumer | provider | operator"),
    json_out: bool = JSON_OUT,
) -> None:
    """Terminate (revoke) a contract from any non-final state; its node refuses the next round."""
    if as_ not in ("consumer", "provider", "operator"):
        raise ResonanceError(what=f"unknown party {as_!r}", where="--as", fix="use consumer, provider or operator")
    _step("terminate", contract_id, json_out, reason=reason, party=as_)


@app.command("show")
@handle_errors
def show(contract_id: str = typer.Argument(..., help="the contract id"), json_out: bool = JSON_OUT) -> None:
    """Show every field of a contract (数字合约): parties, dataset hash, purpose, terms, signatures, state."""
    from resonance.policy import contracts

    with registry_session() as session:
        item = contracts.as_dict(session, contracts.get(session, contract_id))
    if json_out:
        print_json(item)
        return
    print_table(
        f"数字合约 contract {item['id']}",
        ["field", "value"],
        [[k, json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v] for k, v in item.items()],
    )


policy_app = typer.Typer(no_args_is_help=True, help="a dataset's usage policy (ODRL): set, show")
app.add_typer(policy_app, name="policy")


@policy_app.command("set")
@handle_errors
def policy_set(
    dataset: str,
    file: Path = typer.Option(..., "--file", help="the ODRL policy, JSON-LD"),
    json_out: bool = JSON_OUT,
) -> None:
    """Attach a usage policy to a dataset: the ceiling of every contract on it (ledger: policy.changed)."""
    from resonance.policy import contracts, odrl

    with registry_session() as session:
        policy = contracts.set_dataset_policy(session, dataset, _load(file), actor=_actor("provider"))
    doc = odrl.to_jsonld(policy)
    print_json(doc) if json_out else console.print(f"policy of {dataset} set: {', '.join(sorted(policy.operations))}")


@policy_app.command("show")
@handle_errors
def policy_show(dataset: str) -> None:
    """Print a dataset's usage policy as JSON-LD (null when it has none)."""
    from resonance.policy import contracts, odrl
    from resonance.registry import models as m
    from resonance.registry.references import resolve

    with registry_session() as session:
        policy = contracts.dataset_policy(session, resolve(session, m.Dataset, dataset, where="dataset"))
    print_json(odrl.to_jsonld(policy) if policy else None)


@app.command("budget")
@handle_errors
def budget_show(dataset: str, json_out: bool = JSON_OUT) -> None:
    """A dataset's differential-privacy ε: budget, spent across jobs, remaining."""
    from resonance.policy import budget

    with registry_session() as session:
        item = budget.summary(session, dataset)
    if json_out:
        print_json(item)
        return
    budget_text = "none" if item["budget"] is None else f"{item['budget']:g}"
    console.print(f"{item['dataset']}: ε budget {budget_text}, spent {item['spent']:g} over {len(item['jobs'])} job(s)")


@app.command("metering")
@handle_errors
def metering_show(
    job: str | None = typer.Option(None, "--job"),
    provider: str | None = typer.Option(None, "--provider"),
    json_out: bool = JSON_OUT,
) -> None:
    """计量: rounds, samples, compute seconds and ε per job × provider dataset."""
    from resonance.policy import metering

    with registry_session() as session:
        rows = metering.read(session, job=job, provider=provider)
    if json_out:
        print_json(rows)
        return
    cols = ["job", "dataset", "provider", "rounds", "samples", "compute_seconds", "epsilon"]
    print_table(f"metering — {len(rows)}", cols, [[r[c] for c in cols] for r in rows])
