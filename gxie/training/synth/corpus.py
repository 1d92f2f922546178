"""The corpus API: generate reports, turn them into JSON records or a ``datasets.Dataset``."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from gxie.templates import TEMPLATE_IDS
from gxie.training.synth.agencies import AGENCY_POOLS
from gxie.training.synth.layouts import LAYOUTS
from gxie.training.synth.noise import NOISE_LEVELS
from gxie.training.synth.report import LAYOUT_WEIGHTS, NOISE_WEIGHTS, Plan, SynthReport, build_report

RECORD_COLUMNS: tuple[str, ...] = (
    "id",
    "text",
    "spans",
    "flat",
    "template",
    "layout",
    "noise",
    "year",
    "agency",
    "broken",
    "truncated",
    "cells",
)


def _check(name: str, given: Sequence[str], allowed: Sequence[str]) -> tuple[str, ...]:
    bad = [g for g in given if g not in allowed]
    if bad or not given:
        raise ValueError(f"{name} {list(given)!r} is not allowed; choose one or more of {', '.join(allowed)}")
    return tuple(given)


def generate(
    n: int,
    seed: int,
    *,
    templates: Sequence[str] = ("2019", "2021"),
    layouts: Sequence[str] | None = None,
    noise_levels: Sequence[str] | None = None,
    agency_pool: str = "train",
    broken_share: float = 0.05,
    truncated_share: float = 0.04,
    debris_share: float = 0.25,
    first: int = 0,
) -> Iterator[SynthReport]:
    """``n`` synthetic reports (a lazy iterator; the arguments are checked at once); the same
    arguments always give byte-identical reports.

    ``layouts`` and ``noise_levels`` restrict the draw (defaults: all of ``LAYOUTS`` /
    ``NOISE_LEVELS``, weighted); ``agency_pool="heldout"`` draws agencies a training corpus never
    contains. Report ``i`` depends only on ``seed`` and ``i`` (and the options), so a longer run
    extends a shorter one and ``first`` (the index of the first report) splits a run into shards.

    >>> next(generate(1, seed=0, templates=("2021",))).template
    '2021'
    """
    if n < 0 or first < 0:
        raise ValueError(f"n and first must be >= 0, got n={n}, first={first}")
    tpls = _check("templates", templates, TEMPLATE_IDS)
    lays = _check("layouts", layouts if layouts is not None else LAYOUTS, LAYOUTS)
    noises = _check("noise_levels", noise_levels if noise_levels is not None else NOISE_LEVELS, NOISE_LEVELS)
    _check("agency_pool", [agency_pool], AGENCY_POOLS)
    shares = (
        ("broken_share", broken_share),
        ("truncated_share", truncated_share),
        ("debris_share", debris_share),
    )
    for name, share in shares:
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"{name} must be between 0 and 1, got {share}")
    base = Plan("", "", "", agency_pool, broken_share, truncated_share, debris_share)
    return _reports(range(first, first + n), seed, tpls, lays, noises, base)


def _reports(
    indices: range,
    seed: int,
    tpls: tuple[str, ...],
    lays: tuple[str, ...],
    noises: tuple[str, ...],
    base: Plan,
) -> Iterator[SynthReport]:
    lay_w = [LAYOUT_WEIGHTS[x] for x in lays]
    noise_w = [NOISE_WEIGHTS[x] for x in noises]
    for i in indices:
        rng = random.Random(f"gxie-synth:{seed}:{i}")
        template = rng.choice(tpls)
        layout = rng.choices(lays, lay_w)[0]
        plan = replace(base, template=template, layout=layout, noise=rng.choices(noises, noise_w)[0])
        yield build_report(f"synth-{seed}-{i:06d}", rng, plan)


SAMPLE_SEED = 2021
SAMPLE_INDEX = 47


def sample_report() -> SynthReport:
    """The bundled example (examples/sample_report.txt): a clean 2021-format report with tab-row
    tables, no broken relation, no truncation, no web debris."""
    options: dict[str, Any] = {
        "templates": ("2021",),
        "layouts": ("tab_rows",),
        "noise_levels": ("clean",),
        "broken_share": 0.0,
        "truncated_share": 0.0,
        "debris_share": 0.0,
    }
    return next(generate(1, SAMPLE_SEED, first=SAMPLE_INDEX, **options))


def sample_gold(report: SynthReport) -> dict[str, Any]:
    """The gold of a report as the readable JSON stored beside the bundled example."""
    rec = to_record(report)
    head = ("id", "template", "year", "agency", "layout", "noise", "broken", "truncated")
    return {**{k: rec[k] for k in head}, "flat": report.flat, "spans": rec["spans"], "cells": rec["cells"]}


def to_record(report: SynthReport) -> dict[str, Any]:
    """One report as a JSON-able dict: spans as ``[start, end, label]``, ``flat`` as a JSON string,
    ``cells`` as ``[key, start, end]``."""
    return {
        "id": report.id,
        "text": report.text,
        "spans": [[s.start, s.end, s.label] for s in report.spans],
        "flat": json.dumps(report.flat, ensure_ascii=False),
        "template": report.template,
        "layout": report.layout,
        "noise": report.noise,
        "year": report.year,
        "agency": report.agency,
        "broken": list(report.broken),
        "truncated": report.truncated,
        "cells": [[c.key, c.start, c.end] for c in report.cells],
    }


def to_records(reports: Iterable[SynthReport]) -> list[dict[str, Any]]:
    """JSON-able records (columns ``RECORD_COLUMNS``), one per report."""
    return [to_record(r) for r in reports]


def build_dataset(reports: Iterable[SynthReport]) -> Any:
    """A ``datasets.Dataset`` with the record columns.

    Arrow needs one type per list, so ``spans`` become ``{"start", "end", "label"}`` structs and
    ``cells`` ``{"key", "start", "end"}`` structs; :func:`dataset_row_to_record` converts back.
    """
    return records_to_dataset(to_records(reports))


def records_to_dataset(records: Iterable[dict[str, Any]]) -> Any:
    """:func:`build_dataset` for records already made by :func:`to_records` (or read from JSONL)."""
    try:
        import datasets
    except ImportError as exc:  # pragma: no cover - datasets is installed with gxie[train]
        from gxie.errors import MissingExtraError

        raise MissingExtraError("datasets", "train", "Building a training dataset") from exc

    rows = []
    for rec in records:
        row = dict(rec)
        row["spans"] = [{"start": s, "end": e, "label": lab} for s, e, lab in rec["spans"]]
        row["cells"] = [{"key": k, "start": s, "end": e} for k, s, e in rec["cells"]]
        rows.append(row)
    span = {
        "start": datasets.Value("int32"),
        "end": datasets.Value("int32"),
        "label": datasets.Value("string"),
    }
    cell = {"key": datasets.Value("string"), "start": datasets.Value("int32"), "end": datasets.Value("int32")}
    features = datasets.Features(
        {
            "id": datasets.Value("string"),
            "text": datasets.Value("string"),
            "spans": [span],
            "flat": datasets.Value("string"),
            "template": datasets.Value("string"),
            "layout": datasets.Value("string"),
            "noise": datasets.Value("string"),
            "year": datasets.Value("int32"),
            "agency": datasets.Value("string"),
            "broken": [datasets.Value("string")],
            "truncated": datasets.Value("bool"),
            "cells": [cell],
        }
    )
    return datasets.Dataset.from_list(rows, features=features)


def dataset_row_to_record(row: dict[str, Any]) -> dict[str, Any]:
    """Undo :func:`build_dataset`'s struct columns: one dataset row back to a :func:`to_record` dict."""
    rec = dict(row)
    rec["spans"] = [[s["start"], s["end"], s["label"]] for s in row["spans"]]
    rec["cells"] = [[c["key"], c["start"], c["end"]] for c in row["cells"]]
    rec["broken"] = list(row["broken"])
    return rec
