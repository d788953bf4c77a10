"""A small OpenAI-compatible server on 127.0.0.1, for offline tests and benchmarks of API runners.

It answers ``POST /v1/chat/completions`` and ``POST /v1/completions``.  The
answer is read from the prompt text alone: the "Option X: ..." lines are found
and one label is picked by a hash of the prompt (or by ``choose``); the choice
is recorded in :attr:`FakeOpenAIServer.chosen`, so a test can compare what a
runner read with what the server meant.  Replies say "I would pick Option X."
and, when asked for log-probabilities, give the label the highest one at the
answer position (chat replies start with the token "Option", whose own
alternatives include a label, to catch runners that read the wrong position).

Faults for tests: ``faults={request number: kind}`` (numbers count requests in
arrival order from 1) with kinds ``"429"``, ``"500"``, ``"hang"`` (answers after
``hang_seconds``), ``"garbage"`` (200 with a non-JSON body), ``"no-choices"``
(200 with ``{}``), ``"echo-key"`` (401 whose message repeats the Authorization
header); ``die_after=n`` drops every request after the n-th and closes the server; ``logprobs=False``
never returns log-probabilities; ``delay`` seconds are spent on every request.
Request counts, bodies, Authorization headers, arrival times and the most
requests in flight at once are recorded.  The server stops by itself after
``lifetime`` seconds.

>>> with FakeOpenAIServer() as server:                              # doctest: +SKIP
...     runner = APIRunner("fake", base_url=server.base_url)
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_OPTION_LINE = re.compile(r"^Option (\w+): ", re.MULTILINE)


def choose_by_hash(text: str, labels: list[str]) -> str:
    """A label picked by a hash of the prompt text: fixed per prompt, varied across prompts."""
    return labels[int(hashlib.sha256(text.encode()).hexdigest(), 16) % len(labels)]


class FakeOpenAIServer:
    """See the module docstring; use as a context manager, or ``start()`` and ``stop()``."""

    def __init__(
        self,
        *,
        port: int = 0,
        choose: Callable[[str, list[str]], str] = choose_by_hash,
        logprobs: bool = True,
        delay: float = 0.0,
        faults: dict[int, str] | None = None,
        hang_seconds: float = 2.0,
        die_after: int | None = None,
        lifetime: float = 120.0,
    ) -> None:
        self.choose = choose
        self.logprobs = logprobs
        self.delay = delay
        self.faults = dict(faults or {})
        self.hang_seconds = hang_seconds
        self.die_after = die_after
        self.lifetime = lifetime
        self.requests = 0
        self.answered = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.chosen: dict[str, str] = {}
        self.authorizations: list[str] = []
        self.arrivals: list[float] = []
        self.bodies: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._httpd = _QuietServer(("127.0.0.1", port), _handler(self))
        self._httpd.daemon_threads = True
        self._stopped = threading.Event()

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeOpenAIServer:
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        timer = threading.Timer(self.lifetime, self.stop)
        timer.daemon = True
        timer.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the port (idempotent)."""
        if not self._stopped.is_set():
            self._stopped.set()
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- answering -------------------------------------------------------------------------------
    def reply(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """The completion for one request body (chat or completions)."""
        chat = path.endswith("/chat/completions")
        text = body["messages"][-1]["content"] if chat else body["prompt"]
        labels = _OPTION_LINE.findall(text)
        label = self.choose(text, labels) if labels else "?"
        with self._lock:
            self.chosen[text] = label
        wants = bool(body.get("logprobs")) and self.logprobs
        if chat:
            content = "Option" + f" {label}" if wants else f"I would pick Option {label}."
            choice: dict[str, Any] = {"index": 0, "message": {"role": "assistant", "content": content},
                                      "finish_reason": "stop", "logprobs": None}
            if wants:
                first = [{"token": "Option", "logprob": -0.05}, {"token": labels[-1], "logprob": -3.5}]
                second = [{"token": f" {other}", "logprob": _logprob(other, label, labels)} for other in labels]
                choice["logprobs"] = {"content": [
                    {"token": "Option", "logprob": -0.05, "top_logprobs": first},
                    {"token": f" {label}", "logprob": -0.1, "top_logprobs": second}]}
            return {"id": "fake", "object": "chat.completion", "model": body.get("model"), "choices": [choice]}
        choice = {"index": 0, "text": f" {label}" if wants else f" I would pick Option {label}.",
                  "finish_reason": "stop", "logprobs": None}
        if wants:
            choice["logprobs"] = {"tokens": [f" {label}"], "token_logprobs": [-0.1],
                                  "top_logprobs": [{f" {other}": _logprob(other, label, labels) for other in labels}]}
        return {"id": "fake", "object": "text_completion", "model": body.get("model"), "choices": [choice]}


class _QuietServer(ThreadingHTTPServer):
    request_queue_size = 128  # many clients connect at once

    def handle_error(self, request: Any, client_address: Any) -> None:  # a client that hung up is expected
        pass


def _logprob(label: str, chosen: str, labels: list[str]) -> float:
    return -0.1 if label == chosen else -2.0 - 0.5 * labels.index(label)


def _handler(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body leave at once (else ~40 ms per reply)

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, payload: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            try:
                self.wfile.write(payload)
            except OSError:  # the client gave up (timeout)
                self.close_connection = True

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            with server._lock:
                server.requests += 1
                number = server.requests
                server.in_flight += 1
                server.max_in_flight = max(server.max_in_flight, server.in_flight)
                server.authorizations.append(self.headers.get("Authorization", ""))
                server.arrivals.append(time.monotonic())
                server.bodies.append(body)
                dead = server.die_after is not None and number > server.die_after
            try:
                if dead:
                    self.close_connection = True
                    threading.Thread(target=server.stop, daemon=True).start()
                    return
                if server.delay:
                    time.sleep(server.delay)
                self._answer(server.faults.get(number), body)
            finally:
                with server._lock:
                    server.in_flight -= 1

        def _answer(self, fault: str | None, body: dict[str, Any]) -> None:
            if fault in ("429", "500"):
                self._send(int(fault), json.dumps({"error": {"message": f"fault {fault}"}}).encode())
            elif fault == "echo-key":
                message = f"invalid key: {self.headers.get('Authorization', '')}"
                self._send(401, json.dumps({"error": {"message": message}}).encode())
            elif fault == "garbage":
                self._send(200, b"<html>not json", "text/html")
            elif fault == "no-choices":
                self._send(200, b"{}")
            else:
                if fault == "hang":
                    time.sleep(server.hang_seconds)
                self._send(200, json.dumps(server.reply(self.path, body)).encode())
                with server._lock:
                    server.answered += 1

    return Handler


def main(argv: list[str] | None = None) -> None:
    """``python -m biasorigins.testing.openai_server [--port 8000] [--delay 0] [--lifetime 600]``: a stand-in server."""
    import argparse

    parser = argparse.ArgumentParser(description="A stand-in OpenAI-compatible server on 127.0.0.1 (answers "
                                                 "from a hash of each prompt; for trying API runs offline)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds spent on every request")
    parser.add_argument("--lifetime", type=float, default=600.0, help="seconds before it stops by itself")
    args = parser.parse_args(argv)
    server = FakeOpenAIServer(port=args.port, delay=args.delay, lifetime=args.lifetime).start()
    print(f"serving {server.base_url} for {args.lifetime:.0f} s", flush=True)
    server._stopped.wait()


if __name__ == "__main__":
    main()
