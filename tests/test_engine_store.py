"""Decision store and resume: cached answers, no duplicates, Ctrl-C and SIGKILL mid-run."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from biasorigins.models.hf import HFRunner
from biasorigins.records import Response
from biasorigins.store import DecisionStore, RunnerKey, StoredResponse, prompt_hash
from biasorigins.suite import BiasSuite
from biasorigins.testing.responders import RandomResponder

BIASES = ["anchoring", "framing-effect"]
# Suites here count stored answers, so the display-reversed probe is off (its storage: test_diagnostics.py).


class CountingResponder(RandomResponder):
    """A random responder that counts the prompts it is asked."""

    def __init__(self, seed: int = 0, *, fail_on: str | None = None) -> None:
        super().__init__(seed)
        self.asked = 0
        self.fail_on = fail_on

    def decide(self, prompts):
        self.asked += len(prompts)
        out = super().decide(prompts)
        if self.fail_on is None:
            return out
        return [Response(status="error", error="flaky API") if p.condition == self.fail_on else r
                for p, r in zip(prompts, out)]


def test_rerun_takes_every_answer_from_the_store(tmp_path):
    suite = BiasSuite(BIASES, cases=4, seed=0, reversal_probe=0)
    path = tmp_path / "decisions.sqlite"
    first = CountingResponder(3)
    result = suite.run(first, store=path, progress=False)
    assert first.asked == 16
    again = CountingResponder(3)
    repeated = suite.run(again, store=path, progress=False)
    assert again.asked == 0
    assert repeated.table.equals(result.table)
    with DecisionStore(path) as store:
        assert store.count() == 16 and store.integrity_ok()


def test_keys_separate_models_settings_and_prompts(tmp_path):
    store = DecisionStore(tmp_path / "s.sqlite")
    suite = BiasSuite(BIASES, cases=2, seed=0, reversal_probe=0)
    suite.run(CountingResponder(1), store=store, progress=False)
    other_model = CountingResponder(2)
    suite.run(other_model, store=store, progress=False)
    assert other_model.asked == 8
    other_prompts = CountingResponder(1)
    BiasSuite(BIASES, cases=2, seed=1, reversal_probe=0).run(other_prompts, store=store, progress=False)
    assert other_prompts.asked == 8

    class WithSettings(CountingResponder):
        model_fingerprint = "same-weights"

        def __init__(self, temperature: float) -> None:
            super().__init__(1)
            self.settings = {"temperature": temperature}

    suite.run(WithSettings(0.0), store=store, progress=False)
    changed = WithSettings(0.5)
    suite.run(changed, store=store, progress=False)
    assert changed.asked == 8
    same = WithSettings(0.5)
    suite.run(same, store=store, progress=False)
    assert same.asked == 0
    assert {"temperature": 0.5} in store.settings().values()
    store.close()


def test_errors_are_not_stored_and_are_retried(tmp_path):
    suite = BiasSuite(BIASES, cases=2, seed=0, reversal_probe=0)
    path = tmp_path / "s.sqlite"
    flaky = CountingResponder(1, fail_on="treatment")
    result = suite.run(flaky, store=path, progress=False)
    assert (result.table["status"] == "error").sum() == 4
    fixed = CountingResponder(1)
    again = suite.run(fixed, store=path, progress=False)
    assert fixed.asked == 4 and (again.table["status"] == "ok").all()


def test_duplicate_puts_are_ignored_and_an_interrupted_put_leaves_no_trace(tmp_path):
    store = DecisionStore(tmp_path / "s.sqlite")
    prompts = BiasSuite(BIASES, cases=3, seed=0).prompts()
    key = RunnerKey.of(RandomResponder(0))
    items = [StoredResponse(key, p, Response(choice=1, scores=(0.1, -2.0))) for p in prompts[:4]]
    assert store.put(items) == 4
    assert store.put(items) == 0
    assert store.count() == 4

    def interrupted():
        for k, prompt in enumerate(prompts[4:]):
            if k == 3:
                raise KeyboardInterrupt
            yield StoredResponse(key, prompt, Response(choice=0))

    with pytest.raises(KeyboardInterrupt):
        store.put(interrupted())
    assert store.count() == 4 and store.integrity_ok()
    got = store.get(key, prompts)
    assert sorted(got) == [0, 1, 2, 3] and got[0] == Response(choice=1, scores=(0.1, -2.0))
    assert store.put([StoredResponse(key, prompts[5], Response(choice=0))]) == 1
    store.close()


class InterruptedRunner(HFRunner):
    """Raises KeyboardInterrupt (as Ctrl-C would) when its n-th batch starts."""

    def __init__(self, *args, interrupt_at: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.interrupt_at = interrupt_at
        self.batches = 0

    def score_batch(self, requests):
        self.batches += 1
        if self.batches == self.interrupt_at:
            raise KeyboardInterrupt
        return super().score_batch(requests)


def test_ctrl_c_mid_run_keeps_finished_batches_and_the_rerun_completes(tiny_causal_dir, tmp_path):
    suite = BiasSuite(BIASES, cases=3, seed=2, reversal_probe=0)
    reference = suite.run(HFRunner(tiny_causal_dir, batch_size=2), progress=False)
    path = tmp_path / "s.sqlite"
    interrupted = InterruptedRunner(tiny_causal_dir, batch_size=2, interrupt_at=4)
    with pytest.raises(KeyboardInterrupt):
        suite.run(interrupted, store=path, progress=False)
    with DecisionStore(path) as store:
        assert store.integrity_ok()
        assert store.count() == 3 * 2  # three finished batches of one case (two prompts) each
    resumed = InterruptedRunner(tiny_causal_dir, batch_size=2, interrupt_at=-1)
    result = suite.run(resumed, store=path, progress=False)
    assert resumed.batches == 6 - 3
    assert result.table.equals(reference.table)


_CHILD = textwrap.dedent(
    """
    import sys, time
    from biasorigins.models.hf import HFRunner
    from biasorigins.suite import BiasSuite

    class SlowRunner(HFRunner):
        def score_batch(self, requests):
            time.sleep(0.25)
            return super().score_batch(requests)

    model, store = sys.argv[1], sys.argv[2]
    suite = BiasSuite({biases!r}, cases=6, seed=4, reversal_probe=0)
    suite.run(SlowRunner(model, batch_size=2), store=store, progress=False)
    print("finished")
    """
)


def _stored(path) -> int:
    try:
        with sqlite3.connect(path, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def test_sigkill_mid_run_then_restart_gives_identical_results_without_duplicates(tiny_causal_dir, tmp_path):
    path = tmp_path / "killed.sqlite"
    script = tmp_path / "child.py"
    script.write_text(_CHILD.format(biases=BIASES))
    child = subprocess.Popen([sys.executable, str(script), str(tiny_causal_dir), str(path)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "OMP_NUM_THREADS": "1"})
    deadline = time.monotonic() + 240
    while _stored(path) < 6 and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL, child.stderr.read().decode()[-2000:]
    before = _stored(path)
    total = 2 * 6 * 2
    assert 6 <= before < total and before % 2 == 0  # whole batches only

    suite = BiasSuite(BIASES, cases=6, seed=4, reversal_probe=0)
    resumed_runner = InterruptedRunner(tiny_causal_dir, batch_size=2, interrupt_at=-1)
    resumed = suite.run(resumed_runner, store=path, progress=False)
    assert resumed_runner.batches == (total - before) // 2
    uninterrupted = suite.run(HFRunner(tiny_causal_dir, batch_size=2), progress=False)
    assert resumed.table.equals(uninterrupted.table)
    with DecisionStore(path) as store:
        assert store.count() == total and store.integrity_ok()
        frame = store.frame()
    assert not frame.duplicated(["model_key", "settings_key", "prompt_hash"]).any()
    assert set(frame["prompt_hash"]) == {prompt_hash(p) for p in suite.prompts()}
