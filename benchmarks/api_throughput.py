"""API runner throughput: APIRunner against a server's own limit, with the same requests in flight.

A local OpenAI-compatible server answers every request after ``--delay`` seconds
(biasorigins' stand-in server, started in its own process, standing for a model
server whose per-request latency dominates; or any running server with ``--base-url``).
Three arms send the very same request bodies for the suite's prompts,
``--concurrency`` at a time:

1. ``direct``: the server's own limit: plain keep-alive HTTP connections
   (``http.client``), one per worker thread, nothing else;
2. ``runner``: ``APIRunner.decide`` (the openai client, retries, reply reading);
3. ``suite``: ``BiasSuite.run`` with a fresh decision store: the whole path a
   user runs (prompts, answers stored as they arrive, scores).

Each round runs every arm in a rotating order; each arm keeps its fastest of
``--repeats`` rounds. Printed: requests per second, each arm's ratio to
``direct``, and the CPU milliseconds this process spent per request.

Usage::

    python benchmarks/api_throughput.py                                # stand-in server, 50 ms per request
    python benchmarks/api_throughput.py --delay 0.2 --concurrency 16 --cases 4
    python benchmarks/api_throughput.py --base-url http://127.0.0.1:8080/v1 --model smollm2 --cases 1
"""

from __future__ import annotations

import argparse
import http.client
import json
import queue
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from biasorigins import APIRunner, BiasSuite


def start_stand_in(delay: float) -> tuple[subprocess.Popen, str]:
    """The stand-in server in its own process (so its CPU time is not ours); (process, base URL)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "biasorigins.testing.openai_server", "--port", str(port),
                                "--delay", str(delay), "--lifetime", "3600"], stdout=subprocess.PIPE, text=True)
    process.stdout.readline()  # "serving ..." once it listens
    return process, f"http://127.0.0.1:{port}/v1"


def fire_directly(base_url: str, bodies: list[dict], concurrency: int) -> float:
    """Seconds to send ``bodies`` over ``concurrency`` keep-alive connections and read every reply."""
    parts = urlsplit(base_url)
    path = f"{parts.path.rstrip('/')}/chat/completions"
    todo: queue.SimpleQueue[bytes] = queue.SimpleQueue()
    for body in bodies:
        todo.put(json.dumps(body).encode())
    failures: list[str] = []

    def work() -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        while True:
            try:
                payload = todo.get_nowait()
            except queue.Empty:
                break
            connection.request("POST", path, payload, {"Content-Type": "application/json"})
            reply = connection.getresponse()
            data = reply.read()
            if reply.status != 200 or not json.loads(data).get("choices"):
                failures.append(f"status {reply.status}")
        connection.close()

    start = time.perf_counter()
    workers = [threading.Thread(target=work) for _ in range(concurrency)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if failures:
        raise SystemExit(f"direct arm: {len(failures)} failed requests, e.g. {failures[0]}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", help="a running server (default: start the stand-in server)")
    parser.add_argument("--model", default="stand-in")
    parser.add_argument("--delay", type=float, default=0.05, help="stand-in server's seconds per request")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--biases", nargs="+", default=["all"])
    parser.add_argument("--cases", type=int, default=2)
    parser.add_argument("--mode", choices=["likelihood", "generate"], default="likelihood")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    suite = BiasSuite(args.biases[0] if len(args.biases) == 1 else args.biases, cases=args.cases, seed=0)
    prompts = suite.prompts()
    server, base_url = (None, args.base_url) if args.base_url else start_stand_in(args.delay)

    def runner() -> APIRunner:
        return APIRunner(args.model, base_url=base_url, mode=args.mode, concurrency=args.concurrency)

    bodies = [runner()._request(p, likelihood=args.mode == "likelihood") for p in prompts]

    def run_suite() -> float:
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            suite.run(runner(), store=Path(folder) / "decisions.sqlite", progress=False)
            return time.perf_counter() - start

    def run_runner() -> float:
        start = time.perf_counter()
        runner().decide(prompts)
        return time.perf_counter() - start

    arms = {"direct": lambda: fire_directly(base_url, bodies, args.concurrency), "runner": run_runner,
            "suite": run_suite}
    best = {name: float("inf") for name in arms}
    cpu = {name: float("inf") for name in arms}
    names = list(arms)
    for round_index in range(args.repeats):
        order = names[round_index % len(names):] + names[: round_index % len(names)]
        for name in order:
            started = time.process_time()
            best[name] = min(best[name], arms[name]())
            cpu[name] = min(cpu[name], time.process_time() - started)
    if server is not None:
        server.terminate()
        server.wait()
        print(f"stand-in server in its own process, {args.delay * 1000:.0f} ms per request; "
              f"ideal {args.concurrency / args.delay:.1f} requests/s (concurrency / delay)")
    print(f"{len(prompts)} prompts, {args.mode} mode, {args.concurrency} in flight, best of {args.repeats}")
    for name in names:
        rate = len(prompts) / best[name]
        print(f"{name:>7}: {rate:7.1f} requests/s  ({best['direct'] / best[name]:.2f} x direct), "
              f"{1000 * cpu[name] / len(prompts):.2f} ms CPU per request here")


if __name__ == "__main__":
    main()
