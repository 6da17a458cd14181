"""``decide``: may this job use this contract for this round? A pure function, the heart of 使用控制.

The provider's node calls it at job start (``round_number == 0``) and before every round (1, 2, …) with its
own usage counters, so a revoked, expired or exhausted contract stops that node's participation at the next
round, whatever the space or the consumer says.

- At job start the job's *planned* totals are checked: ``rounds_used + request.rounds`` against the rounds
  cap and ``epsilon_spent + request.epsilon`` against the ε budget.
- Before round r ≥ 1 the *next* round is checked: ``rounds_used + 1`` against the cap, and ``epsilon_spent``
  plus this job's per-round share of ε (``request.epsilon / request.rounds``) against the budget.

Checks run in a fixed order and the first failure is the answer, so a decision names one reason.
"""

from __future__ import annotations

from datetime import UTC, datetime

from resonance.policy.terms import FINALIZED, ContractTerms, Decision, JobRequest

# ε adds up from floats recorded round by round; forgive rounding, never a real overspend
_EPSILON_SLACK = 1e-9

OK = Decision(True, "ok", "合约允许本轮参与", "the contract allows this round")


def _no(code: str, zh: str, en: str) -> Decision:
    return Decision(False, code, zh, en)


def decide(
    terms: ContractTerms,
    request: JobRequest,
    *,
    round_number: int,
    rounds_used: int,
    epsilon_spent: float,
    now: datetime,
) -> Decision:
    """The decision for ``request`` under ``terms`` before ``round_number`` (0 = job start).

    ``rounds_used`` and ``epsilon_spent`` are what the node has recorded under this contract so far, over
    every job. ``now`` must be time-zone aware (a naive value is taken as UTC).
    """
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    cid = terms.contract_id
    if terms.state == "TERMINATED":
        return _no("revoked", f"合约 {cid} 已终止（撤销）", f"contract {cid} was terminated (revoked)")
    if terms.state != FINALIZED:
        return _no(
            "not_finalized",
            f"合约 {cid} 处于 {terms.state} 状态，只有 FINALIZED 合约可用",
            f"contract {cid} is {terms.state}; only a FINALIZED contract may be used",
        )
    if terms.expires_at is not None and now >= terms.expires_at:
        stamp = terms.expires_at.isoformat()
        return _no("expired", f"合约 {cid} 已于 {stamp} 到期", f"contract {cid} expired at {stamp}")
    if request.consumer_org != terms.consumer_org:
        return _no(
            "wrong_consumer",
            f"合约 {cid} 的使用方是 {terms.consumer_org}，不是 {request.consumer_org}",
            f"contract {cid} is for {terms.consumer_org}, not {request.consumer_org}",
        )
    if request.purpose != terms.purpose:
        return _no(
            "wrong_purpose",
            f"合约 {cid} 的用途是 {terms.purpose}，任务用途 {request.purpose} 不符",
            f"contract {cid} covers purpose {terms.purpose}, not {request.purpose}",
        )
    if request.operation not in terms.operations:
        allowed = ", ".join(sorted(terms.operations)) or "none"
        return _no(
            "operation_not_allowed",
            f"合约 {cid} 不允许 {request.operation}（允许：{allowed}）",
            f"contract {cid} does not allow {request.operation} (allowed: {allowed})",
        )
    if request.nodes < terms.min_nodes:
        return _no(
            "too_few_nodes",
            f"合约 {cid} 要求每次聚合至少 {terms.min_nodes} 个节点，本任务只有 {request.nodes} 个",
            f"contract {cid} needs at least {terms.min_nodes} nodes per aggregation; the job has {request.nodes}",
        )
    if terms.max_rounds is not None:
        wanted = rounds_used + (request.rounds if round_number == 0 else 1)
        if wanted > terms.max_rounds:
            return _no(
                "rounds_exhausted",
                f"合约 {cid} 最多 {terms.max_rounds} 轮，已用 {rounds_used} 轮，不能再用到 {wanted} 轮",
                f"contract {cid} allows {terms.max_rounds} rounds; {rounds_used} used, {wanted} would exceed it",
            )
    if terms.epsilon_budget is not None and request.operation == "federatedTrain":
        if request.epsilon is None:
            return _no(
                "dp_required",
                f"合约 {cid} 设有差分隐私预算 ε={terms.epsilon_budget:g}，任务须启用差分隐私",
                f"contract {cid} has a DP budget ε={terms.epsilon_budget:g}; the job must use differential privacy",
            )
        share = request.epsilon if round_number == 0 else request.epsilon / max(request.rounds, 1)
        if epsilon_spent + share > terms.epsilon_budget + _EPSILON_SLACK:
            return _no(
                "epsilon_exhausted",
                f"合约 {cid} 的隐私预算 ε={terms.epsilon_budget:g} 已用 {epsilon_spent:g}，再用 {share:g} 将超出",
                f"contract {cid}: ε budget {terms.epsilon_budget:g}, {epsilon_spent:g} spent, "
                f"{share:g} more would exceed it",
            )
    return OK
