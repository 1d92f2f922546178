"""The report-level cascade: a report the rules tagger reads completely and consistently skips the model.

Most reports hold their tables as clean rows of labels and numbers. The rules tagger reads those in a
few milliseconds; the model takes about ten times as long. So a model run first tags each document with
the rules tagger and rebuilds its tables *without* the constrained decoder. When that reading is
*settled* (``settled``) the report is final and the model never sees the document; every other document
goes through the model as before (``gxie.pipeline``).

Settled is strict, and checked on the finished report: status ``ok`` (every cell of the three tables
found, every relation holding), no issue of any kind, every cell at least ``TRUSTED`` sure and printed (a
blank cell may be a value the rules could not read, such as ``o`` for ``0``). The
relations tie most cells of the grid to others, so a misread cell in a settled reading would have to
break no relation while the tagger was sure of it. Reports read this way record
``versions["tags"] = "rules:1"`` (the run's ``tagger`` stays the model's label). ``extract(...,
rules_first=False)``, ``gxie extract --exact`` and Label Studio pre-annotation run the model on every
document.

    >>> from gxie.report import Report
    >>> from gxie.types import IssueCode
    >>> settled(Report.failed("a.txt", IssueCode.READ_ERROR, "unreadable", versions={}))
    False
"""

from __future__ import annotations

from gxie.confidence import TRUSTED
from gxie.report import Report
from gxie.tagging.base import Tagger

TAGS_KEY = "tags"  # the versions entry naming the tagger whose tags made the grid, when not the run's


def settled(report: Report) -> bool:
    """Whether ``report`` is final without the model (see the module docstring)."""
    ok = report.status == "ok"  # every cell of the format found and no relation failing (validate._status)
    return ok and not report.issues and all(c.confidence >= TRUSTED and c.raw.strip() for c in report.cells)


def wanted(tagger: Tagger, rules_first: bool | None) -> bool:
    """Whether a run with ``tagger`` tries the rules first: ``rules_first`` when given, else on for a
    model tagger whose cascade is on (its default) and off for every other tagger."""
    if tagger.name == "rules":
        return False
    if rules_first is not None:
        return rules_first
    return getattr(tagger, "cascade", False) is True
