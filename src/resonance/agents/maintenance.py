"""The demo's scenario agent: predictive maintenance for machine tools (场景 JS-MT-01) on the federated AI4I model.

For one reading of the five AI4I process sensors the agent

1. asks the space, through MCP (a real client session: ``model_schema`` then ``predict``), how likely a failure
   is — the model runs in the space, the agent never holds it;
2. explains which sensors drove that risk by occlusion: each sensor in turn is set to its training mean (the
   "typical machine", from the model's standardiser) and the drop in predicted risk is that sensor's share.
   All the occluded rows go in the same ``predict`` call as the reading itself;
3. proposes an action from rules, bilingual. The rules are the failure mechanisms documented with the AI4I
   2020 data set (Matzka 2020): tool wear failure from 200 min of wear, heat dissipation failure when the
   air–process temperature difference is under 8.6 K at under 1380 rpm, power failure outside 3.5–9 kW of
   spindle power, overstrain when wear × torque exceeds 11,000 min·Nm (the strictest product type's limit).
   When several mechanisms apply, the one whose sensors drove the model's risk most is chosen; when none
   applies but the model's risk is high, the agent asks for an inspection of the sensor that drove it most.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

from resonance.demo.bundled import AI4I_FEATURES
from resonance.errors import Problem, ResonanceError

AIR, PROCESS, SPEED, TORQUE, WEAR = AI4I_FEATURES
ALIASES = {
    "air_temperature": AIR,
    "process_temperature": PROCESS,
    "rotational_speed": SPEED,
    "torque": TORQUE,
    "tool_wear": WEAR,
}
RISK_THRESHOLD = 0.5
SENSOR_NAMES = {
    AIR: ("环境温度", "air temperature"),
    PROCESS: ("加工温度", "process temperature"),
    SPEED: ("主轴转速", "rotational speed"),
    TORQUE: ("扭矩", "torque"),
    WEAR: ("刀具磨损", "tool wear"),
}


@dataclass(frozen=True)
class Action:
    key: str
    zh: str
    en: str
    sensors: tuple[str, ...]


ACTIONS = {
    a.key: a
    for a in [
        Action(
            "replace_tool",
            "更换刀具（刀具磨损已达 200 min 以上）",
            "Replace the cutting tool (200+ min of wear)",
            (WEAR,),
        ),
        Action(
            "improve_cooling",
            "检查冷却与散热：加工与环境温差过小且转速偏低",
            "Check cooling and heat dissipation: small temperature difference at low speed",
            (AIR, PROCESS, SPEED),
        ),
        Action(
            "adjust_power",
            "调整切削参数，使主轴功率回到 3.5–9 kW",
            "Adjust cutting parameters to bring spindle power back to 3.5–9 kW",
            (TORQUE, SPEED),
        ),
        Action(
            "reduce_load",
            "降低进给与扭矩并尽快换刀（过载风险）",
            "Reduce feed and torque and change the tool soon (overstrain)",
            (WEAR, TORQUE),
        ),
        Action("inspect", "安排人工检查", "Schedule an inspection", ()),
        Action("none", "继续运行，按计划巡检", "Keep running; routine checks as planned", ()),
    ]
}
PRIORITY = ["replace_tool", "reduce_load", "adjust_power", "improve_cooling"]  # ties: the costlier failure first


def mechanisms(reading: dict[str, float]) -> list[str]:
    """The AI4I failure mechanisms this reading is in (action keys), in ``PRIORITY`` order."""
    found = set()
    if reading[WEAR] >= 200:
        found.add("replace_tool")
    if reading[PROCESS] - reading[AIR] < 8.6 and reading[SPEED] < 1380:
        found.add("improve_cooling")
    power = reading[TORQUE] * reading[SPEED] * 2 * math.pi / 60
    if power < 3500 or power > 9000:
        found.add("adjust_power")
    if reading[WEAR] * reading[TORQUE] > 11000:
        found.add("reduce_load")
    return [key for key in PRIORITY if key in found]


@dataclass
class Advice:
    """The agent's answer for one reading."""

    model: str
    risk: float
    attribution: dict[str, float]  # sensor -> risk explained (prediction minus prediction with the sensor typical)
    mechanisms: list[str]
    action: str
    drivers: list[str] = field(default_factory=list)  # sensors, most risk first

    def as_dict(self) -> dict[str, Any]:
        chosen = ACTIONS[self.action]
        return {
            "model": self.model,
            "risk": self.risk,
            "level": self.level,
            "attribution": self.attribution,
            "drivers": self.drivers,
            "mechanisms": self.mechanisms,
            "action": self.action,
            "action_zh": chosen.zh,
            "action_en": chosen.en,
            "text_zh": self.text("zh"),
            "text_en": self.text("en"),
        }

    @property
    def level(self) -> str:
        return "high" if self.risk >= RISK_THRESHOLD else "medium" if self.risk >= 0.2 else "low"

    def text(self, lang: str = "zh") -> str:
        zh = lang == "zh"
        chosen = ACTIONS[self.action]
        level = {"high": "高", "medium": "中", "low": "低"}[self.level] if zh else self.level
        names = [SENSOR_NAMES[s][0 if zh else 1] for s in self.drivers[:3]]
        shares = [f"{n} {self.attribution[s]:+.2f}" for n, s in zip(names, self.drivers[:3], strict=True)]
        action = chosen.zh if zh else chosen.en
        if self.action == "inspect" and self.drivers:
            action += f"（重点：{names[0]}）" if zh else f" (focus: {names[0]})"
        if zh:
            return f"故障风险 {self.risk:.2f}（{level}）；主要影响传感器：{'，'.join(shares)}。建议：{action}"
        return f"Failure risk {self.risk:.2f} ({level}); sensors that drove it: {', '.join(shares)}. Action: {action}"


