"""Many files at once: discover inputs (``discover``), extract them in chunks (``jobs``) inline, in worker
processes with a per-file time limit (``pool``) or on Ray (``ray``), journal one row per file with resume
(``run``, ``journal``) in a locked output folder (``lock``), and print the run's summary (``summary``).

Example::

    from gxie.batch import run_batch
    summary = run_batch(["reports/"], "out/", tagger="rules")
"""

from gxie.batch.discover import OUTPUT_FILES, RESULTS_FILE, SUMMARY_FILE, discover, file_sha256
from gxie.batch.jobs import INTERNAL_ERROR
from gxie.batch.journal import RETRYABLE_CODES, TIMEOUT, WORKER_DIED_CODE
from gxie.batch.lock import OutputLock, OutputLocked
from gxie.batch.run import DEFAULT_TIMEOUT, ENGINES, FORMATS, run_batch
from gxie.batch.summary import BatchSummary

__all__ = [
    "DEFAULT_TIMEOUT",
    "ENGINES",
    "FORMATS",
    "INTERNAL_ERROR",
    "OUTPUT_FILES",
    "RESULTS_FILE",
    "RETRYABLE_CODES",
    "SUMMARY_FILE",
    "TIMEOUT",
    "WORKER_DIED_CODE",
    "BatchSummary",
    "OutputLock",
    "OutputLocked",
    "discover",
    "file_sha256",
    "run_batch",
]
