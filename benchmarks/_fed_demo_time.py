"""The end-to-end demo's time, back to back against a named baseline (issue 5, item 7).

Runs ``demo.run.run_demo`` once per preset, one after the other in this process, each in a fresh home, and prints
one JSON object: per run the wall seconds, the phases (``run_demo``'s ``phases``), the federated, centralized and
local-only AUCs, and the load average before and after. The ratio of two runs back to back is what to compare on
a machine whose load changes; the absolute seconds need the load figures beside them.

    .venv/bin/python benchmarks/_fed_demo_time.py ai4i-plain ai4i > demo-time.json   # baseline first
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# this folder comes first on sys.path when the script runs, and its profile.py would shadow the standard library's
# (torch imports cProfile → profile, in the references' thread): look here last, as federation.py does
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p not in (_HERE, "")] + [_HERE]


def one(preset_name: str, root: Path) -> dict[str, Any]:
    from resonance.demo.run import run_demo

    load_before = os.getloadavg()
    started = time.perf_counter()
    result = run_demo(root / preset_name, preset_name=preset_name)
    wall = time.perf_counter() - started
    local = {org: m["value"] for org, m in result["local"].items()}
    fed = result["federated"]["value"]
    return {
        "preset": preset_name,
        "wall_s": round(wall, 1),
        "seconds": result["seconds"],
        "rounds": result["rounds"],
        "phases": result["phases"],
        "federated": fed,
        "centralized": result["centralized"]["value"],
        "local": local,
        "fed_over_central": fed / result["centralized"]["value"],
        "fed_beats_every_local": all(fed > v for v in local.values()),
        "ledger_verified": result["ledger_verified"],
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }


def main(presets: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="resonance-demotime-") as tmp:
        runs = []
        for name in presets:
            runs.append(one(name, Path(tmp)))
            print(json.dumps({"run": runs[-1]}), file=sys.stderr, flush=True)  # each run as soon as it ends
    base = runs[0]["wall_s"]
    print(json.dumps({"runs": runs, "ratios_to_first": [round(r["wall_s"] / base, 3) for r in runs]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["ai4i-plain", "ai4i"]))
