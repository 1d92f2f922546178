"""Many files at once: discover inputs (``discover``), extract them in chunks (``jobs``) inline, in worker
processes (``pool``) or on Ray (``ray``), journal one row per file with resume (``run``), and print the
run's summary (``summary``).

Example::

    from gxie.batch import run_batch
    summary = run_batch(["reports/"], "out/", tagger="rules")
"""

from gxie.batch.discover import OUTPUT_FILES, RESULTS_FILE, SUMMARY_FILE, discover, file_sha256
from gxie.batch.jobs import INTERNAL_ERROR
from gxie.batch.run import ENGINES, FORMATS, run_batch
from gxie.batch.summary import BatchSummary

__all__ = [
    "ENGINES",
    "FORMATS",
    "INTERNAL_ERROR",
    "OUTPUT_FILES",
    "RESULTS_FILE",
    "SUMMARY_FILE",
    "BatchSummary",
    "discover",
    "file_sha256",
    "run_batch",
]
