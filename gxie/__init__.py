"""gxie: exact, validated data from Chinese government information-disclosure annual reports.

>>> from gxie import extract
>>> report = extract("report.pdf")                      # doctest: +SKIP
>>> report.status, report.cell("section4.review.total").value  # doctest: +SKIP
"""

from __future__ import annotations

from gxie._version import __version__
from gxie.limits import Limits
from gxie.pipeline import extract, extract_many, extract_text, get_tagger
from gxie.report import Report
from gxie.templates import load_template
from gxie.types import Cell, Check, Document, Issue, IssueCode, Section, Span

__all__ = [
    "Cell",
    "Check",
    "Document",
    "Issue",
    "IssueCode",
    "Limits",
    "Report",
    "Section",
    "Span",
    "__version__",
    "extract",
    "extract_many",
    "extract_text",
    "get_tagger",
    "load_template",
]
