"""What a batch run did (``BatchSummary``) and how it shows progress while it runs (``Progress``)."""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from gxie.types import STATUSES

N_SLOWEST = 5
N_FAILURES = 10
# Without a terminal (a log file, CI) the progress is one plain line this often, in seconds.
PLAIN_PROGRESS_SECONDS = 30.0


@dataclass
class BatchSummary:
    """What a ``run_batch`` call did. Counts cover this call's inputs, skipped ones by their stored row."""

    out_dir: Path
    files: int  # inputs found
    processed: int  # extracted in this call
    skipped: int  # already in results.jsonl (resume) or the same content as an earlier input
    by_status: dict[str, int]
    failed_checks: dict[str, int]  # failed relations by rule id
    slowest: list[tuple[str, float]]  # (source, seconds) of the slowest files extracted in this call
    seconds: float
    outputs: list[Path] = field(default_factory=list)
    # (source, reason) of the first N_FAILURES files that failed in this call (rows kept from earlier runs not)
    failures: list[tuple[str, str]] = field(default_factory=list)
    retried: int = 0  # of ``processed``: files run again because their row failed with a retryable error

    @property
    def reports_per_second(self) -> float:
        """Files extracted in this call per second of wall time (skipped files not counted)."""
        return self.processed / self.seconds if self.seconds > 0 else 0.0

    @property
    def any_failed(self) -> bool:
        """True when any input has a ``failed`` row, one kept from an earlier run included."""
        return self.by_status.get("failed", 0) > 0

    @property
    def any_failed_now(self) -> bool:
        """True when a file failed in this call (what ``gxie extract --fail-on new`` exits 1 for).

        >>> BatchSummary(Path("out"), 1, 0, 1, {"failed": 1}, {}, [], 0.1).any_failed_now
        False
        """
        return bool(self.failures)

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON-able data (what ``summary.json`` holds)."""
        return {
            "out_dir": str(self.out_dir),
            "files": self.files,
            "processed": self.processed,
            "skipped": self.skipped,
            "retried": self.retried,
            "by_status": dict(self.by_status),
            "failed_checks": dict(self.failed_checks),
            "slowest": [{"source": s, "seconds": round(t, 3)} for s, t in self.slowest],
            "failures": [{"source": s, "reason": r} for s, r in self.failures],
            "seconds": round(self.seconds, 3),
            "reports_per_second": round(self.reports_per_second, 3),
            "outputs": [str(p) for p in self.outputs],
        }

    def format(self) -> str:
        """A few human-readable lines (what ``gxie extract`` prints to stderr).

        >>> print(BatchSummary(Path("out"), 2, 2, 0, {"ok": 2}, {}, [], 1.0).format())
        2 files: 2 ok, 0 partial, 0 failed (2 extracted, 0 skipped as done) in 1.0 s, 2.00 reports/s
        """
        status = ", ".join(f"{self.by_status.get(s, 0)} {s}" for s in STATUSES)
        retried = f", {self.retried} of them retried after an error" if self.retried else ""
        lines = [
            f"{self.files} files: {status} ({self.processed} extracted{retried}, {self.skipped} skipped as done) "
            f"in {self.seconds:.1f} s, {self.reports_per_second:.2f} reports/s"
        ]
        if self.failed_checks:
            rules = ", ".join(f"{rule} {n}" for rule, n in sorted(self.failed_checks.items()))
            lines.append(f"failed checks by rule: {rules}")
        if self.failures:
            first = f" (the first {N_FAILURES}; see the results for all)" if len(self.failures) >= N_FAILURES else ""
            lines.append(f"failed in this run{first}:")
            lines.extend(f"  {s}: {r}" for s, r in self.failures)
        if self.slowest:
            lines.append("slowest files:")
            lines.extend(f"  {t:6.2f} s  {s}" for s, t in self.slowest)
        if self.outputs:
            lines.append(f"results in {self.out_dir}: " + ", ".join(p.name for p in self.outputs))
        return "\n".join(lines)


def _clock(seconds: float) -> str:
    hours, rest = divmod(round(seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    """Progress on stderr: a tqdm bar (rate and ETA) on a terminal, a plain line now and then elsewhere.

    >>> with Progress(total=3, enabled=False) as progress:  # doctest: +SKIP
    ...     progress.update("ok")
    """

    def __init__(self, total: int, *, enabled: bool = True, stream: TextIO | None = None) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.counts: Counter[str] = Counter()
        self.done = 0
        self.started = self.last_line = time.monotonic()
        self._bar: Any = None
        self._plain = False
        if enabled and total > 0:
            if self.stream.isatty():
                from tqdm import tqdm

                self._bar = tqdm(total=total, unit="file", file=self.stream, dynamic_ncols=True)
            else:
                self._plain = True

    def update(self, status: str) -> None:
        """One more file finished with ``status``."""
        self.done += 1
        self.counts[status] += 1
        if self._bar is not None:
            self._bar.set_postfix_str(self._counts(), refresh=False)
            self._bar.update(1)
        elif self._plain and time.monotonic() - self.last_line >= PLAIN_PROGRESS_SECONDS:
            self.last_line = time.monotonic()
            print(self.line(), file=self.stream, flush=True)

    def line(self) -> str:
        """``done/total files (percent), rate, ETA, counts`` as one line."""
        spent = time.monotonic() - self.started
        rate = self.done / spent if spent > 0 else 0.0
        eta = _clock((self.total - self.done) / rate) if rate > 0 else "?"
        share = 100 * self.done / max(1, self.total)
        return f"gxie: {self.done}/{self.total} files ({share:.0f}%), {rate:.2f} files/s, ETA {eta}; {self._counts()}"

    def _counts(self) -> str:
        return " ".join(f"{s} {self.counts[s]}" for s in STATUSES if self.counts[s])

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
