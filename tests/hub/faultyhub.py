"""A real HTTP server in front of the olah Hub that misbehaves on purpose, for the Hub fault suite.

Everything is forwarded to olah except the download of the weights file, which gets the fault:
``html`` (a proxy's error page with status 200), ``cut`` (the connection closes halfway), ``wrong``
(the right size, different bytes), ``stall`` (half the body, then silence). ``SilentServer``
accepts connections and never answers. Neither touches huggingface_hub: the client is the real one.
"""

from __future__ import annotations

import http.client
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = ("html", "cut", "wrong", "stall")
HTML = b"<!doctype html><html><body><h1>Service unavailable</h1><p>Please log in to the portal.</p></body></html>"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FaultyHub

    def log_message(self, *args: object) -> None:  # keep the test output clean
        pass

    def do_HEAD(self) -> None:
        self.server.paths.append(("HEAD", self.path))
        self._forward(body=False)

    def do_GET(self) -> None:
        self.server.paths.append(("GET", self.path))
        if "/resolve/" in self.path and self.path.endswith(self.server.filename):
            self._fault()
        else:
            self._forward(body=True)

    def _upstream(self, method: str) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", self.server.upstream_port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        connection.request(method, self.path, headers=headers)
        return connection.getresponse()

    def _forward(self, body: bool) -> None:
        response = self._upstream(self.command)
        data = response.read()
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() in ("transfer-encoding", "connection") or (body and key.lower() == "content-length"):
                continue  # a HEAD keeps the upstream's length: it announces the file's size
            if key.lower() == "location":
                value = value.replace(f":{self.server.upstream_port}", f":{self.server.port}")
            self.send_header(key, value)
        if body:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _fault(self) -> None:
        self.server.hits += 1
        fault = self.server.fault
        if fault == "html":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(HTML)))
            self.end_headers()
            self.wfile.write(HTML)
            return
        response = self._upstream("GET")
        data = response.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if fault == "wrong":
            self.wfile.write(bytes(b ^ 0x5A for b in data))
        elif fault == "cut":
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        else:  # stall: half the bytes, then nothing until the client gives up
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.server.stopping.wait(120)
            self.close_connection = True


class FaultyHub(ThreadingHTTPServer):
    """``FaultyHub(upstream_port, fault)``: serve on a free loopback port; ``url`` for HF_ENDPOINT."""

    daemon_threads = True

    def __init__(self, upstream_port: int, fault: str, filename: str = "model.safetensors") -> None:
        assert fault in FAULTS, fault
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream_port, self.fault, self.filename = upstream_port, fault, filename
        self.port = self.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.hits = 0
        self.paths: list[tuple[str, str]] = []
        self.stopping = threading.Event()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()


class SilentServer:
    """Accepts every connection and never sends a byte: a Hub that hangs."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._held: list[socket.socket] = []
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._socket.accept()
            except OSError:
                return
            self._held.append(client)

    def close(self) -> None:
        self._closed.set()
        self._socket.close()
        for client in self._held:
            client.close()
