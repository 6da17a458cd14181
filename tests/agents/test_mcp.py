"""The MCP server through the official ``mcp`` client: stdio (a subprocess) and streamable HTTP (127.0.0.1)."""

from __future__ import annotations

import os
import subprocess
import time

import anyio
import httpx
import numpy as np
import pytest

from resonance import tokens
from resonance.agents import maintenance
from resonance.agents.maintenance import call
from resonance.demo.bundled import AI4I_FEATURES
from resonance.errors import ResonanceError
from resonance.federation._procs import free_port
from resonance.registry.db import transaction

GOOD = dict(zip(AI4I_FEATURES, [300.0, 310.0, 1500, 40.0, 100], strict=True))
TOOLS = {"search_catalog", "dataset_card", "model_schema", "predict", "leaderboard"}


def _env(space):
    return {**os.environ, **space.env()}


@pytest.fixture
def http_url(space):
    port = free_port()
    command, args = maintenance.server_command()
    process = subprocess.Popen(
        [command, *args, "agents", "mcp", "--transport", "http", "--port", str(port)],
        env=_env(space),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.post(url, json={}, timeout=2).status_code == 401:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the MCP HTTP server did not start: {process.stderr.read().decode()[-2000:]}")
        time.sleep(0.3)
    yield url
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


async def _session(connect, work):
    async with connect() as client:
        return await work(client)


def _run(connect, work):
    return anyio.run(_session, connect, work)


async def _refusal(client, tool, arguments):
    try:
        await call(client, tool, arguments)
    except ResonanceError as exc:
        return exc
    raise AssertionError(f"{tool} was not refused")


def test_http_round_trip_as_a_developer(space, http_url, trained):
    connect = maintenance.http_connection(http_url, space.token("developer", "model-co"))

    async def work(client):
        listed = await client.list_tools()
        names = {t.name for t in listed.tools}
        found = await call(client, "search_catalog", {"query": "铣削"})
        card = await call(client, "dataset_card", {"dataset": "ai4i-l"})
        schema = await call(client, "model_schema", {"model": "mt-failure"})
        rows = [dict(zip(AI4I_FEATURES, x, strict=True)) for x in trained["parts"][1].test_X[:5].tolist()]
        predicted = await call(client, "predict", {"model": "mt-failure@1", "rows": rows})
        bad = await _refusal(client, "predict", {"model": "mt-failure", "rows": [{**GOOD, "Torque [Nm]": "high"}]})
        board = await call(client, "leaderboard", {"industry": "machine_tools"})
        return names, found, card, schema, predicted, bad, board

    names, found, card, schema, predicted, bad, board = _run(connect, work)
    assert names == TOOLS
    assert [r["concept"] for r in found["results"]] == ["datasets"]
    assert found["results"][0]["items"][0]["code"] == "ai4i-l"
    assert card["code"] == "ai4i-l" and card["owner"] == "mill-l" and "profile" not in card
    assert [f["name"] for f in schema["features"]] == list(AI4I_FEATURES)
    outcome, spec = trained["outcome"], trained["spec"]
    from resonance.federation.learning import get_family

    expected = get_family(spec).predict(outcome.arrays, outcome.standardiser.apply(trained["parts"][1].test_X[:5]))
    np.testing.assert_allclose(predicted["predictions"], expected, rtol=1e-5, atol=1e-6)
    assert bad.code == "invalid_input"
    assert bad.problems[0].where == "rows[0].Torque [Nm]"
    assert board == {"rows": []}


def test_http_refuses_requests_without_a_valid_token(space, http_url):
    reply = httpx.post(http_url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, timeout=10)
    assert reply.status_code == 401
    assert reply.json()["error"]["code"] == "unauthorized"
    reply = httpx.post(http_url, json={}, headers={"Authorization": "Bearer rs_bad_token"}, timeout=10)
    assert reply.status_code == 401
    with pytest.raises(BaseException):  # noqa: B017 - the client fails its handshake (an exception group)
        _run(maintenance.http_connection(http_url, "rs_bad_token"), lambda client: client.list_tools())


def test_http_roles_viewer_provider_operator(space, http_url):
    def attempt(secret):
        async def work(client):
            try:
                return await call(client, "predict", {"model": "mt-failure", "rows": [GOOD]})
            except ResonanceError as exc:
                return exc

        return _run(maintenance.http_connection(http_url, secret), work)

    viewer = attempt(space.token("viewer"))
    assert isinstance(viewer, ResonanceError) and viewer.code == "forbidden"
    assert "viewer" in viewer.what
    provider = attempt(space.token("provider", "mill-l"))
    operator = attempt(space.token("operator"))
    assert len(provider["predictions"]) == 1 and provider == operator


def test_stdio_round_trip_and_revocation(space):
    secret = space.token("developer", "model-co")
    connect = maintenance.stdio_connection(secret, home=space.home, database_url=space.url)

    async def work(client):
        schema = await call(client, "model_schema", {"model": "mt-failure"})
        first = await call(client, "predict", {"model": "mt-failure", "rows": [GOOD, GOOD]})
        missing = await _refusal(client, "predict", {"model": "mt-failure", "rows": [{"Torque [Nm]": 40}]})
        unknown = await _refusal(client, "model_schema", {"model": "no-such-model"})
        with transaction(space.registry.sessions) as session:
            token = tokens.verify_token(session, secret)[0]
            tokens.revoke(session, token.token_id)
        revoked = await _refusal(client, "predict", {"model": "mt-failure", "rows": [GOOD]})
        return schema, first, missing, unknown, revoked

    schema, first, missing, unknown, revoked = _run(connect, work)
    assert schema["model"] == "mt-failure@1"
    assert len(first["predictions"]) == 2 and first["predictions"][0] == first["predictions"][1]
    assert 0.0 <= first["predictions"][0] <= 1.0
    assert {p.what for p in missing.problems} >= {
        "missing field 'Air temperature [K]'",
        "missing field 'Tool wear [min]'",
    }
    assert unknown.code == "not_found"
    assert revoked.code == "unauthorized"


def test_stdio_server_refuses_to_start_without_a_token(space):
    command, args = maintenance.server_command()
    env = {k: v for k, v in _env(space).items() if k != "RESONANCE_TOKEN"}
    done = subprocess.run(
        [command, *args, "agents", "mcp"], env=env, capture_output=True, timeout=120, stdin=subprocess.DEVNULL
    )
    assert done.returncode == 1
    assert b"RESONANCE_TOKEN" in done.stderr
    env["RESONANCE_TOKEN"] = "rs_deadbeef_nope"
    done = subprocess.run(
        [command, *args, "agents", "mcp"], env=env, capture_output=True, timeout=120, stdin=subprocess.DEVNULL
    )
    assert done.returncode == 1 and b"error" in done.stderr
