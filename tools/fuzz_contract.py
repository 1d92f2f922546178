"""The output contract every ``Report`` must keep, whatever the input: one function, shared by the property
tests (tests/test_fuzz_properties.py) and the long fuzz run (``python -m tools.fuzz``).

``contract_violations(report, text)`` returns a list of ``"code: detail"`` strings, empty when the report keeps
the contract. The codes are stable, so a fuzz run can count and group them:

- ``not_a_report``: the result is not a ``gxie.Report``
- ``bad_status``: status is not one of ok / partial / failed
- ``bad_template``: template is not None, "2019" or "2021"
- ``json``: ``json.dumps(report.to_dict(), allow_nan=False)`` fails
- ``round_trip``: ``Report.from_dict(json.loads(...)).to_dict()`` differs from the dict (or raises)
- ``bad_span``: a cell or section span is not ``0 <= start <= end <= len(text)`` (``text``: the input text, or
  the report's own ``text`` for a file), or a cell with a value has no span / an empty span
- ``unknown_key``: a cell key is in neither format (or missing from ``report.to_flat()``)
- ``duplicate_key``: two cells with one key
- ``shared_span``: two cells with a value read from the same characters (one printed number, one cell; an
  empty mark such as ``无`` over a merged cell may stand for several blank cells)
- ``bad_value``: a value is not None, a Python int or a finite non-integral float (bool, numpy, NaN,
  infinity and integral floats such as ``3.0`` are violations)
- ``inexact_value``: a cell printed as plain ASCII digits whose value is not exactly that integer
- ``ok_not_clean``: status "ok" with a check that did not pass, or a cell of the format missing
- ``bad_confidence``: a confidence that is not a number within [0, 1]
- ``bad_issue``: an issue with an unknown level or an empty code or message
- ``failed_without_error``: a failed report with no error issue carrying a non-empty message
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from gxie.report import Report
from gxie.templates import TEMPLATE_IDS, all_flat_keys, load_template
from gxie.types import STATUSES

LEVELS = ("error", "warning", "info")
_PLAIN_DIGITS = re.compile(r"[0-9]+")
_MAX_DETAIL = 160


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 3] + "..."


def _span_ok(span: Any, length: int) -> bool:
    return (
        isinstance(span, tuple | list)
        and len(span) == 2
        and all(type(x) is int for x in span)
        and 0 <= span[0] <= span[1] <= length
    )


def _json_violations(report: Report) -> list[str]:
    out: list[str] = []
    for include_text in (False, True):
        try:
            dumped = json.dumps(report.to_dict(include_text=include_text), allow_nan=False)
        except (TypeError, ValueError, OverflowError) as exc:
            return [f"json: to_dict(include_text={include_text}) is not strict JSON: {_short(exc)}"]
        loaded = json.loads(dumped)
        try:
            again = Report.from_dict(loaded).to_dict(include_text=include_text)
        except Exception as exc:
            out.append(f"round_trip: from_dict raised {_short(exc)}")
            continue
        if again != loaded:
            diff = sorted(k for k in loaded if again.get(k) != loaded[k])
            out.append(f"round_trip: fields differ after from_dict(to_dict()): {', '.join(diff)}")
        elif report.to_dict(include_text=include_text) != loaded:
            out.append("round_trip: to_dict() changes when it goes through JSON (a non-JSON type inside)")
    return out


def _value_violations(key: str, value: Any, raw: Any) -> list[str]:
    if value is None:
        return []
    if type(value) is int:
        digits = raw.strip() if isinstance(raw, str) else ""
        if _PLAIN_DIGITS.fullmatch(digits) and value != int(digits):
            return [f"inexact_value: {key} printed {_short(digits)} but read {_short(value)}"]
        return []
    if type(value) is float:
        if not math.isfinite(value):
            return [f"bad_value: {key} is {value!r}"]
        if value.is_integer():
            return [f"bad_value: {key} is the integral float {value!r}, not an int"]
        return []
    return [f"bad_value: {key} has type {type(value).__name__} ({_short(value)})"]


def _cell_violations(report: Report, text: str | None) -> list[str]:
    out: list[str] = []
    known = set(all_flat_keys())
    flat = report.to_flat()
    seen: set[str] = set()
    length = len(text) if text is not None else None
    for c in report.cells:
        key = c.key
        if key not in known or key not in flat:
            out.append(f"unknown_key: {_short(key)}")
        if key in seen:
            out.append(f"duplicate_key: {key}")
        seen.add(key)
        out += _value_violations(key, c.value, c.raw)
        conf = c.confidence
        if type(conf) not in (int, float) or not math.isfinite(conf) or not 0.0 <= conf <= 1.0:
            out.append(f"bad_confidence: {key} has confidence {_short(conf)}")
        if c.span is None:
            if c.value is not None:
                out.append(f"bad_span: {key} has a value but no span")
        elif length is None:
            out.append(f"bad_span: {key} has a span but the report has no text")
        elif not _span_ok(c.span, length):
            out.append(f"bad_span: {key} span {c.span!r} outside the text (length {length})")
        elif c.value is not None and c.span[0] == c.span[1]:
            out.append(f"bad_span: {key} has a value but an empty span {c.span!r}")
    valued: dict[tuple[int, int], str] = {}
    for c in report.cells:
        if c.value is not None and c.span is not None:
            if c.span in valued:
                out.append(f"shared_span: {valued[c.span]} and {c.key} both read {c.span!r}")
            valued.setdefault(c.span, c.key)
    for s in report.sections:
        if length is not None and not _span_ok(s.span, length):
            out.append(f"bad_span: section {_short(s.title)} span {s.span!r} outside the text (length {length})")
    return out


def _status_violations(report: Report) -> list[str]:
    out: list[str] = []
    for m in report.issues:
        if m.level not in LEVELS or not str(m.code).strip() or not str(m.message).strip():
            out.append(f"bad_issue: {_short((m.level, m.code, m.message))}")
    if report.status == "failed" and not any(m.level == "error" and str(m.message).strip() for m in report.issues):
        out.append("failed_without_error: a failed report has no error issue with a message")
    if report.status == "ok":
        not_passed = [c.rule + " " + c.scope for c in report.checks if c.passed is not True]
        if not_passed:
            out.append(f"ok_not_clean: status ok but checks did not pass: {_short(not_passed[:3])}")
        if report.template is None:
            out.append("ok_not_clean: status ok without a template")
        else:
            have = {c.key for c in report.cells}
            missing = [k for k in load_template(report.template).flat_keys() if k not in have]
            if missing:
                out.append(f"ok_not_clean: status ok but {len(missing)} cells missing, e.g. {missing[0]}")
    return out


def contract_violations(report: object, text: str | None) -> list[str]:
    """Every way ``report`` breaks the output contract (see the module docstring); empty when it keeps it.

    ``text`` is the text the spans must point into: the string given to ``extract_text``, or None for a file,
    in which case the report's own ``text`` (the document's text) is used.

    >>> from gxie import extract_text
    >>> contract_violations(extract_text("no tables here", tagger="rules"), "no tables here")
    []
    """
    if not isinstance(report, Report):
        return [f"not_a_report: got {type(report).__name__}"]
    if text is None:
        text = report.text
    out: list[str] = []
    if report.status not in STATUSES:
        out.append(f"bad_status: {_short(report.status)}")
    if report.template is not None and report.template not in TEMPLATE_IDS:
        out.append(f"bad_template: {_short(report.template)}")
    out += _json_violations(report)
    out += _cell_violations(report, text)
    out += _status_violations(report)
    return out


def violation_code(violation: str) -> str:
    """The stable code of one violation string (the part before the first colon)."""
    return violation.split(":", 1)[0]
