"""``resonance space federation start|stop|status``: the space's Flower SuperLink (TLS, SuperNode authentication)."""

from __future__ import annotations

from dataclasses import asdict

import typer

from resonance.cli._common import JSON_OPTION, console, handle_errors, print_json, print_table
from resonance.settings import get_settings

app = typer.Typer(no_args_is_help=True, help="the space's Flower SuperLink: start, stop, status")


@app.command("start")
@handle_errors
def start(
    port: int | None = typer.Option(None, "--port", help="HTTPS port on 127.0.0.1 (default: a free one)"),
    json_out: bool = JSON_OPTION,
) -> None:
    """Start the SuperLink with TLS and SuperNode authentication; it runs until `stop`."""
    from resonance.federation import pki, superlink

    home = get_settings().home
    link = superlink.start(home, port=port)
    out = {
        "pid": link.pid,
        "address": link.address,
        "ca_cert": str(pki.tls_dir(home) / "ca.pem"),
        "log_file": str(superlink.log_file(home)),
    }
    if json_out:
        print_json(out)
        return
    console.print(f"SuperLink 已启动 started: https://{out['address']} (pid {out['pid']})")
    console.print(f"nodes need the CA 节点需要 CA 证书: {out['ca_cert']}")
    console.print(f"log 日志: {out['log_file']}")


@app.command("stop")
@handle_errors
def stop(json_out: bool = JSON_OPTION) -> None:
    """Stop the SuperLink and the ServerApps it started."""
    from resonance.federation import superlink

    stopped = superlink.stop(get_settings().home)
    if json_out:
        print_json({"stopped": stopped})
    else:
        console.print("SuperLink 已停止 stopped" if stopped else "SuperLink 未运行 was not running")


@app.command("status")
@handle_errors
def status(json_out: bool = JSON_OPTION) -> None:
    """Whether the SuperLink runs and answers, and the SuperNodes it knows."""
    from resonance.federation import superlink

    state = superlink.status(get_settings().home)
    if json_out:
        print_json(asdict(state))
        return
    if not state.running:
        console.print("SuperLink 未运行 not running — start it with `resonance space federation start`")
        return
    health = "healthy 正常" if state.healthy else "not answering 无响应"
    console.print(f"SuperLink https://{state.address} (pid {state.pid}): {health}; log {state.log_file}")
    print_table(
        f"SuperNodes — {len(state.nodes)}",
        ["node-id", "status", "online-at", "offline-at"],
        [[n["node-id"], n["status"], n["online-at"], n["offline-at"]] for n in state.nodes],
    )
