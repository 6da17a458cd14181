"""ClientApp of the bare app: the same model family and task spec as our job, on the node's CSV, nothing else.

Each message reads the node's CSV again (Flower starts a fresh ClientApp process per message; no cache, no
contract mod), standardises with the node's own statistics, evaluates the received model on the test rows
and fits ``local_epochs`` — the work our ClientApp does in a round. The CSV is read with the standard library
(a bare Flower app would not bring DuckDB and pandas); rows are split into train and test with the same hash
as ``learning.data.split_mask``, so both apps train on the same rows. SecAgg+ runs when the server asks for it.
"""

from __future__ import annotations

import csv
import hashlib
import json
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
    """SecAgg+ only for messages of a SecAgg+ run (they carry its config record)."""
    if RECORD_KEY_CONFIGS in msg.content.config_records:
        return secaggplus_mod(msg, context, call_next)
    return call_next(msg, context)


app = ClientApp(mods=[optional_secaggplus])


def read_rows(path: Path, spec: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train_X, train_y, test_X, test_y) of the spec's features and target."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    X = np.array([[float(r[c]) for c in spec["features"]] for r in rows], dtype=np.float64)
    y = np.array([float(r[spec["target"]]) for r in rows], dtype=np.float64)
    key = spec.get("split_key")
    keys = [r[key] for r in rows] if key else [str(i) for i in range(len(rows))]
    test = np.array([_on_test_side(k, spec["test_fraction"], spec["seed"]) for k in keys], dtype=bool)
    return X[~test], y[~test], X[test], y[test]


def _on_test_side(key: str, fraction: float, seed: int) -> bool:
    try:  # as learning.data reads the column: a whole number is keyed without its ".0"
        number = float(key)
        text = str(int(number)) if number.is_integer() else key
    except ValueError:
        text = key
    digest = hashlib.blake2b(f"{seed}\0{text}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < fraction


def local_round(arrays: list[np.ndarray], context: Context) -> tuple[list[np.ndarray], int]:
    from resonance.federation.learning.alignment import combine_stats, local_stats
    from resonance.federation.learning.families import get_family
    from resonance.federation.learning.spec import TaskSpec

    spec = TaskSpec.model_validate(json.loads(str(context.run_config["task"])))
    home = Path(str(context.node_config["home"]))
    path = sorted(home.glob(str(context.run_config["data-glob"])))[0]
    train_X, train_y, test_X, test_y = read_rows(path, spec.model_dump())
    standardiser = combine_stats([local_stats(train_X, train_y, spec)])
    family = get_family(spec)
    family.evaluate(arrays, standardiser.apply(test_X), test_y, spec)
    new, _ = family.fit([a.copy() for a in arrays], standardiser.apply(train_X), train_y, spec, seed=spec.seed)
    return new, len(train_y)


@app.train()
def train(msg: Message, context: Context) -> Message:
    if "arrays" in msg.content.array_records:  # Message API (FedAvg.start)
        new, n = local_round(msg.content["arrays"].to_numpy_ndarrays(), context)
        content = RecordDict({"arrays": ArrayRecord(new), "metrics": MetricRecord({"num-examples": n})})
        return Message(content=content, reply_to=msg)
    fitins = compat.recorddict_to_fitins(msg.content, keep_input=True)  # legacy workflow (with or without SecAgg+)
    new, n = local_round([np.asarray(a) for a in parameters_to_ndarrays(fitins.parameters)], context)
    fitres = FitRes(Status(Code.OK, ""), ndarrays_to_parameters(new), n, {})
    return Message(content=compat.fitres_to_recorddict(fitres, keep_input=True), reply_to=msg)
