"""The ClientApp each provider's SuperNode runs: the node's side of a job in Flower messages.

The SuperNode is started with ``--node-config "home='<node home>'"``; the job plan comes in the run config.
The contract mod (``mods.contract_mod``) wraps every message. Replies carry parameters and aggregates only.

Messages:
- ``query`` (round 0): "do you take part?" → this node's id and its feature aggregates for standardisation
- ``train`` (round r): global parameters + standardiser → evaluation of those parameters on the local test split,
  then one round of local fitting → new parameters, number of examples
- ``evaluate``: global parameters + standardiser → mergeable evaluation statistics
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from resonance.federation.learning.alignment import Standardiser
from resonance.federation.mods import contract_mod
from resonance.federation.participant import Participant
from resonance.federation.plan import JobPlan
from resonance.node.home import NodeHome

app = ClientApp(mods=[contract_mod])


def _participant(context: Context) -> Participant:
    return Participant(
        NodeHome(Path(str(context.node_config["home"]))), JobPlan.from_json(str(context.run_config["job"]))
    )


def _standardiser(msg: Message) -> Standardiser:
    arrays = json.loads(str(msg.content["standardiser"]["json"]))
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
    participant = _participant(context)
    arrays = msg.content["arrays"].to_numpy_ndarrays()
    round_number = int(msg.content["config"]["round"])
    new_arrays, n, metrics = participant.train(arrays, _standardiser(msg), round_number)
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


@app.evaluate()
def evaluate(msg: Message, context: Context) -> Message:
    participant = _participant(context)
    stats = participant.evaluate(msg.content["arrays"].to_numpy_ndarrays(), _standardiser(msg))
    return Message(
        RecordDict({"evaluation": ConfigRecord({"json": json.dumps(stats, default=_plain)})}),
        reply_to=msg,
    )


def _plain(value: object) -> object:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
