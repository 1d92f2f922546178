"""What a batch's journal (``results.jsonl``) says is done: one entry per input, retried errors at most once.

An input is keyed by the sha256 of its bytes, or by its resolved path when it cannot be read (it has no
bytes to hash). Each row is ``Report.to_dict()`` plus a ``batch`` object: ``path`` (the input's resolved
absolute path, so that ``in/a.txt`` and ``/data/in/a.txt`` are the same file) and ``attempt`` (1 for the
first extraction of that content, 2 for its one retry). A failed row whose error may pass on another try
(``RETRYABLE_CODES``: an internal error, a worker that died, a timeout) is retried once by the next run;
after ``MAX_ATTEMPTS`` it is kept as it is.

>>> entries = read_journal("out/results.jsonl")  # doctest: +SKIP
>>> entries[file_sha256("reports/a.pdf")].final  # doctest: +SKIP
True
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gxie.batch.jobs import INTERNAL_ERROR
from gxie.jsonl import JOURNAL_FIELD, journal_path, read_jsonl
from gxie.report import Report
from gxie.types import IssueCode

TIMEOUT = IssueCode.TIMEOUT  # issue code: the file ran past the per-file time limit and its worker was stopped
WORKER_DIED_CODE = IssueCode.WORKER_DIED  # issue code: the worker process died while it extracted this file alone
RETRYABLE_CODES: frozenset[str] = frozenset({INTERNAL_ERROR, TIMEOUT, WORKER_DIED_CODE})
MAX_ATTEMPTS = 2  # the first try and one retry
_PATH_KEY = "path:"  # prefix of the key of an input that could not be read


@dataclass(frozen=True)
class Entry:
    """What the journal holds for one input: its status, failed rules, and whether it may run again.

    >>> Entry("failed", (), retryable=True, attempts=1).final
    False
    """

    status: str
    failed_rules: tuple[str, ...]
    retryable: bool  # failed with one of RETRYABLE_CODES
    attempts: int

    @property
    def final(self) -> bool:
        """True when a resumed run keeps this row: it did not fail retryably, or its retry is spent."""
        return not self.retryable or self.attempts >= MAX_ATTEMPTS


def resolved_path(path: str | os.PathLike[str]) -> str:
    """An input's place as one string: absolute, its folders' links and ``..`` resolved, its name as given.

    The name itself is not followed (a broken link stays the link), so two links are two inputs.

    >>> resolved_path("/tmp/../tmp/a.txt")
    '/tmp/a.txt'
    """
    head, name = os.path.split(os.path.abspath(path))
    return os.path.join(os.path.realpath(head), name)


def entry_key(content_hash: str | None, path: str) -> str:
    """The journal key of an input: its content hash, or ``"path:"`` + its resolved path when unreadable.

    >>> entry_key(None, "/data/in/broken.txt")
    'path:/data/in/broken.txt'
    """
    return content_hash if content_hash else _PATH_KEY + path


def entry_of(row: dict[str, Any]) -> Entry:
    """The ``Entry`` of one journal row (a row written before attempts were journalled counts as 1)."""
    rules = tuple(str(c.get("rule")) for c in row.get("checks", ()) if c.get("passed") is False)
    failed = row.get("status") == "failed"
    codes = {m.get("code") for m in row.get("issues", ()) if m.get("level") == "error"}
    info = row.get(JOURNAL_FIELD)
    attempt = info.get("attempt") if isinstance(info, dict) else None
    attempts = attempt if isinstance(attempt, int) and attempt >= 1 else 1
    return Entry(str(row.get("status")), rules, failed and bool(codes & RETRYABLE_CODES), attempts)


def read_journal(path: str | Path) -> dict[str, Entry]:
    """``{entry_key: Entry}`` of a journal, the latest row per key (a torn last line is skipped)."""
    entries: dict[str, Entry] = {}
    for row in read_jsonl(path):
        content_hash = row.get("content_hash")
        entries[entry_key(content_hash if isinstance(content_hash, str) else None, journal_path(row))] = entry_of(row)
    return entries


def journal_row(report: Report, path: str, attempt: int) -> dict[str, Any]:
    """The line written for ``report``: its ``to_dict()`` plus ``batch`` = its resolved path and attempt.

    >>> journal_row(report, "/data/in/a.txt", 1)["batch"]  # doctest: +SKIP
    {'path': '/data/in/a.txt', 'attempt': 1}
    """
    row = report.to_dict()
    row[JOURNAL_FIELD] = {"path": path, "attempt": attempt}
    return row


def journal_line(row: str, path: str, attempt: int) -> str:
    """``journal_row`` as the JSON line ``JsonlWriter`` writes, from the report's ``to_dict()`` already in
    JSON (``FileResult.row``, made in the worker): the ``batch`` object put in before its closing brace.

    >>> journal_line('{"source": "a.txt"}', "/data/in/a.txt", 1)
    '{"source": "a.txt", "batch": {"path": "/data/in/a.txt", "attempt": 1}}'
    """
    if not row.endswith("}") or row == "{}":
        raise ValueError(f"not the JSON of a report's to_dict(): {row[:60]!r}")
    info = json.dumps({"path": path, "attempt": attempt}, ensure_ascii=False)
    return f"{row[:-1]}, {json.dumps(JOURNAL_FIELD)}: {info}}}"
