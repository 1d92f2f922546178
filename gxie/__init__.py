"""gxie: exact, validated data from Chinese government information-disclosure annual reports.

>>> from gxie import extract
>>> report = extract("report.pdf")                      # doctest: +SKIP
>>> report.status, report.to_flat()["section4.review.total"]  # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

from gxie.limits import Limits
from gxie.pipeline import extract, extract_many, extract_text, get_tagger
from gxie.report import Report
from gxie.templates import load_template
from gxie.types import Cell, Check, Document, Message, Section, Span

__all__ = [
    "Cell",
    "Check",
    "Document",
    "Limits",
    "Message",
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
