"""A sqlite store of decisions: nothing answered is lost, nothing is answered twice.

Every response is keyed by (model key, settings key, prompt hash):

- the *model key* identifies the weights that answered (base weights, adapter,
  tokenizer with chat template, dtype): ``runner.model_fingerprint`` when the
  runner has one, else ``runner.fingerprint``;
- the *settings key* identifies the decoding settings (method, chat format,
  generation length, parser, extractor...): a digest of ``runner.settings``;
- the *prompt hash* identifies the rendered prompt (text, labels, options, answer prefix).

The suite writes each batch in one transaction as soon as the batch ends, so a
killed run restarts where it stopped.  The database runs in WAL mode; the
primary key with ``INSERT OR IGNORE`` makes writes idempotent, and a batch
interrupted before its commit (Ctrl-C, SIGKILL) leaves no trace.  Errors
(status ``"error"``) are not stored: they are retried on the next run.

>>> store = DecisionStore("runs/decisions.sqlite")         # doctest: +SKIP
>>> result = suite.run(runner, store=store)                 # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from biasorigins.errors import ConfigError, DataFormatError
from biasorigins.models.fingerprint import canonical_json, digest_of
from biasorigins.records import Prompt, Response

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    model_key    TEXT NOT NULL,
    settings_key TEXT NOT NULL,
    prompt_hash  TEXT NOT NULL,
    model        TEXT,
    case_id      TEXT,
    condition    TEXT,
    status       TEXT NOT NULL,
    choice       INTEGER,
    text         TEXT,
    scores       TEXT,
    error        TEXT,
    created_at   REAL NOT NULL,
    PRIMARY KEY (model_key, settings_key, prompt_hash)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS settings (
    settings_key TEXT PRIMARY KEY,
    settings     TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
"""

_COLUMNS = ("model_key", "settings_key", "prompt_hash", "model", "case_id", "condition", "status", "choice",
            "text", "scores", "error", "created_at")


def prompt_hash(prompt: Prompt) -> str:
    """Identity of a rendered prompt: what the model reads and the options it may choose."""
    return digest_of([prompt.text, prompt.answer_prefix, json.dumps(list(prompt.labels)),
                      json.dumps(list(prompt.options))])


@dataclass(frozen=True)
class RunnerKey:
    """Where a runner's answers live in the store."""

    model_key: str
    settings_key: str
    settings: str

    @classmethod
    def of(cls, runner: Any) -> RunnerKey:
        """The key of ``runner``: ``model_fingerprint`` + ``settings`` if it has them, else ``fingerprint``."""
        fingerprint = getattr(runner, "fingerprint", None)
        model_key = getattr(runner, "model_fingerprint", None) or fingerprint
        if not model_key:
            raise ConfigError(
                f"runner {runner!r} has no fingerprint, so its answers cannot be stored; give it a "
                "'fingerprint' string that changes whenever its answers would"
            )
        settings = getattr(runner, "settings", None)
        text = canonical_json(settings if settings is not None else {})
        return cls(str(model_key), digest_of([text]), text)


@dataclass(frozen=True)
class StoredResponse:
    """One response on its way into the store."""

    key: RunnerKey
    prompt: Prompt
    response: Response
    model: str = ""


