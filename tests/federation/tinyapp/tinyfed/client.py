"""ClientApp: ``arrays + value`` weighted by ``n``, both read from the node home; SecAgg+ when the server asks."""

from __future__ import annotations

import json
import time
from pathlib import Path

import flwr.compat.common.recorddict_compat as compat
import numpy as np
from flwr.app import ArrayRecord, Context, Message, MetricRecord, RecordDict
from flwr.client.mod import secaggplus_mod
from flwr.clientapp import ClientApp
from flwr.clientapp.typing import ClientAppCallable
from flwr.common import Code, FitRes, Status, ndarrays_to_parameters, parameters_to_ndarrays
from flwr.common.secure_aggregation.secaggplus_constants import RECORD_KEY_CONFIGS


def optional_secaggplus(msg: Message, context: Context, call_next: ClientAppCallable) -> Message:
    """Run SecAgg+ only for messages of a SecAgg+ run (they carry its config record); pass others through."""
    if RECORD_KEY_CONFIGS in msg.content.config_records:
        return secaggplus_mod(msg, context, call_next)
    return call_next(msg, context)


app = ClientApp(mods=[optional_secaggplus])


def _local(context: Context) -> tuple[float, int, float]:
    spec = json.loads((Path(str(context.node_config["home"])) / "tiny.json").read_text())
    return float(spec["value"]), int(spec["n"]), float(spec.get("sleep", 0.0))


@app.train()
def train(msg: Message, context: Context) -> Message:
    value, n, node_sleep = _local(context)
    time.sleep(float(context.run_config["train-sleep"]) + node_sleep)  # lets tests catch a node mid-round
    if "arrays" in msg.content.array_records:  # Message API (new strategies)
        arrays = [a + value for a in msg.content["arrays"].to_numpy_ndarrays()]
        content = RecordDict({"arrays": ArrayRecord(arrays), "metrics": MetricRecord({"num-examples": n})})
        return Message(content=content, reply_to=msg)
    # legacy records (DefaultWorkflow / SecAggPlusWorkflow)
    fitins = compat.recorddict_to_fitins(msg.content, keep_input=True)
    arrays = [np.asarray(a) + value for a in parameters_to_ndarrays(fitins.parameters)]
    fitres = FitRes(Status(Code.OK, ""), ndarrays_to_parameters(arrays), n, {})
    return Message(content=compat.fitres_to_recorddict(fitres, keep_input=True), reply_to=msg)