def normalise_reading(values: Any) -> dict[str, float]:
    """Map short names (``tool_wear``…) to the model's feature names; leave everything else to the model's checks."""
    if not isinstance(values, dict):
        raise ResonanceError(
            what="a reading must be a JSON object of sensor values",
            where="reading",
            fix=f"give {', '.join(AI4I_FEATURES)} (or {', '.join(ALIASES)})",
            code="invalid_input",
            status=422,
        )
    return {ALIASES.get(k, k): v for k, v in values.items()}


def choose(risk: float, attribution: dict[str, float], found: list[str]) -> str:
    """The action: among the mechanisms found, the one whose sensors drove the risk most; else by the risk."""
    if found:

        def weight(key: str) -> tuple[float, int]:
            return sum(max(attribution.get(s, 0.0), 0.0) for s in ACTIONS[key].sensors), -PRIORITY.index(key)

        return max(found, key=weight)
    return "inspect" if risk >= RISK_THRESHOLD else "none"


# --- MCP ----------------------------------------------------------------------------------------------

Connect = Callable[[], AbstractAsyncContextManager[Any]]


def http_connection(url: str, token: str) -> Connect:
    """Connect to ``resonance agents mcp --transport http`` at ``url`` (``…/mcp``) with a bearer token."""

    @asynccontextmanager
    async def connect() -> AsyncIterator[Any]:
        import httpx2
        from mcp.client import Client
        from mcp.client.streamable_http import streamable_http_client

        headers = {"Authorization": f"Bearer {token}"}
        timeout = httpx2.Timeout(30, read=300)
        async with (
            httpx2.AsyncClient(headers=headers, timeout=timeout) as http,
            Client(streamable_http_client(url, http_client=http)) as client,
        ):
            yield client

    return connect


def stdio_connection(token: str, *, home: Path | None = None, database_url: str | None = None) -> Connect:
    """Start ``resonance agents mcp`` (stdio) as a subprocess with the token in its environment."""

    @asynccontextmanager
    async def connect() -> AsyncIterator[Any]:
        from mcp.client import Client
        from mcp.client.stdio import StdioServerParameters, stdio_client

        env = {"RESONANCE_TOKEN": token}
        for name, value in (("RESONANCE_HOME", home), ("RESONANCE_DATABASE_URL", database_url)):
            value = value or os.environ.get(name)
            if value:
                env[name] = str(value)
        command, args = server_command()
        params = StdioServerParameters(command=command, args=[*args, "agents", "mcp", "--transport", "stdio"], env=env)
        async with Client(stdio_client(params, errlog=_errlog())) as client:
            yield client

    return connect


def _errlog() -> Any:
    """Where the server's stderr goes: ours when it is a real file. (``stdio_client``'s default is the
    ``sys.stderr`` of the moment ``mcp`` was imported, which may be a capture buffer without a file number.)"""
    try:
        sys.stderr.fileno()
        return sys.stderr
    except (AttributeError, OSError, ValueError):
        return sys.__stderr__ if sys.__stderr__ is not None else open(os.devnull, "w")


