"""The pipeline: read -> normalize -> tag -> rebuild grid -> validate -> decide status.

``run`` is the one document loop every caller goes through (``extract``, ``extract_many``, the batch
runner's workers, Label Studio tasks, the benchmark): it reads and normalizes each input, tags chunks
of documents with one ``tag_many`` call, and finishes each document. Bad documents never raise: every
input gets a ``Report``, failed ones with an error message.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeAlias

from gxie.errors import GxieError, NeedsOCRError, UnsupportedFormatError
from gxie.gcpolicy import fewer_collections
from gxie.grid.build import rebuild
from gxie.grid.candidates import regions
from gxie.grid.lost_layout import lost_layout
from gxie.grid.spaced_rows import doubt_spaced_rows
from gxie.limits import Limits
from gxie.metadata import find_metadata, find_sections
from gxie.report import Report
from gxie.rules_first import TAGS_KEY, Focus, focus, settled, wanted
from gxie.tagging.base import Tagger, tagger_label
from gxie.tagging.load import TAGGERS as TAGGERS  # re-exported: callers import these from gxie.pipeline
from gxie.tagging.load import default_model_dir as default_model_dir
from gxie.tagging.load import get_tagger
from gxie.tagging.loader import DEFAULT_BACKEND
from gxie.templates import TEMPLATE_IDS, load_template
from gxie.types import Cell, Document, IssueCode, NormalizedText, Span
from gxie.validate import judge, run_checks
from gxie.versions import current_versions

log = logging.getLogger(__name__)
INTERNAL_ERROR = IssueCode.INTERNAL_ERROR  # a failed report made from an exception in gxie itself (a bug)
Source: TypeAlias = str | os.PathLike[str] | Document  # a report file's path, or a document already read


@dataclass(frozen=True)
class Prepared:
    """A document read and normalized, ready to tag."""

    source: str
    document: Document
    normalized: NormalizedText
    content_hash: str | None
    timings: dict[str, float] = field(default_factory=dict)
    focus: Focus | None = None  # the part the model reads, when the rules settled the other tables


@dataclass(frozen=True)
class Extraction:
    """One input's way through :func:`run`: the finished ``report``, the document as read and normalized
    (``prepared``; None when it could not be read), the tagger's ``spans`` on the normalized text (None
    when it was not tagged) and the wall ``seconds`` spent on it (its share of the chunk's tagging included).

    >>> [e.report.status for e in run(["a.txt"], tagger="rules")]  # doctest: +SKIP
    ['ok']
    """

    report: Report
    prepared: Prepared | None
    spans: tuple[Span, ...] | None
    seconds: float

    @property
    def source(self) -> str:
        """The input's name: its path, or the ``source`` of a ``Document``."""
        return self.report.source


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def prepare(source: Source, *, max_bytes: int | None = None, limits: Limits | None = None) -> Prepared:
    """Read and normalize one input; raises a ``GxieError`` (its ``code`` says which) when it cannot be read.

    >>> prepare("report.txt").normalized.text[:6]  # doctest: +SKIP
    '一、总体情况'
    """
    start = time.perf_counter()
    document, digest = _read(source, max_bytes, limits)
    message = _needs_ocr(document)
    if message is not None:
        raise NeedsOCRError(message)
    return _normalized(_name(source), document, digest, time.perf_counter() - start)


def _name(source: Source) -> str:
    return str(source.source if isinstance(source, Document) else source)


def _read(source: Source, max_bytes: int | None, limits: Limits | None) -> tuple[Document, str | None]:
    """The document and the sha256 of its bytes (of its text for a ``Document``)."""
    from gxie.readers import read

    if isinstance(source, Document):
        return source, _hash(source.text.encode("utf-8"))
    path = Path(source)
    if path.is_dir():
        raise UnsupportedFormatError(
            f"{str(path)!r} is a folder, not a report file; extract() reads one file. Extract every report in "
            f"it with `gxie extract {path} -o OUT` (results.jsonl plus tables, resumable), or in Python with "
            f"extract_many(discover([{str(path)!r}])) (from gxie.batch import discover)"
        )
    return read(path, max_bytes=max_bytes, limits=limits), _file_hash(path)


def _needs_ocr(document: Document) -> str | None:
    """Why ``document`` cannot be tagged without OCR, or None when it has text."""
    if not document.needs_ocr:
        return None
    return next((m.message for m in document.issues if m.code == IssueCode.NEEDS_OCR), "the document has no text layer")


def _normalized(name: str, document: Document, digest: str | None, read_seconds: float) -> Prepared:
    from gxie.text.normalize import normalize

    start = time.perf_counter()
    norm = normalize(document.text)
    timings = {"read": read_seconds, "normalize": time.perf_counter() - start}
    return Prepared(name, document, norm, digest, timings)


def _file_hash(path: Path) -> str | None:
    """sha256 of a regular file's bytes; None for anything else (a pipe or a device is never opened to wait)."""
    from gxie.readers import open_regular

    try:
        h = hashlib.sha256()
        with open_regular(path) as f:
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
    prepared: Prepared,
    spans: list[Span],
    tagger: Tagger,
    *,
    template: str | None = None,
    tag_seconds: float = 0.0,
    tags_from: Tagger | None = None,
    decode: bool = True,
) -> Report:
    """Rebuild the grid from ``spans``, validate it and decide the status. ``tags_from``: the tagger that
    made ``spans`` when it is not the run's ``tagger`` (recorded in ``versions``); ``decode=False``: no
    constrained decoding (``gxie.grid.build.rebuild``)."""
    if template is not None and template not in TEMPLATE_IDS:
        raise ValueError(f"unknown template {template!r}; use one of {', '.join(TEMPLATE_IDS)} or None to detect")
    t0 = time.perf_counter()
    norm, doc = prepared.normalized, prepared.document
    meta = find_metadata(norm.text)
    grid = rebuild(norm.text, spans, template=template, year=meta.year, decode=decode)
    tmpl = load_template(grid.template)
    hint = None if grid.cells else _no_tables_message(doc)
    found_issues = (*doc.issues, *grid.issues)
    grid_cells = doubt_spaced_rows(norm, grid.cells)
    found_checks = run_checks(tmpl, grid_cells)
    cells, checks, issues, status = judge(
        tmpl, grid_cells, found_checks, found_issues, no_tables=hint, decoded=grid.decoded
    )
    # no table: what was noticed reading the document (a poor text layer...) still stands; a table whose
    # text lost its layout: say so, and what to give gxie instead
    issues = (*issues, *(lost_layout(tmpl, norm.text, cells) if grid.cells else doc.issues))
    order = {k: i for i, k in enumerate(tmpl.flat_keys())}
    found = sorted(cells.values(), key=lambda c: order.get(c.key, len(order)))
    out_cells = tuple(  # Cell(...), not dataclasses.replace: twice as fast, for ~200 cells per report
        Cell(c.table, c.row, c.col, c.value, c.raw, norm.original_span(*c.span) if c.span else None, c.confidence)
        for c in found
    )
    timings = {**prepared.timings, "tag": tag_seconds, "grid": time.perf_counter() - t0}
    versions = current_versions(tagger_label(tagger))
    if tags_from is not None:
        versions[TAGS_KEY] = tagger_label(tags_from)
    return Report(
        source=prepared.source,
        template=None if status == "failed" else grid.template,
        agency=meta.agency,
        year=meta.year,
        date_issued=meta.date_issued,
        status=status,
        sections=tuple(find_sections(norm, spans)),
        issues=issues,
        checks=checks,
        cells=out_cells,
        tagger=versions["tagger"],
        input_kind=doc.kind,
        content_hash=prepared.content_hash,
        versions=versions,
        timings=timings,
        text=doc.text,
    )


