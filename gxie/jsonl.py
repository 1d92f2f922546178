"""Reports as JSON Lines: a crash-safe writer (one line per report, flushed and fsynced; a torn last line
cut off on reopening), a reader that tells a torn last line from a damaged file, and a batch journal's
latest row per file and per content (``latest_reports``). The tables built from them: ``gxie.export``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from gxie.report import Report

logger = logging.getLogger(__name__)

_TAIL_CHUNK = 1 << 16
# A batch journal's row is ``Report.to_dict()`` plus this object: {"path": resolved input path, "attempt": n}.
JOURNAL_FIELD = "batch"


class JsonlWriter:
    """Append reports to a JSON Lines file one line at a time, each flushed and fsynced.

    A run killed mid-write leaves at most one torn last line; opening in append mode cuts such a line off
    (and keeps a complete last line that only lacks its newline).

    >>> with JsonlWriter("results.jsonl") as out:  # doctest: +SKIP
    ...     out.write(report)
    """

    def __init__(self, path: str | Path, append: bool = True) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if append and self.path.exists():
            _repair_tail(self.path)
        self._file = open(self.path, "ab" if append else "wb")  # noqa: SIM115 - closed in close()

    def write(self, report: Report | Mapping[str, Any]) -> bytes:
        """Write one report (or its ``to_dict()``) as one line and push it to disk; returns the line's bytes."""
        record = report.to_dict() if isinstance(report, Report) else dict(report)
        return self.write_json(json.dumps(record, ensure_ascii=False, allow_nan=False))

    def write_json(self, text: str) -> bytes:
        """Write one object already in JSON (one line, as ``write`` makes it) and push it to disk."""
        line = (text + "\n").encode("utf-8")
        self._file.write(line)
        self._file.flush()
        os.fsync(self._file.fileno())
        return line

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _repair_tail(path: Path) -> None:
    """Make ``path`` end with a newline: complete a valid last line, cut off a torn one."""
    with open(path, "rb+") as f:
        size = f.seek(0, os.SEEK_END)
        if size == 0:
            return
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return
        start = size
        tail = b""
        while start > 0 and b"\n" not in tail:
            step = min(_TAIL_CHUNK, start)
            start -= step
            f.seek(start)
            tail = f.read(step) + tail
        cut = start + tail.rfind(b"\n") + 1 if b"\n" in tail else 0
        f.seek(cut)
        fragment = f.read()
        try:
            json.loads(fragment.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            logger.warning("%s: cutting off a torn last line (%d bytes) before appending", path, len(fragment))
            f.truncate(cut)
        else:
            f.seek(size)
            f.write(b"\n")


def write_jsonl(reports: Iterable[Report | Mapping[str, Any]], path: str | Path, append: bool = False) -> int:
    """Write one ``to_dict()`` per line (fsynced per line) and return how many lines were written."""
    n = 0
    with JsonlWriter(path, append=append) as out:
        for report in reports:
            out.write(report)
            n += 1
    return n


def read_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    """Yield the dicts of a JSON Lines file; a torn last line is skipped with a logged warning.

    A bad line anywhere else raises ``ValueError``: that file was damaged, not just cut short.
    """
    path = Path(path)
    previous: tuple[int, bytes] | None = None
    for line in _raw_lines(path):
        if previous is not None:
            yield _parse_line(path, *previous, last=False)
        previous = line
    if previous is not None:
        parsed = _parse_last(path, *previous)
        if parsed is not None:
            yield parsed


def _raw_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """``(line number, bytes)`` of each line of ``path`` that is not blank."""
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            if raw.strip():
                yield number, raw


def _parse_last(path: Path, number: int, raw: bytes) -> dict[str, Any] | None:
    """The last line's dict, or None (with a logged warning) when it is torn."""
    try:
        return _parse_line(path, number, raw, last=True)
    except _TornLine as exc:
        logger.warning("%s: skipping a torn last line %d (%s)", path, number, exc)
        return None


class _TornLine(ValueError):
    pass


def _parse_line(path: Path, number: int, raw: bytes, last: bool) -> dict[str, Any]:
    try:
        record = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        if last:
            raise _TornLine(str(exc)) from exc
        raise ValueError(
            f"{path}: line {number} is not valid JSON ({exc}); the file is damaged in the middle, "
            "not just cut off at its end. Remove or fix that line and run again."
        ) from exc
    if not isinstance(record, dict):
        raise ValueError(f"{path}: line {number} holds a {type(record).__name__}, expected a JSON object")
    return record


def journal_path(row: Mapping[str, Any]) -> str:
    """The file a journal row is about: its ``batch.path`` (resolved when written), else its absolute ``source``.

    >>> journal_path({"source": "a.txt", "batch": {"path": "/data/in/a.txt", "attempt": 1}})
    '/data/in/a.txt'
    """
    info = row.get(JOURNAL_FIELD)
    if isinstance(info, Mapping) and isinstance(info.get("path"), str):
        return str(info["path"])
    return os.path.abspath(str(row.get("source")))


@dataclass(frozen=True)
class Written:
    """A journal row a run wrote: its ``report`` (without text), the file it is about (``journal_path``)
    and the ``digest`` of the line as written (``Written.of``), not the line: a batch keeps one per report."""

    report: Report
    path: str
    digest: bytes

    @classmethod
    def of(cls, report: Report, path: str, line: bytes) -> Written:
        """The row whose ``line`` (``JsonlWriter.write``'s bytes) holds ``report`` about the file ``path``."""
        return cls(report, path, _digest(line))


def _digest(line: bytes) -> bytes:
    return hashlib.blake2b(line, digest_size=16).digest()


def latest_reports(path: str | Path, recent: Sequence[Written] = ()) -> list[Report]:
    """The reports of a batch's ``results.jsonl``: the latest row per content and per file.

    A later row supersedes an earlier one with the same content hash (a retried file, a ``--no-resume``
    run) or about the same file (``journal_path``: a file edited since, or unreadable before, named by a
    relative or an absolute path); the order follows the latest rows. ``recent``: the rows a run just
    wrote, in order. When the journal ends with exactly their lines, byte for byte (their digests), their
    reports are taken as they are instead of decoded again; otherwise every row is decoded. The file is read
    line by line twice (the lines' digests, then the rows), not held.
    """
    path = Path(path)
    digests = [_digest(raw) for _, raw in _raw_lines(path)]
    count = len(digests)
    first = count - len(recent)
    if not recent or first < 0 or any(w.digest != d for w, d in zip(recent, digests[first:], strict=True)):
        first = count
    rows: dict[int, Report | dict[str, Any]] = {}
    by_hash: dict[str, int] = {}
    by_path: dict[str, int] = {}
    for index, (number, raw) in enumerate(_raw_lines(path)):
        item: Report | dict[str, Any] | None
        if index >= first:
            written = recent[index - first]
            item, content_hash, where = written.report, written.report.content_hash, written.path
        else:
            item = _parse_line(path, number, raw, last=False) if index + 1 < count else _parse_last(path, number, raw)
            if item is None:
                continue
            content_hash, where = item.get("content_hash"), journal_path(item)
        for old in (by_hash.get(content_hash) if content_hash else None, by_path.get(where)):
            if old is not None:
                rows.pop(old, None)
        rows[index] = item
        by_path[where] = index
        if content_hash:
            by_hash[content_hash] = index
    return [item if isinstance(item, Report) else Report.from_dict(item) for item in rows.values()]
