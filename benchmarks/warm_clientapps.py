"""The demo's time with warm ClientApps (forks of the node's warm SuperExec) against flwr's process per message.

    .venv/bin/python benchmarks/warm_clientapps.py [--order warm,cold,warm] [--json out.json]

Runs ``resonance demo --json --no-agent --no-flywheel`` in fresh homes, one after the other, with
RESONANCE_WARM_CLIENTAPPS=1 (warm) or 0 (cold: flwr's own ``flwr-clientapp`` process per message), and prints
for each run the demo's total ``seconds``, the federated-training phase, the per-round seconds from the job's
``progress.jsonl`` and the load average, then the ratios cold ÷ warm (the baseline is the cold run measured in
the same session). The federated AUC must be identical (same seeds): the check that warm changes only the time.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import median

RESONANCE = Path(sys.executable).with_name("resonance")


def one(kind: str, root: Path, index: int) -> dict:
    home = root / f"{index}-{kind}"
    env = {**os.environ, "RESONANCE_WARM_CLIENTAPPS": "1" if kind == "warm" else "0", "RESONANCE_HOME": str(home)}
    load_before = os.getloadavg()[0]
    done = subprocess.run(
        [str(RESONANCE), "demo", "--json", "--no-agent", "--no-flywheel", "--home", str(home)],
        env=env, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"{kind} run failed:\n{done.stderr[-3000:]}")
    out = json.loads(done.stdout)
    training = next(p["seconds"] for p in out["phases"] if p["step"].startswith("federated training"))
    progress = next(home.rglob("progress.jsonl"))
    times = [json.loads(x) for x in progress.read_text(encoding="utf-8").splitlines()]
    ts = [e["t"] for e in times if e.get("event") == "round"]
    rounds = [round(b - a, 2) for a, b in itertools.pairwise(ts)]
    return {
        "kind": kind,
        "seconds": out["seconds"],
        "training": training,
        "rounds": rounds,
        "round_median": median(rounds) if rounds else None,
        "auc": out["federated"]["value"],
        "contribution": {
            org: round(v["shapley"], 5) for org, v in (out.get("contribution") or {}).get("by_org", {}).items()
        },
        "load": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--order", default="warm,cold,warm", help="runs in this order (warm/cold, comma-separated)")
    parser.add_argument("--json", type=Path, help="also write the runs to this file")
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory(prefix="warm-bench-") as tmp:
        for index, kind in enumerate(args.order.split(",")):
            runs.append(one(kind.strip(), Path(tmp), index))
            print(json.dumps(runs[-1]), flush=True)
    by = {k: [r for r in runs if r["kind"] == k] for k in ("warm", "cold")}
    if by["warm"] and by["cold"]:
        for field in ("seconds", "training", "round_median"):
            warm = median(r[field] for r in by["warm"])
            cold = median(r[field] for r in by["cold"])
            print(f"{field}: cold {cold:.1f} / warm {warm:.1f} = {cold / warm:.2f}x")
        print("same federated AUC:", len({round(r["auc"], 9) for r in runs}) == 1)
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
