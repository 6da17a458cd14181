"""``resonance leaderboard``: the 评测榜单 per evaluation dataset and metric, ties judged by confidence intervals."""

from __future__ import annotations

import typer

from resonance.cli._common import JSON_OPTION, console, handle_errors, print_json, print_table, registry_session

app = typer.Typer(no_args_is_help=True)


@app.command("show")
@handle_errors
def show(
    industry: str | None = typer.Option(None, "--industry", help="industry code or 中文名, e.g. machine_tools"),
    scenario: str | None = typer.Option(None, "--scenario", help="scenario code, e.g. JS-MT-01"),
    metric: str | None = typer.Option(None, "--metric", help="auc, f1, recall_at_precision, rmse, mae, …"),
    json_out: bool = JSON_OPTION,
) -> None:
    """Models ranked on each evaluation dataset by their signed results, with reproducibility data; agents ranked
    on their scenario's test cases."""
    from resonance.agents import leaderboard

    with registry_session() as session:
        rows = leaderboard.rows(session, industry=industry, scenario=scenario, metric=metric)
    if json_out:
        print_json(rows)
        return
    if not rows:
        console.print(
            "no signed evaluation results yet / 尚无签名评测结果 — run `resonance eval run MODEL --on DATASET`"
        )
        return
    for board in dict.fromkeys(r["board"] for r in rows):
        entries = [r for r in rows if r["board"] == board]
        print_table(
            f"评测榜单 leaderboard: {board} ({'higher' if entries[0]['higher_is_better'] else 'lower'} is better)",
            ["rank", "model / agent", "value", "95% CI", "ties with", "model sha256", "dataset version", "code"],
            [
                [
                    r["rank"],
                    f"agent {r['agent']} ({r['model']})" if r.get("agent") else r["model"],
                    _f(r["value"]),
                    f"{_f(r['low'])}–{_f(r['high'])}",
                    ", ".join(r["ties"]),
                    r["model_sha256"][:12],
                    r["dataset_fingerprint"][:19],
                    r["code_version"],
                ]
                for r in entries
            ],
        )


def _f(value: float | None) -> str:
    return "–" if value is None else f"{value:.4f}"
