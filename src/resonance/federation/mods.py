"""The contract, enforced by the provider's node itself: a Flower mod around every message its ClientApp handles.

At job start (the ``query`` that admits nodes) and before every training round the mod asks the node's own
contract store (``resonance.node.contracts.check_round``): a contract that was revoked, has expired, has used
its rounds or its ε budget, or does not cover the job's consumer, purpose or operation makes this node refuse.
The refusal is an error reply carrying the reason; the space drops the node and goes on if enough remain.
After a round the node meters what it gave (rounds, samples, seconds, ε) in its own store.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

from flwr.app import Context, Error, Message, MessageType
from flwr.clientapp.typing import ClientAppCallable

from resonance.federation.participant import job_request, round_epsilon
from resonance.federation.plan import JobPlan
from resonance.node import contracts
from resonance.node.home import NodeHome
from resonance.policy.terms import Decision

CONTRACT_REFUSED = 4031  # error code of a refusal; the reason is JSON: node, code, en, zh


def contract_mod(msg: Message, context: Context, call_next: ClientAppCallable) -> Message:
    plan = JobPlan.from_json(str(context.run_config["job"]))
    home = NodeHome(Path(str(context.node_config["home"])))
    assignment = plan.participants.get(home.load().node_id)
    if assignment is None or msg.metadata.message_type not in (MessageType.QUERY, MessageType.TRAIN):
        return call_next(msg, context)
    group = msg.metadata.group_id or ""
    round_number = int(group) if group.isdigit() else 0  # the round a train message belongs to; 0 = job start
    decision = contracts.check_round(home, assignment.contract, job_request(plan), round_number, now=datetime.now(UTC))
    if not decision.allowed:
        return Message(
            Error(code=CONTRACT_REFUSED, reason=refusal_reason(home.load().node_id, decision)),
            reply_to=msg,
        )
    started = time.perf_counter()
    reply = call_next(msg, context)
    samples = _samples(reply) if msg.metadata.message_type == MessageType.TRAIN else None
    if samples is not None:
        contracts.record_round(
            home,
            assignment.contract,
            plan.job_id,
            round_number,
            samples=samples,
            seconds=time.perf_counter() - started,
            epsilon=round_epsilon(plan, round_number),
        )
    return reply


def refusal_reason(node_id: str, decision: Decision) -> str:
    return json.dumps(
        {"node": node_id, "code": decision.code, "en": decision.reason_en, "zh": decision.reason_zh}, ensure_ascii=False
    )


def _samples(reply: Message) -> int | None:
    """Training examples behind a training reply; None for replies that carry no training (SecAgg+ key stages)."""
    if reply.has_error():
        return None
    if "metrics" in reply.content.metric_records:
        return int(reply.content.metric_records["metrics"]["num-examples"])
    if "fitres.num_examples" in reply.content.metric_records:
        return int(reply.content.metric_records["fitres.num_examples"]["num_examples"])
    return None
