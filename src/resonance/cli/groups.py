"""Where every command group is registered (one line per group)."""

from __future__ import annotations

import typer

SUB_APPS: list[tuple[str, typer.Typer, str]] = []


def _register() -> None:
    from resonance.cli import action, agents, data, demo, job, model, node, report, scenario, space, token

    SUB_APPS.extend(
        [
            ("space", space.app, "create, upgrade and serve the space's registry"),
            ("action", action.app, "the action's quotas and deadlines: progress per entity"),
            ("token", token.app, "API tokens: create, list, revoke"),
            ("scenario", scenario.app, "场景档案 scenarios: list, show, add, update, delete, accept 参考示例"),
            ("node", node.app, "this machine's data node (接入连接器): init, enrol, status, serve"),
            ("data", data.app, "this node's local data: add, analyse, grade, card, publish (metadata only), export"),
            ("job", job.app, "federated training jobs: submit JOB.toml, status, logs, cancel (+ list, show)"),
            ("model", model.app, "模型 model versions with lineage: list, show, download the weights or ONNX"),
            ("demo", demo.app, "build a fresh example space and show what Resonance Space does"),
            ("report", report.app, "plan / phase / final reports (实施方案、阶段总结报告、总结报告): DOCX, XLSX, MD"),
            ("agents", agents.app, "智能体 agents: register signed A2A cards, list, show, verify; the MCP server"),
        ]
    )
    from resonance.cli import bulk

    SUB_APPS.extend(bulk.GROUPS)  # `resonance import FILE`, `resonance export lists`
    from resonance.cli import registry_commands

    SUB_APPS.extend(registry_commands.concept_groups({name: sub for name, sub, _ in SUB_APPS}))
    from resonance.cli import contract, ledger

    # the negotiating contract group replaces the generic one (it keeps the generic `list`)
    SUB_APPS[:] = [entry for entry in SUB_APPS if entry[0] != "contract"]
    SUB_APPS.extend(
        [
            (
                "contract",
                contract.app,
                "数字合约 contracts: request, offer, accept, agree, verify, finalize, terminate",
            ),
            ("ledger", ledger.app, "存证 ledger: list events, verify the hash chain and signatures"),
        ]
    )
    from resonance.cli import demand, flywheel, leaderboard
    from resonance.cli import eval as eval_cli

    # the routing/answering demand group replaces the generic one
    SUB_APPS[:] = [entry for entry in SUB_APPS if entry[0] != "demand"]
    SUB_APPS.extend(
        [
            ("eval", eval_cli.app, "评测 evaluate a model at the evaluator's node: run, status, list, protect"),
            ("leaderboard", leaderboard.app, "评测榜单 leaderboards: models ranked by signed results, ties by CIs"),
            ("demand", demand.app, "数据需求 data demands: route a diagnosis, list, show, answer, close"),
            ("flywheel", flywheel.app, "数据飞轮 one cycle: train, evaluate, diagnose, demand, new data, retrain"),
        ]
    )


_register()