def server_command() -> tuple[str, list[str]]:
    """How to start this installation's ``resonance`` command."""
    script = Path(sys.executable).with_name("resonance")
    if script.is_file():
        return str(script), []
    return sys.executable, ["-c", "from resonance.cli.app import main; main()"]


async def call(client: Any, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Call an MCP tool; a tool error carrying the project's error JSON becomes that ResonanceError again."""
    result = await client.call_tool(tool, arguments)
    text = "".join(getattr(c, "text", "") for c in result.content)
    if result.is_error:
        try:  # the SDK prefixes the tool's text with "Error executing tool NAME: "
            data = json.loads(text[text.index("{") :])
        except (ValueError, json.JSONDecodeError):
            raise ResonanceError(
                what=f"MCP tool {tool} failed: {text}", where=f"mcp:{tool}", code="tool_error"
            ) from None
        problems = [
            Problem(what=p.get("what", ""), where=p.get("where", ""), fix=p.get("fix", ""), value=p.get("value"))
            for p in data.get("problems", [])
        ]
        raise ResonanceError(
            what=data.get("what", text),
            where=data.get("where", ""),
            fix=data.get("fix", ""),
            code=data.get("code", "tool_error"),
            problems=problems,
        )
    if isinstance(result.structured_content, dict):
        return result.structured_content
    return json.loads(text)


async def diagnose(client: Any, model: str, values: Any) -> Advice:
    """One reading → risk, attribution, action; two MCP calls (the schema, then one batched prediction)."""
    reading = normalise_reading(values)
    schema = await call(client, "model_schema", {"model": model})
    features = [f["name"] for f in schema["features"]]
    means = {f["name"]: f.get("training_mean") for f in schema["features"]}
    problems = [Problem(what=f"missing sensor {name!r}", where="reading") for name in features if name not in reading]
    problems += [
        Problem(what=f"unknown field {name!r}", where=f"reading.{name}") for name in reading if name not in means
    ]
    if problems:
        raise ResonanceError(
            what=f"the reading does not fit model {schema['model']}",
            where="reading",
            fix=f"give exactly: {', '.join(features)}",
            code="invalid_input",
            status=422,
            problems=problems,
        )
    occluded = []
    for name in features:
        if means.get(name) is None:
            raise ResonanceError(
                what=f"model {schema['model']} has no training mean for {name!r}",
                where=f"model {schema['model']}",
                fix="the agent needs a model trained with a standardiser (every Resonance job has one)",
                code="no_schema",
            )
        occluded.append({**reading, name: means[name]})
    answer = await call(client, "predict", {"model": model, "rows": [reading, *occluded]})
    risk, *others = answer["predictions"]
    attribution = {name: round(risk - other, 6) for name, other in zip(features, others, strict=True)}
    drivers = sorted(features, key=lambda s: -attribution[s])
    if not all(f in reading for f in AI4I_FEATURES):
        found: list[str] = []  # another model's features: no AI4I mechanisms to check
    else:
        found = mechanisms({k: float(reading[k]) for k in AI4I_FEATURES})
    return Advice(schema["model"], risk, attribution, found, choose(risk, attribution, found), drivers)


async def diagnose_many(connect: Connect, model: str, readings: list[Any]) -> list[Advice]:
    """Diagnose several readings over one MCP session."""
    async with connect() as client:
        return [await diagnose(client, model, reading) for reading in readings]


def diagnose_sync(connect: Connect, model: str, values: Any) -> Advice:
    return run_sync(connect, model, [values])[0]


def run_sync(connect: Connect, model: str, readings: list[Any]) -> list[Advice]:
    """``diagnose_many`` from synchronous code; a ResonanceError raised inside the MCP client's task groups
    comes out as itself, not wrapped in exception groups."""
    try:
        return anyio.run(diagnose_many, connect, model, readings)
    except BaseExceptionGroup as group:
        found = _first_error(group)
        if found is None:
            raise
        raise found from None


def _first_error(group: BaseExceptionGroup) -> ResonanceError | None:
    for exc in group.exceptions:
        if isinstance(exc, ResonanceError):
            return exc
        if isinstance(exc, BaseExceptionGroup) and (found := _first_error(exc)) is not None:
            return found
    return None
