"""A TLS-terminating proxy for tests: nodes connect to it as if it were the SuperLink (it presents the space's
own server certificate), it records the plaintext each client sends, and forwards everything over a second TLS
connection to the real SuperLink. What it records is every byte the nodes send, before encryption.

asyncio, not one thread per direction: an ``ssl.SSLSocket`` must not be read and written from two threads."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
from pathlib import Path

from resonance.federation import pki


class CapturingProxy:
    def __init__(self, space_home: Path, upstream: str) -> None:
        files = pki.TlsFiles(pki.tls_dir(space_home))
        self._server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._server_ctx.load_cert_chain(files.server_cert, files.server_key)
        self._client_ctx = ssl.create_default_context(cafile=str(files.ca_cert))
        host, port = upstream.rsplit(":", 1)
        self._upstream = (host, int(port))
        self._sent = bytearray()
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.address = ""

    def start(self) -> None:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._listen(), self._loop)
        self.address = future.result(timeout=30)

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)

    def client_bytes(self) -> bytes:
        with self._lock:
            return bytes(self._sent)

    async def _listen(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self._server_ctx)
        port = self._server.sockets[0].getsockname()[1]
        return f"127.0.0.1:{port}"

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(
                *self._upstream, ssl=self._client_ctx, server_hostname=self._upstream[0]
            )
        except (OSError, ssl.SSLError):
            client_writer.close()
            return
        await asyncio.gather(
            self._pipe(client_reader, up_writer, record=True),
            self._pipe(up_reader, client_writer, record=False),
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, record: bool) -> None:
        try:
            while chunk := await reader.read(65536):
                if record:
                    with self._lock:
                        self._sent.extend(chunk)
                writer.write(chunk)
                await writer.drain()
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()
