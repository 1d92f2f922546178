"""The pipeline: read -> normalize -> tag -> rebuild grid -> validate -> decide status.

Bad documents never raise: every input gets a ``Report``, failed ones with an error message.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from gxie.errors import GxieError
from gxie.grid.build import rebuild
from gxie.metadata import find_metadata, find_sections
from gxie.report import Report, current_versions
from gxie.tagging.base import Tagger
from gxie.templates import TEMPLATE_IDS, Template, load_template
from gxie.types import Cell, Check, Document, Message, NormalizedText, Span, Status
from gxie.validate import run_checks

log = logging.getLogger(__name__)
TAGGERS = ("model", "rules")
SOURCE_CONSISTENT_CONFIDENCE = 0.8  # a failed relation whose cells were all read at least this surely is the source's
UNCERTAIN_CODES = {
    "uncertain_row",
    "duplicate_row",
    "format_uncertain",
    "uncertain_reading",
    "truncated_input",
    "implausible_value",
}


@dataclass
class Prepared:
    """A document read and normalized, ready to tag."""

    source: str
    document: Document
    normalized: NormalizedText
    content_hash: str | None
    timings: dict[str, float] = field(default_factory=dict)


@cache
def _cached_tagger(name: str, device: str) -> Tagger:
    if name == "rules":
        from gxie.tagging.rules import RulesTagger

        return RulesTagger()
    from gxie.tagging.model import ModelTagger

    return ModelTagger.from_pretrained(default_model_dir(), device=device)


def default_model_dir() -> Path:
    """Where the bundled default model lives: package data when installed, ``models/default`` in a checkout."""
    try:
        from importlib.resources import files

        path = Path(str(files("gxie.bundled_models"))) / "default"
        if path.is_dir():
            return path
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parent.parent / "models" / "default"


def get_tagger(tagger: str | Tagger = "model", device: str = "auto") -> Tagger:
    """A tagger by name (``"model"``: the bundled model, ``"rules"``: the baseline) or the one given.

    Loaded once per process and cached.
    """
    if not isinstance(tagger, str):
        return tagger
    if tagger not in TAGGERS:
        raise ValueError(f"unknown tagger {tagger!r}; use one of {', '.join(TAGGERS)} or pass a Tagger object")
    return _cached_tagger(tagger, device)


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def prepare(source: str | os.PathLike[str] | Document, *, max_bytes: int | None = None) -> Prepared | Report:
    """Read and normalize one input; a failed ``Report`` when it cannot be read."""
    from gxie.readers import DEFAULT_MAX_BYTES, read
    from gxie.text.normalize import normalize

    t0 = time.perf_counter()
    name = str(source.source if isinstance(source, Document) else source)
    digest: str | None
    try:
        if isinstance(source, Document):
            doc = source
            digest = _hash(doc.text.encode("utf-8"))
        else:
            path = Path(source)
            doc = read(path, max_bytes=max_bytes or DEFAULT_MAX_BYTES)
            digest = _file_hash(path)
    except GxieError as exc:
        digest = _file_hash(Path(name)) if not isinstance(source, Document) else None
        return Report.failed(name, exc.code, str(exc), content_hash=digest, input_kind=_kind_of(name))
    except Exception as exc:  # a reader bug must not stop a batch
        log.exception("unexpected error reading %s", name)
        return Report.failed(name, "read_error", f"unexpected error while reading: {exc!r}", input_kind=_kind_of(name))
    if doc.needs_ocr:
        msg = next((m.text for m in doc.messages if m.code == "needs_ocr"), "the document has no text layer")
        return Report.failed(name, "needs_ocr", msg, content_hash=digest, input_kind=doc.kind)
    t1 = time.perf_counter()
    norm = normalize(doc.text)
    t2 = time.perf_counter()
    return Prepared(name, doc, norm, digest, {"read": t1 - t0, "normalize": t2 - t1})


def _file_hash(path: Path) -> str | None:
    try:
        h = hashlib.sha256()
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()
    except OSError:
        return None


def _kind_of(name: str) -> str | None:
    suffix = Path(name).suffix.lower()
    kinds = {".txt": "text", ".md": "text", ".html": "html", ".htm": "html", ".docx": "docx", ".pdf": "pdf"}
    kinds.update(dict.fromkeys((".png", ".jpg", ".jpeg", ".tif", ".tiff"), "image"))
    return kinds.get(suffix)


def finish(
    prepared: Prepared, spans: list[Span], tagger: Tagger, *, template: str | None = None, tag_seconds: float = 0.0
) -> Report:
    """Rebuild the grid from ``spans``, validate it and decide the status."""
    if template is not None and template not in TEMPLATE_IDS:
        raise ValueError(f"unknown template {template!r}; use one of {', '.join(TEMPLATE_IDS)} or None to detect")
    t0 = time.perf_counter()
    norm, doc = prepared.normalized, prepared.document
    meta = find_metadata(norm.text)
    grid = rebuild(norm.text, spans, template=template, year=meta.year)
    tmpl = load_template(grid.template)
    checks = run_checks(tmpl, grid.cells)
    issues = list(doc.messages) + grid.messages
    cells, checks, more = _judge_checks(grid.cells, checks)
    issues += more
    order = {k: i for i, k in enumerate(tmpl.flat_keys())}
    found = sorted(cells.values(), key=lambda c: order.get(c.key, len(order)))
    out_cells = [replace(c, span=norm.original_span(*c.span) if c.span else None) for c in found]
    timings = {**prepared.timings, "tag": tag_seconds, "grid": time.perf_counter() - t0}
    versions = current_versions(f"{tagger.name}:{tagger.version}")
    if not out_cells:
        return replace(
            Report.failed(
                prepared.source,
                "no_tables",
                "no table of the report format (sections 二, 三, 四) was "
                "found in this document; is it an annual report of 政府信息公开? If it is, check the "
                "text extraction (e.g. a scanned PDF needs OCR).",
                tagger=versions["tagger"],
                input_kind=doc.kind,
                content_hash=prepared.content_hash,
                versions=versions,
            ),
            agency=meta.agency,
            year=meta.year,
            date_issued=meta.date_issued,
            sections=find_sections(norm, spans),
            timings=timings,
            text=doc.text,
        )
    issues += _missing(tmpl, cells)
    status = _status(tmpl, cells, checks, issues)
    return Report(
        source=prepared.source,
        status=status,
        template=grid.template,
        agency=meta.agency,
        year=meta.year,
        date_issued=meta.date_issued,
        sections=find_sections(norm, spans),
        cells=out_cells,
        checks=checks,
        issues=issues,
        tagger=versions["tagger"],
        input_kind=doc.kind,
        content_hash=prepared.content_hash,
        versions=versions,
        timings=timings,
        text=doc.text,
    )


def _judge_checks(cells: dict[str, Cell], checks: list[Check]) -> tuple[dict[str, Cell], list[Check], list[Message]]:
    """Tell 'the source does not add up' apart from 'we are unsure what we read'."""
    out_checks, messages = [], []
    cells = dict(cells)
    for ch in checks:
        if ch.passed is not False:
            out_checks.append(ch)
            continue
        sure = all(cells[k].confidence >= SOURCE_CONSISTENT_CONFIDENCE for k in ch.cells)
        if sure:
            out_checks.append(replace(ch, source_inconsistency=True))
            messages.append(
                Message(
                    "warning",
                    "source_inconsistency",
                    f"the report's printed numbers do not add up ({ch.rule}, {ch.scope}): expected "
                    f"{ch.expected} from the parts, the report prints {ch.found}; values are kept "
                    "as printed",
                )
            )
        else:
            out_checks.append(ch)
            for k in ch.cells:
                c = cells[k]
                cells[k] = replace(c, confidence=round(c.confidence * 0.7, 3))
            messages.append(
                Message(
                    "warning",
                    "uncertain_reading",
                    f"{ch.rule} ({ch.scope}) fails on cells read with low confidence: expected "
                    f"{ch.expected}, found {ch.found}; check these cells by hand",
                )
            )
    return cells, out_checks, messages


def _missing(tmpl: Template, cells: dict[str, Cell]) -> list[Message]:
    out = []
    for block in tmpl.blocks:
        keys = block.keys()
        absent = [k for k in keys if k not in cells]
        if not absent:
            continue
        name = block.caption if block.table == "section2" else block.table
        if len(absent) == len(keys):
            out.append(Message("warning", "missing_table", f"{name}: table not found ({len(keys)} cells null)"))
            continue
        rows = sorted({k.split(".")[1] for k in absent}, key=lambda r: [x.id for x in block.rows].index(r))
        last = block.rows[-1].id
        code = "truncated_table" if last in rows else "missing_rows"
        out.append(Message("warning", code, f"{name}: {len(absent)} cells not found, rows {', '.join(rows)}"))
    return out


def _status(tmpl: Template, cells: dict[str, Cell], checks: list[Check], issues: list[Message]) -> Status:
    if any(k not in cells for k in tmpl.flat_keys()):
        return "partial"
    if any(c.passed is False for c in checks):
        return "partial"
    if any(m.code in UNCERTAIN_CODES for m in issues):
        return "partial"
    return "ok"


def extract(
    source: str | os.PathLike[str] | Document,
    *,
    tagger: str | Tagger = "model",
    template: str | None = None,
    device: str = "auto",
) -> Report:
    """Extract the three tables, metadata and checks from one report file.

    >>> report = extract("report.docx", tagger="rules")  # doctest: +SKIP
    >>> report.to_flat()["section3.new_received.total"]  # doctest: +SKIP
    """
    tg = get_tagger(tagger, device)
    prepared = prepare(source)
    if isinstance(prepared, Report):
        prepared.tagger = f"{tg.name}:{tg.version}"
        return prepared
    t0 = time.perf_counter()
    spans = tg.tag(prepared.normalized.text)
    return finish(prepared, spans, tg, template=template, tag_seconds=time.perf_counter() - t0)


def extract_text(
    text: str,
    *,
    source: str = "<string>",
    tagger: str | Tagger = "model",
    template: str | None = None,
    device: str = "auto",
) -> Report:
    """Like ``extract`` for report text already in memory."""
    return extract(Document(text=text, source=source, kind="text"), tagger=tagger, template=template, device=device)


def extract_many(
    sources: Iterable[str | os.PathLike[str]],
    *,
    tagger: str | Tagger = "model",
    device: str = "auto",
    batch_size: int = 8,
) -> Iterator[Report]:
    """Extract many files, tagging several documents per model call; yields reports in input order."""
    tg = get_tagger(tagger, device)
    batch: list[Prepared | Report] = []

    def flush() -> Iterator[Report]:
        ready = [p for p in batch if isinstance(p, Prepared)]
        t0 = time.perf_counter()
        tagged = tg.tag_many([p.normalized.text for p in ready]) if ready else []
        per_doc = (time.perf_counter() - t0) / max(1, len(ready))
        spans_of = {id(p): s for p, s in zip(ready, tagged, strict=True)}
        for p in batch:
            if isinstance(p, Report):
                yield p
            else:
                yield finish(p, spans_of[id(p)], tg, tag_seconds=per_doc)
        batch.clear()

    for src in sources:
        batch.append(prepare(src))
        if len(batch) >= batch_size:
            yield from flush()
    yield from flush()
