"""The ClientApp each provider's SuperNode runs: the node's side of a job in Flower messages.

The SuperNode is started with ``--node-config "home='<node home>'"``; the job plan comes in the run config.
The contract mod (``mods.contract_mod``) wraps every message. Replies carry parameters and aggregates only.

Messages:
- ``query`` (round 0): "do you take part?" → this node's id and its feature aggregates for standardisation
- ``train`` (round r): global parameters + standardiser → evaluation of those parameters on the local test split,
  then one round of local fitting → new parameters, number of examples
- ``evaluate``: global parameters + standardiser → mergeable evaluation statistics
- ``train`` in legacy records (a SecAgg+ job): the same round, replying with the update, masked by secaggplus_mod
"""

from __future__ import annotations

import json
from pathlib import Path

import flwr.compat.common.recorddict_compat as compat
import numpy as np
from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MetricRecord, RecordDict
from flwr.client.mod import secaggplus_mod
from flwr.clientapp import ClientApp
from flwr.clientapp.typing import ClientAppCallable
from flwr.common import Code, FitRes, Status, ndarrays_to_parameters, parameters_to_ndarrays
from flwr.common.secure_aggregation.secaggplus_constants import RECORD_KEY_CONFIGS

from resonance.federation.job_contribution import unflatten
from resonance.federation.learning.alignment import Standardiser
from resonance.federation.mods import contract_mod
from resonance.federation.participant import Participant
from resonance.federation.plan import JobPlan
from resonance.node.home import NodeHome


def secure_aggregation(msg: Message, context: Context, call_next: ClientAppCallable) -> Message:
    """SecAgg+ for the messages of a secure job (they carry its config record); others pass through."""
    if RECORD_KEY_CONFIGS in msg.content.config_records:
        return secaggplus_mod(msg, context, call_next)
    return call_next(msg, context)


app = ClientApp(mods=[contract_mod, secure_aggregation])  # the contract is checked before anything else


def _participant(context: Context) -> Participant:
    return Participant(
        NodeHome(Path(str(context.node_config["home"]))), JobPlan.from_json(str(context.run_config["job"]))
    )


def _standardiser(text: str) -> Standardiser:
    arrays = json.loads(text)
    return Standardiser.from_arrays({k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()})


@app.query()
def hello(msg: Message, context: Context) -> Message:
    participant = _participant(context)
    answer: dict[str, object] = {"node": participant.node_id, "takes_part": participant.assignment is not None}
    if participant.assignment is not None:
        answer.update(participant.hello())
    return Message(
        RecordDict({"hello": ConfigRecord({"json": json.dumps(answer, default=_plain, ensure_ascii=False)})}),
        reply_to=msg,
    )


@app.train()
def train(msg: Message, context: Context) -> Message:
    if "fitins.parameters" in msg.content.array_records:
        return _secure_train(msg, context)
    participant = _participant(context)
    arrays = msg.content["arrays"].to_numpy_ndarrays()
    round_number = int(msg.content["config"]["round"])
    standardiser = _standardiser(str(msg.content["standardiser"]["json"]))
    new_arrays, n, metrics = participant.train(arrays, standardiser, round_number)
    return Message(
        RecordDict(
            {
                "arrays": ArrayRecord(new_arrays),
                "metrics": MetricRecord({"num-examples": n, "seconds": float(metrics["seconds"])}),
                "evaluation": ConfigRecord({"json": json.dumps(metrics["evaluation"], default=_plain)}),
            }
        ),
        reply_to=msg,
    )


def _secure_train(msg: Message, context: Context) -> Message:
    """A round under SecAgg+ (legacy records): reply with the update, which secaggplus_mod masks before it leaves."""
    fitins = compat.recorddict_to_fitins(msg.content, keep_input=True)
    arrays = parameters_to_ndarrays(fitins.parameters)
    standardiser = _standardiser(str(fitins.config["standardiser"]))
    new_arrays, n, metrics = _participant(context).train(arrays, standardiser, int(fitins.config["round"]))
    update = [new - old for new, old in zip(new_arrays, arrays, strict=True)]
    fitres = FitRes(
        Status(Code.OK, ""),
        ndarrays_to_parameters(update),
        n,
        {"evaluation": json.dumps(metrics["evaluation"], default=_plain), "seconds": float(metrics["seconds"])},
    )
    return Message(compat.fitres_to_recorddict(fitres, keep_input=True), reply_to=msg)


@app.evaluate()
def evaluate(msg: Message, context: Context) -> Message:
    participant = _participant(context)
    standardiser = _standardiser(str(msg.content["standardiser"]["json"]))
    stats = participant.evaluate(msg.content["arrays"].to_numpy_ndarrays(), standardiser)
    answer = RecordDict({"evaluation": ConfigRecord({"json": json.dumps(stats, default=_plain)})})
    # the coalition models of the space's contribution estimate: scored like the final model, statistics only
    if "coalitions" in msg.content.array_records:
        matrix = msg.content["coalitions"].to_numpy_ndarrays()[0]
        shapes = [tuple(shape) for shape in json.loads(str(msg.content["coalition-shapes"]["json"]))]
        scored = [participant.evaluate(unflatten(row, shapes), standardiser) for row in matrix]
        answer["contribution"] = ConfigRecord({"json": json.dumps(scored, default=_plain)})
    return Message(answer, reply_to=msg)


def _plain(value: object) -> object:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