def _no_tables_message(document: Document) -> str:
    """Why a report may have no table: a hint at OCR only where OCR did not already run."""
    from gxie.ocr import ScannedDocument  # only reached for a document without tables

    start = (
        "no table of the report format (sections 二, 三, 四) was found in this document; is it an annual "
        "report of 政府信息公开? If it is, "
    )
    if isinstance(document, ScannedDocument):
        return start + (
            "the text OCR read from the scan may be too damaged to hold the tables: check the scan (300 dpi or "
            "more, pages straight and sharp) or extract a copy with a text layer."
        )
    return start + "check the text extraction (e.g. a scanned PDF needs OCR)."


def run(
    sources: Iterable[Source],
    *,
    tagger: str | Tagger = "model",
    template: str | None = None,
    device: str = "auto",
    batch_size: int = 8,
    model: str | os.PathLike[str] | None = None,
    backend: str = DEFAULT_BACKEND,
    limits: Limits | None = None,
    rules_first: bool | None = None,
) -> Iterator[Extraction]:
    """The document loop: read, normalize, tag ``batch_size`` documents per ``tag_many`` call, finish each.

    Yields one ``Extraction`` per source, in input order, and never raises for one bad document: an input
    that cannot be read gets a failed report with the reader's code, an unexpected exception a failed
    report with code ``internal_error`` naming the stage (reading, normalizing, tagging, rebuilding the
    tables). When a batched ``tag_many`` call fails, its documents are tagged one by one, so that only
    the culprit fails. Bad options and a tagger that cannot load raise here, before any document.
    ``model``: a model directory instead of the bundled model; ``backend``: ``"onnx"`` (default) or
    ``"torch"`` (see ``gxie.tagging.load.get_tagger``); ``limits`` (``gxie.Limits``) raises or lowers what one
    file may take (bytes, pages, pixels, DOCX parts, HTML elements: docs/limits.md). ``rules_first``: whether
    a document the rules tagger reads completely and consistently skips the model (``gxie.rules_first``;
    None: on for the model tagger with its cascade on, the default). Each chunk is worked on with fewer
    garbage collections (``gxie.gcpolicy``); the caller's thresholds are back whenever it gets an extraction.

    >>> [e.report.status for e in run(["a.txt", "b.docx"], tagger="rules")]  # doctest: +SKIP
    ['ok', 'partial']
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1 (documents tagged per call), got {batch_size}")
    if template is not None and template not in TEMPLATE_IDS:
        raise ValueError(f"unknown template {template!r}; use one of {', '.join(TEMPLATE_IDS)} or None to detect")
    chosen = get_tagger(tagger, device, model=model, backend=backend)
    first = get_tagger("rules") if wanted(chosen, rules_first) else None
    return _loop(sources, chosen, template, batch_size, limits, first)


def _loop(
    sources: Iterable[Source],
    tagger: Tagger,
    template: str | None,
    batch_size: int,
    limits: Limits | None,
    first: Tagger | None = None,
) -> Iterator[Extraction]:
    chunk: list[Source] = []
    for source in sources:
        chunk.append(source)
        if len(chunk) == batch_size:
            yield from _collected(chunk, tagger, template, limits, first)
            chunk = []
    if chunk:
        yield from _collected(chunk, tagger, template, limits, first)


def _collected(
    sources: Sequence[Source], tagger: Tagger, template: str | None, limits: Limits | None, first: Tagger | None
) -> list[Extraction]:
    """One chunk's extractions, made with fewer garbage collections (``gxie.gcpolicy``); the caller's
    thresholds are back before any is handed out."""
    with fewer_collections():
        return list(_chunk(sources, tagger, template, limits, first))


def _chunk(
    sources: Sequence[Source], tagger: Tagger, template: str | None, limits: Limits | None, first: Tagger | None
) -> Iterator[Extraction]:
    """Read every source, settle what ``first`` (the rules) can, tag the rest together, finish each; in
    input order."""
    label = tagger_label(tagger)
    read = [_read_one(source, label, limits) for source in sources]
    settled_by: dict[int, Extraction] = {}
    for i, item in enumerate(read):
        if first is not None and isinstance(item, Prepared):
            outcome = _settle(item, first, tagger, template)
            if isinstance(outcome, Extraction):
                settled_by[i] = outcome
            else:
                read[i] = outcome
    ready = [item for i, item in enumerate(read) if isinstance(item, Prepared) and i not in settled_by]
    within = [p.focus.ranges if p.focus else None for p in ready]
    tagged = iter(_tag(tagger, [p.normalized.text for p in ready], within if any(within) else None))
    for i, item in enumerate(read):
        if i in settled_by:
            yield settled_by[i]
        elif isinstance(item, Extraction):
            yield item
        else:
            spans, share = next(tagged)
            yield _finish_one(item, spans, share, tagger, label, template)


def _settle(prepared: Prepared, first: Tagger, tagger: Tagger, template: str | None) -> Extraction | Prepared:
    """The finished extraction when ``first``'s reading is settled (``gxie.rules_first``); else the document
    again, with the time that reading took in its timings (``rules_first``)."""
    start = time.perf_counter()
    try:
        spans = first.tag(prepared.normalized.text)
        tagged = time.perf_counter()
        report = finish(
            prepared, spans, tagger, template=template, tag_seconds=tagged - start, tags_from=first, decode=False
        )
    except Exception:  # the model reads it instead
        log.warning("the rules-first reading of %s failed; the model reads it", prepared.source, exc_info=True)
    else:
        if settled(report):
            spent = sum(prepared.timings.values()) + time.perf_counter() - start
            return Extraction(report, prepared, tuple(spans), spent)
        if getattr(tagger, "reads_within", False):  # the model reads only the tables the rules left unsettled
            text = prepared.normalized.text
            part = focus(report, spans, regions(text), len(text))
            timings = {**prepared.timings, "rules_first": time.perf_counter() - start}
            return replace(prepared, timings=timings, focus=part)
    return replace(prepared, timings={**prepared.timings, "rules_first": time.perf_counter() - start})


def _read_one(source: Source, label: str, limits: Limits | None) -> Prepared | Extraction:
    """The prepared document, or a finished (failed) extraction when it cannot be read."""
    start = time.perf_counter()
    name = _name(source)

    def failed(code: IssueCode, text: str, digest: str | None, kind: str | None) -> Extraction:
        report = _failed_report(name, code, text, label, digest, kind)
        return Extraction(report, None, None, time.perf_counter() - start)

    try:
        document, digest = _read(source, None, limits)
    except GxieError as exc:
        digest = None if isinstance(source, Document) else _file_hash(Path(name))
        return failed(exc.code, str(exc), digest, _kind_of(name))
    except Exception as exc:  # a reader bug must not stop the others
        return failed(INTERNAL_ERROR, _internal("reading", name, exc), None, _kind_of(name))
    message = _needs_ocr(document)
    if message is not None:
        return failed(NeedsOCRError.code, message, digest, document.kind)
    try:
        return _normalized(name, document, digest, time.perf_counter() - start)
    except Exception as exc:
        return failed(INTERNAL_ERROR, _internal("normalizing", name, exc), digest, document.kind)


def _finish_one(
    prepared: Prepared,
    spans: list[Span] | Exception,
    share: float,
    tagger: Tagger,
    label: str,
    template: str | None,
) -> Extraction:
    """The finished extraction of one tagged document (``spans``: the exception when tagging failed)."""
    spent = sum(prepared.timings.values()) + share
    kind, digest = prepared.document.kind, prepared.content_hash
    if isinstance(spans, Exception):
        text = _internal("tagging", prepared.source, spans)
        return Extraction(
            _failed_report(prepared.source, INTERNAL_ERROR, text, label, digest, kind), prepared, None, spent
        )
    start = time.perf_counter()
    if prepared.focus is not None:  # the model's tags in the unsettled tables, the rules' everywhere else
        spans = prepared.focus.merged(spans)
    try:
        report = finish(prepared, spans, tagger, template=template, tag_seconds=share)
        if prepared.focus is not None:
            report.versions[TAGS_KEY] = f"{label} in {' '.join(prepared.focus.tables)}; rules:1 elsewhere"
    except Exception as exc:
        text = _internal("rebuilding the tables of", prepared.source, exc)
        report = _failed_report(prepared.source, INTERNAL_ERROR, text, label, digest, kind)
    return Extraction(report, prepared, tuple(spans), spent + time.perf_counter() - start)


def _tag(
    tagger: Tagger, texts: list[str], within: list[tuple[tuple[int, int], ...] | None] | None = None
) -> list[tuple[list[Span] | Exception, float]]:
    """``(spans or the exception, seconds)`` per text: one call for all, or one by one after a failure.
    ``within``: per text, the only ranges the model reads (None: all of it; a tagger with ``reads_within``)."""
    if not texts:
        return []
    start = time.perf_counter()
    try:
        tagged = _tag_many(tagger, texts, within)
        if len(tagged) != len(texts):
            raise RuntimeError(f"tag_many returned {len(tagged)} results for {len(texts)} texts")
    except Exception:
        log.warning("tagging %d documents together failed; tagging them one by one", len(texts), exc_info=True)
    else:
        spent, total = time.perf_counter() - start, max(1, sum(map(len, texts)))
        return [(spans, spent * len(t) / total) for spans, t in zip(tagged, texts, strict=True)]
    out: list[tuple[list[Span] | Exception, float]] = []
    for text in texts:
        one = time.perf_counter()
        try:
            spans: list[Span] | Exception = _tag_many(tagger, [text], [within[len(out)]] if within else None)[0]
        except Exception as exc:
            spans = exc
        out.append((spans, time.perf_counter() - one))
    return out


def _tag_many(
    tagger: Tagger, texts: list[str], within: list[tuple[tuple[int, int], ...] | None] | None
) -> list[list[Span]]:
    """``tagger.tag_many``, given ``within`` when there is one (only a tagger with ``reads_within`` gets it)."""
    return list(tagger.tag_many(texts, within) if within else tagger.tag_many(texts))  # type: ignore[call-arg]


def _internal(stage: str, name: str, exc: Exception) -> str:
    """The message of an ``internal_error`` report; the traceback goes to the log."""
    log.warning("internal error while %s %s", stage, name, exc_info=exc)
    return f"internal error while {stage} {name!r}: {type(exc).__name__}: {exc}"


def _failed_report(name: str, code: IssueCode, text: str, label: str, digest: str | None, kind: str | None) -> Report:
    """A failed report that names the tagger of the run, like every other report of it."""
    return Report.failed(
        name, code, text, tagger=label, input_kind=kind, content_hash=digest, versions=current_versions(label)
    )


def extract(
    source: Source,
    *,
    tagger: str | Tagger = "model",
    template: str | None = None,
    device: str = "auto",
    model: str | os.PathLike[str] | None = None,
    backend: str = DEFAULT_BACKEND,
    limits: Limits | None = None,
    rules_first: bool | None = None,
) -> Report:
    """Extract the three tables, metadata and checks from one report file (or ``Document``); never raises
    for a bad document (it gets a failed report saying why).

    ``model``: a model directory (``gxie train`` / ``gxie annotate retrain`` output) instead of the bundled
    model; ``backend``: ``"onnx"`` (default) or ``"torch"``.

    ``limits`` (``gxie.limits.Limits``) raises or lowers what one file may take (pages, pixels, parts...);
    a file beyond them gives a failed report with the code ``limit_exceeded``. ``rules_first=False`` runs the
    model even on a report the rules tagger reads completely and consistently (``gxie.rules_first``).

    >>> report = extract("report.docx", tagger="rules")  # doctest: +SKIP
    >>> report.cell("section3.new_received.total").value  # doctest: +SKIP
    """
    (extraction,) = run(
        [source], tagger=tagger, template=template, device=device, batch_size=1, model=model, backend=backend,
        limits=limits, rules_first=rules_first,
    )  # fmt: skip
    return extraction.report


def extract_text(
    text: str,
    *,
    source: str = "<string>",
    tagger: str | Tagger = "model",
    template: str | None = None,
    device: str = "auto",
    model: str | os.PathLike[str] | None = None,
    backend: str = DEFAULT_BACKEND,
    rules_first: bool | None = None,
) -> Report:
    """Like ``extract`` for report text already in memory."""
    doc = Document(text=text, source=source, kind="text")
    return extract(
        doc, tagger=tagger, template=template, device=device, model=model, backend=backend, rules_first=rules_first
    )


def extract_many(
    sources: Iterable[Source],
    *,
    tagger: str | Tagger = "model",
    template: str | None = None,
    device: str = "auto",
    batch_size: int = 8,
    model: str | os.PathLike[str] | None = None,
    backend: str = DEFAULT_BACKEND,
    limits: Limits | None = None,
    rules_first: bool | None = None,
) -> Iterator[Report]:
    """Extract many files, tagging ``batch_size`` documents per model call; yields reports in input order.

    >>> [r.status for r in extract_many(["a.txt", "b.pdf"], tagger="rules")]  # doctest: +SKIP
    ['ok', 'failed']
    """
    extractions = run(
        sources,
        tagger=tagger,
        template=template,
        device=device,
        batch_size=batch_size,
        model=model,
        backend=backend,
        limits=limits,
        rules_first=rules_first,
    )
    return (e.report for e in extractions)