class DecisionStore:
    """Decisions in a sqlite file (see the module docstring).

    Parameters
    ----------
    path
        The database file; created with its folder if missing.  ``":memory:"`` keeps
        it in memory (for tests).
    timeout
        Seconds to wait for another process's write lock.
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 60.0) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)
            self._check_schema()
        except sqlite3.DatabaseError as error:
            raise DataFormatError(f"{self.path} is not a usable decision store: {error}") from error

    @classmethod
    def open(cls, store: DecisionStore | str | os.PathLike[str]) -> tuple[DecisionStore, bool]:
        """(store, whether the caller opened it and should close it) from a store or a path."""
        if isinstance(store, DecisionStore):
            return store, False
        return cls(store), True

    def _check_schema(self) -> None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            self._write(lambda conn: conn.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)))
        elif int(row[0]) != SCHEMA_VERSION:
            raise DataFormatError(
                f"{self.path} uses decision-store schema {row[0]}, this biasorigins reads {SCHEMA_VERSION}; "
                "use a new store file"
            )

    def _write(self, action: Any) -> Any:
        """Run ``action(conn)`` in one immediate transaction; anything raised (even Ctrl-C) rolls it back."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            result = action(self._conn)
            self._conn.execute("COMMIT")
            return result
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise

    # -- writing ---------------------------------------------------------------------------
    def put(self, items: Iterable[StoredResponse]) -> int:
        """Store responses in one transaction; returns how many were new.

        Responses with status ``"error"`` are skipped (retried next time); a response
        already stored under the same key is kept as it was.
        """
        now = time.time()

        def rows() -> Iterable[tuple[Any, ...]]:
            for item in items:
                if item.response.status == "error":
                    continue
                r = item.response
                yield (item.key.model_key, item.key.settings_key, prompt_hash(item.prompt), item.model,
                       item.prompt.case_id, item.prompt.condition, r.status, r.choice, r.text,
                       json.dumps(list(r.scores)) if r.scores is not None else None, r.error, now)

        def insert(conn: sqlite3.Connection) -> int:
            before = conn.total_changes
            conn.executemany(f"INSERT OR IGNORE INTO decisions VALUES ({', '.join('?' * len(_COLUMNS))})", rows())
            return conn.total_changes - before

        return self._write(insert)

    def register_settings(self, key: RunnerKey) -> None:
        """Remember the readable settings behind a settings key (for audits)."""
        self._write(lambda conn: conn.execute("INSERT OR IGNORE INTO settings VALUES (?, ?)",
                                              (key.settings_key, key.settings)))

    # -- reading ---------------------------------------------------------------------------
    def get(self, key: RunnerKey, prompts: Sequence[Prompt]) -> dict[int, Response]:
        """Stored responses of ``key`` for ``prompts``: {index in prompts: response}."""
        wanted: dict[str, list[int]] = {}
        for index, prompt in enumerate(prompts):
            wanted.setdefault(prompt_hash(prompt), []).append(index)
        found: dict[int, Response] = {}
        hashes = list(wanted)
        for start in range(0, len(hashes), 500):
            chunk = hashes[start : start + 500]
            rows = self._conn.execute(
                "SELECT prompt_hash, status, choice, text, scores, error FROM decisions "
                f"WHERE model_key = ? AND settings_key = ? AND prompt_hash IN ({', '.join('?' * len(chunk))})",
                (key.model_key, key.settings_key, *chunk),
            ).fetchall()
            for digest, status, choice, text, scores, error in rows:
                response = Response(choice=choice, status=status, text=text, error=error,
                                    scores=tuple(json.loads(scores)) if scores is not None else None)
                for index in wanted[digest]:
                    found[index] = response
        return found

    def count(self, key: RunnerKey | None = None) -> int:
        """Number of stored responses (of one runner key, or all)."""
        if key is None:
            return int(self._conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0])
        return int(self._conn.execute(
            "SELECT COUNT(*) FROM decisions WHERE model_key = ? AND settings_key = ?",
            (key.model_key, key.settings_key)).fetchone()[0])

    def frame(self) -> pd.DataFrame:
        """Every stored response, one row each, with the readable settings."""
        query = ("SELECT d.*, s.settings FROM decisions d LEFT JOIN settings s USING (settings_key) "
                 "ORDER BY d.created_at, d.case_id, d.condition")
        return pd.read_sql_query(query, self._conn)

    def settings(self) -> dict[str, Any]:
        """{settings key: settings} of every runner whose answers were stored."""
        rows = self._conn.execute("SELECT settings_key, settings FROM settings").fetchall()
        return {key: json.loads(text) for key, text in rows}

    def integrity_ok(self) -> bool:
        """True when sqlite's integrity check passes."""
        return self._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> DecisionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<DecisionStore {self.path}>"

