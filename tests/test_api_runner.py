"""APIRunner against a real HTTP server on 127.0.0.1 (biasorigins.testing.openai_server), offline.

The server picks each answer from the prompt text alone and records it; the tests compare
what the runner read with what the server meant, and count what the server saw.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("openai")

from biasorigins import APIRunner, BiasSuite, ConfigError, DecisionStore, ModelServerError  # noqa: E402
from biasorigins.cli import main  # noqa: E402
from biasorigins.store import RunnerKey  # noqa: E402
from biasorigins.testing.openai_server import FakeOpenAIServer  # noqa: E402

BIASES = ["anchoring", "framing-effect", "loss-aversion"]
SECRET = "sk-test-0123456789-DO-NOT-LEAK"


@pytest.fixture(scope="module")
def suite() -> BiasSuite:
    return BiasSuite(BIASES, cases=2, seed=0, reversal_probe=0)


@pytest.fixture(autouse=True)
def _no_environment_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def quick(server: FakeOpenAIServer, **options) -> APIRunner:
    """A runner with short timeouts and backoff, for tests."""
    settings = {"timeout": 5.0, "max_retries": 3, "backoff": 0.02, "concurrency": 4, **options}
    return APIRunner("fake-model", base_url=server.base_url, **settings)


def server_text(prompt, runner: APIRunner, *, likelihood: bool) -> str:
    """The text the server read for ``prompt`` (its key in ``server.chosen``)."""
    if runner.endpoint == "chat":
        return prompt.text
    return f"{prompt.text}\n\n{prompt.answer_prefix}" if likelihood else prompt.text


@pytest.mark.parametrize("endpoint", ["chat", "completions"])
@pytest.mark.parametrize("mode", ["likelihood", "generate"])
def test_reads_the_option_the_server_chose(suite: BiasSuite, mode: str, endpoint: str) -> None:
    prompts = suite.prompts()
    with FakeOpenAIServer() as server:
        runner = quick(server, mode=mode, endpoint=endpoint)
        responses = runner.decide(prompts)
    assert server.requests == len(prompts) and not runner.fell_back
    chosen = [server.chosen[server_text(p, runner, likelihood=mode == "likelihood")] for p in prompts]
    assert [p.labels[r.choice] for p, r in zip(prompts, responses)] == chosen
    assert len({r.choice for r in responses}) > 2  # the server's choices vary, so agreement means something
    if mode == "likelihood":
        assert all(r.scores is not None and max(r.scores) == -0.1 for r in responses)
    else:
        assert all(r.scores is None and "would pick" in r.text for r in responses)
    body = server.bodies[0]
    assert body["temperature"] == 0 and body["seed"] == 0 and body["model"] == "fake-model"
    assert ("logprobs" in body) == (mode == "likelihood")


def test_suite_run_stores_every_answer_and_a_rerun_asks_nothing(suite: BiasSuite, tmp_path: Path) -> None:
    path = tmp_path / "decisions.sqlite"
    with FakeOpenAIServer() as server:
        first = suite.run(quick(server), store=path, progress=False)
        asked = server.requests
        again = suite.run(quick(server), store=path, progress=False)
    assert asked == len(suite.prompts()) and server.requests == asked
    assert first.table["displayed_choice"].tolist() == again.table["displayed_choice"].tolist()
    assert (first.table["status"] == "ok").all()


def test_rate_limits_and_server_errors_are_retried_with_exponential_backoff(suite: BiasSuite, caplog) -> None:
    prompts = suite.prompts()[:3]
    caplog.set_level(logging.INFO, logger="biasorigins.models.api")
    with FakeOpenAIServer(faults={1: "429", 2: "500", 3: "500"}) as server:
        responses = quick(server, concurrency=1, backoff=0.1).decide(prompts)
    assert all(r.status == "ok" for r in responses) and server.requests == len(prompts) + 3
    gaps = [b - a for a, b in zip(server.arrivals, server.arrivals[1:4])]
    assert 0.1 <= gaps[0] < 0.2 and 0.2 <= gaps[1] < 0.4 and 0.4 <= gaps[2] < 0.8  # 0.1 s, then doubled
    assert "status 429; retry 1 of 3" in caplog.text and "status 500; retry 3 of 3" in caplog.text


def test_a_server_that_keeps_failing_stops_the_run_with_one_line(suite: BiasSuite) -> None:
    with FakeOpenAIServer(faults={k: "500" for k in range(1, 10)}) as server:
        with pytest.raises(ModelServerError, match=r"after 3 tries \(status 500\).*a rerun resumes") as caught:
            quick(server, concurrency=1, max_retries=2).decide(suite.prompts()[:2])
    assert "\n" not in str(caught.value) and server.requests == 3


def test_a_refused_request_is_not_retried(suite: BiasSuite) -> None:
    with FakeOpenAIServer(faults={1: "echo-key"}) as server:
        with pytest.raises(ModelServerError, match=r"refused the request \(401"):
            quick(server, concurrency=1).decide(suite.prompts()[:2])
    assert server.requests == 1


def test_a_timeout_is_retried_and_then_reported(suite: BiasSuite) -> None:
    prompts = suite.prompts()[:2]
    with FakeOpenAIServer(faults={1: "hang"}, hang_seconds=1.5) as server:
        start = time.monotonic()
        responses = quick(server, concurrency=1, timeout=0.3).decide(prompts)
        assert time.monotonic() - start < 1.4  # did not wait for the hung reply
    assert all(r.status == "ok" for r in responses) and server.requests == 3
    with FakeOpenAIServer(faults={1: "hang"}, hang_seconds=1.5) as server:
        with pytest.raises(ModelServerError, match=r"no reply within 0.3 s"):
            quick(server, concurrency=1, timeout=0.3, max_retries=0).decide(prompts)


@pytest.mark.parametrize("mode", ["likelihood", "generate"])
def test_malformed_replies_become_errors_that_a_rerun_asks_again(suite: BiasSuite, tmp_path: Path, mode) -> None:
    path = tmp_path / "decisions.sqlite"
    prompts = suite.prompts()
    with FakeOpenAIServer(faults={1: "garbage", 2: "no-choices"}) as server:
        port = server.port
        result = suite.run(quick(server, concurrency=1, mode=mode), store=path, progress=False)
    errors = result.table.loc[result.table["status"] == "error", "error"].tolist()
    assert len(errors) == 2 and all(e.startswith("malformed reply from the server: ") for e in errors)
    assert any("not JSON: '<html>" in e for e in errors) and any("no choices in {}" in e for e in errors)
    with DecisionStore(path) as store:
        assert store.count() == len(prompts) - 2
    with FakeOpenAIServer(port=port) as server:  # the same address: the same model for the store
        result = suite.run(quick(server, mode=mode), store=path, progress=False)
    assert server.requests == 2 and (result.table["status"] == "ok").all()


def test_a_server_that_dies_mid_run_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "decisions.sqlite"
    suite = BiasSuite(BIASES, cases=5, seed=0, reversal_probe=0)
    prompts = suite.prompts()
    with FakeOpenAIServer(die_after=10, delay=0.01) as server:
        port = server.port
        with pytest.raises(ModelServerError, match="no answer from"):
            suite.run(quick(server, max_retries=2), store=path, progress=False)
    with DecisionStore(path) as store:
        assert store.count() == server.answered == 10  # every answer the server gave was kept
    with FakeOpenAIServer(port=port) as revived:
        runner = quick(revived)
        result = suite.run(runner, store=path, progress=False)
    assert revived.requests == len(prompts) - server.answered
    with DecisionStore(path) as store:
        frame = store.frame()
        assert len(frame) == store.count(RunnerKey.of(runner)) == len(prompts)
        assert not frame.duplicated(["case_id", "condition"]).any()
    chosen = {**server.chosen, **revived.chosen}
    by_key = {p.key: p for p in prompts}
    for row in result.table.itertuples():
        prompt = by_key[f"{row.case_id}#{row.condition}"]
        assert prompt.labels[row.displayed_choice] == chosen[server_text(prompt, runner, likelihood=True)]


def test_missing_logprobs_fall_back_to_generate_mode_with_a_note(suite: BiasSuite, caplog) -> None:
    prompts = suite.prompts()
    with FakeOpenAIServer(logprobs=False) as server:
        runner = quick(server, concurrency=1)
        with caplog.at_level(logging.WARNING, logger="biasorigins.models.api"):
            responses = runner.decide(prompts)
    assert runner.fell_back and caplog.text.count("returned no log-probabilities") == 1
    assert "generate mode" in caplog.text
    assert server.requests == len(prompts) + 1  # one likelihood request, then generate requests only
    assert [p.labels[r.choice] for p, r in zip(prompts, responses)] == [server.chosen[p.text] for p in prompts]
    assert all(r.scores is None and "would pick" in r.text for r in responses)


@pytest.mark.parametrize("concurrency", [1, 3])
def test_requests_in_flight_are_bounded(suite: BiasSuite, concurrency: int) -> None:
    with FakeOpenAIServer(delay=0.05) as server:
        quick(server, concurrency=concurrency).decide(suite.prompts()[:12])
    assert server.max_in_flight == concurrency


def test_the_key_never_leaks(suite: BiasSuite, tmp_path: Path, monkeypatch, caplog, capsys) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "decisions.sqlite"
    with FakeOpenAIServer(faults={2: "500"}) as server:
        runner = quick(server)
        result = suite.run(runner, store=path, progress=False)
        assert main(["evaluate", "--base-url", server.base_url, "--model", "fake-model", "--biases", *BIASES,
                     "--cases", "2", "--reversal-probe", "0", "--store", str(path), "--no-progress", "--out", str(tmp_path / "out")]) == 0
    assert server.authorizations[0] == f"Bearer {SECRET}"  # the key was sent, so it could have leaked
    seen = [repr(runner), runner.fingerprint, runner.model_fingerprint, str(runner.settings), caplog.text,
            result.table.to_csv(), str(vars(runner)), *capsys.readouterr()]
    seen += [p.read_bytes().decode("latin-1") for p in [*tmp_path.rglob("*")] if p.is_file()]
    assert not [text for text in seen if SECRET in text]
    with FakeOpenAIServer(faults={1: "echo-key"}) as server:
        with pytest.raises(ModelServerError) as caught:
            quick(server).decide(suite.prompts()[:1])
    assert "invalid key: Bearer ***" in str(caught.value) and SECRET not in str(caught.value)


def test_the_fingerprint_names_server_model_and_settings_but_not_the_key() -> None:
    base = APIRunner("m", base_url="http://127.0.0.1:9/v1", api_key="k1-aaaa")
    assert base.fingerprint == APIRunner("m", base_url="http://127.0.0.1:9/v1", api_key="k2-bbbb").fingerprint
    for other in (APIRunner("m2", base_url="http://127.0.0.1:9/v1"), APIRunner("m", base_url="http://127.0.0.1:8/v1"),
                  APIRunner("m", base_url="http://127.0.0.1:9/v1", mode="generate"),
                  APIRunner("m", base_url="http://127.0.0.1:9/v1", seed=1)):
        assert other.fingerprint != base.fingerprint
    assert APIRunner("m", base_url="http://127.0.0.1:9/v1", concurrency=2).fingerprint == base.fingerprint


def test_bad_settings_are_config_errors_before_any_request() -> None:
    with pytest.raises(ConfigError, match="set OPENAI_API_KEY"):
        APIRunner("gpt-4o-mini")
    with pytest.raises(ConfigError, match="mode must be"):
        APIRunner("m", base_url="http://127.0.0.1:9/v1", mode="logits")
    with pytest.raises(ConfigError, match="concurrency must be at least 1"):
        APIRunner("m", base_url="http://127.0.0.1:9/v1", concurrency=0)


def test_cli_evaluates_a_served_model(suite: BiasSuite, tmp_path: Path, monkeypatch, capsys) -> None:
    with FakeOpenAIServer() as server:
        code = main(["evaluate", "--base-url", server.base_url, "--model", "fake-model", "--biases", *BIASES,
                     "--cases", "2", "--reversal-probe", "0", "--mode", "generate", "--no-progress"])
        assert code == 0 and server.requests == len(suite.prompts())
        assert "Model: fake-model" in capsys.readouterr().out
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        assert main(["evaluate", "openai:fake-model", "--biases", "anchoring", "--cases", "2", "--reversal-probe", "0", "--no-progress"]) == 0
        assert server.bodies[-1]["model"] == "fake-model" and "logprobs" in server.bodies[-1]
    assert main(["evaluate", "openai:m", "--adapter", str(tmp_path), "--no-progress"]) == 1
    assert "--adapter needs a local model" in capsys.readouterr().err
    assert main(["evaluate", "--model", "m", "--no-progress"]) == 1
    assert "give --base-url too" in capsys.readouterr().err


def stored(path: Path) -> int:
    """Decisions in the store at ``path`` so far (read-only, while another process writes)."""
    if not path.exists():
        return 0
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)) as conn:
        try:
            return int(conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0])
        except sqlite3.OperationalError:  # the table is not made yet
            return 0


@pytest.mark.slow
def test_cli_run_killed_mid_way_resumes(suite: BiasSuite, tmp_path: Path) -> None:
    path = tmp_path / "decisions.sqlite"
    total = len(suite.prompts())
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    command = [sys.executable, "-m", "biasorigins", "evaluate", "--model", "fake-model", "--biases", *BIASES,
               "--cases", "2", "--reversal-probe", "0", "--store", str(path), "--no-progress", "--concurrency", "2"]
    with FakeOpenAIServer(delay=0.1) as server:
        port = server.port
        process = subprocess.Popen([*command, "--base-url", server.base_url], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while stored(path) < 6 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    with DecisionStore(path) as store:
        kept = store.count()
    assert 6 <= kept < total
    with FakeOpenAIServer(port=port) as server:
        done = subprocess.run([*command, "--base-url", server.base_url], env=env, capture_output=True, text=True,
                              timeout=120)
    assert done.returncode == 0, done.stderr
    assert server.requests == total - kept
    with DecisionStore(path) as store:
        assert store.count() == total
