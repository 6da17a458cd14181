"""A TLS-terminating proxy for tests: nodes connect to it as if it were the SuperLink (it presents the space's
own server certificate), it records the plaintext each client sends, and forwards everything over a second TLS
connection to the real SuperLink. What it records is every byte the nodes send, before encryption."""

from __future__ import annotations

import contextlib
import socket
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
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._sent = bytearray()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stopping.set()
        self._listener.close()

    def client_bytes(self) -> bytes:
        with self._lock:
            return bytes(self._sent)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                raw, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        try:
            client = self._server_ctx.wrap_socket(raw, server_side=True)
            upstream = self._client_ctx.wrap_socket(
                socket.create_connection(self._upstream), server_hostname=self._upstream[0]
            )
        except (OSError, ssl.SSLError):
            raw.close()
            return
        threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
        self._pipe(upstream, client, False)

    def _pipe(self, source: ssl.SSLSocket, target: ssl.SSLSocket, record: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if record:
                    with self._lock:
                        self._sent.extend(chunk)
                target.sendall(chunk)
        except (OSError, ssl.SSLError):
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.close()
