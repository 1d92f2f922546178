"""Every value gxie's stages pass on (read -> normalize -> tag -> grid -> validate) and the finished ``Report``.

The lowest layer: it imports nothing from gxie. Results are frozen dataclasses; ``to_data`` / ``from_data``
turn any of them into JSON-able data and back, field by field (tuples <-> lists, enums <-> their values).
"""

from __future__ import annotations

import types
from array import array
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from enum import Enum
from functools import cache
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

Status = Literal["ok", "partial", "failed"]
STATUSES: tuple[Status, ...] = get_args(Status)  # ok: all found, all holds; partial: doubts; failed: no result
Level = Literal["error", "warning", "info"]
Number = int | float
SCHEMA_VERSION = "1"  # of ``Report.to_dict()``; ``Report.from_dict`` reads this version only
T = TypeVar("T")


def quick_init(cls: type[T]) -> type[T]:
    """Give a frozen dataclass (applied above ``@dataclass(frozen=True)``) an ``__init__`` that fills the
    instance dict in one call instead of one ``object.__setattr__`` per field: 0.39 against 0.73 us for six
    fields. For the values made by the thousand per report (spans, layout cells, items, tokens, cells); the
    class stays frozen, equal, hashable and picklable as before. Fields with a default factory, init-less
    fields and ``__post_init__`` are refused.

    >>> @quick_init
    ... @dataclass(frozen=True)
    ... class P:
    ...     x: int
    ...     y: int = 0
    >>> P(1), P(1) == P(x=1, y=0)
    (P(x=1, y=0), True)
    """
    if not is_dataclass(cls) or not cls.__dataclass_params__.frozen or hasattr(cls, "__post_init__"):  # type: ignore[attr-defined]
        raise TypeError(f"quick_init is for frozen dataclasses without __post_init__, not {cls.__name__}")
    params, names, defaults = [], [], {}
    for f in fields(cls):
        if not f.init or f.default_factory is not MISSING or f.kw_only:
            raise TypeError(f"quick_init cannot build {cls.__name__}.{f.name} (no init, a factory or keyword-only)")
        names.append(f.name)
        if f.default is MISSING:
            params.append(f.name)
        else:
            defaults[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
    fill = ", ".join(f"{n}={n}" for n in names)
    source = f"def __init__(self, {', '.join(params)}):\n    self.__dict__.update({fill})\n"
    scope: dict[str, Any] = {}
    exec(source, dict(defaults), scope)  # the source is made here from the field names
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


class IssueCode(str, Enum):
    """What an ``Issue`` is about (value: its JSON ``code``), with a description and whether it is uncertain.

    >>> IssueCode("uncertain_row").uncertain, IssueCode.NO_TABLES.value
    (True, 'no_tables')
    """

    uncertain: bool  # the reading is in doubt: the report is partial even with every cell found and checked
    description: str

    def __new__(cls, value: str, uncertain: bool, description: str) -> IssueCode:
        member = str.__new__(cls, value)
        member._value_ = value
        member.uncertain = uncertain
        member.description = description
        return member

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    # The input could not be read: the report is failed.
    READ_ERROR = "read_error", False, "the file is missing, empty, binary, undecodable, corrupt or not a regular file"
    LIMIT_EXCEEDED = "limit_exceeded", False, "the input is beyond a limit of docs/limits.md (size, pages, pixels...)"
    UNSUPPORTED_FORMAT = "unsupported_format", False, "gxie does not read files of this type"
    NEEDS_OCR = "needs_ocr", False, "the document has no text layer and OCR is not installed or found no text"
    MISSING_EXTRA = "missing_extra", False, "an optional dependency this input needs is not installed"
    INTERNAL_ERROR = "internal_error", False, "gxie itself failed on this file (a resumed batch retries it once)"
    TIMEOUT = "timeout", False, "the file ran past the batch's per-file time limit (retried once)"
    WORKER_DIED = "worker_died", False, "the worker process died while extracting this file alone (retried once)"
    NO_TABLES = "no_tables", False, "no table of the report format was found in the text"
    # Errors gxie raises outside the extraction of a report (codes of ``gxie.errors`` and its kin).
    ERROR = "error", False, "an error gxie raised on purpose, of no more specific kind"
    TEMPLATE_ERROR = "template_error", False, "an unknown template id or a malformed template file"
    MODEL_ERROR = "model_error", False, "a model directory that is missing, incomplete or incompatible"
    CONFIG_ERROR = "config_error", False, "a training or run configuration with a bad or unknown field"
    LABEL_STUDIO_ERROR = "label_studio_error", False, "Label Studio could not be reached or refused a request"
    OFFSET_ERROR = "offset_error", False, "a Label Studio region whose offsets do not fit its text"
    BACKEND_ERROR = "backend_error", False, "the Label Studio ML backend could not answer a request"
    OUTPUT_LOCKED = "output_locked", False, "another gxie run is writing into the same output folder"
    # Reading remarks.
    READ_BY_CONTENT = "read_by_content", False, "the file was read as the kind its bytes show, not its suffix"
    PAGE_WITHOUT_TEXT = "page_without_text", False, "PDF pages without a text layer were skipped"
    OCR = "ocr", False, "the pages were read by OCR"
    OCR_EMPTY_PAGE = "ocr_empty_page", False, "OCR found no text on some pages"
    TEXT_LAYER_POOR = "text_layer_poor", False, "the PDF's text layer looks like poor OCR and was read as it is"
    TEXT_LAYER_REPLACED = "text_layer_replaced", False, "the PDF's poor text layer was replaced by gxie's OCR"
    # Rebuilding the grid.
    FORMAT_UNCERTAIN = "format_uncertain", True, "the format (2019 or 2021) was chosen with low confidence"
    UNCERTAIN_ROW = "uncertain_row", True, "a row's values could not be placed in its columns for sure"
    DUPLICATE_ROW = "duplicate_row", True, "a row label appears twice with values; the first was kept"
    PLACEMENT_BY_PRIOR = "placement_by_prior", False, "a row without its blank cells placed by the usual layout"
    LABELS_AFTER_NUMBERS = "labels_after_numbers", False, "a table prints its numbers before their row labels"
    BLOCK_LAYOUT = "block_layout", False, "a table prints all labels first, then all numbers"
    EXTRA_ROW = "extra_row", False, "a local row outside the format; its values are not in the grid"
    ROW_NOT_IN_FORMAT = "row_not_in_format", False, "a row of the other format; its values are not in the grid"
    UNKNOWN_ROW = "unknown_row", False, "an unrecognised row label; its values were not used"
    DECODED_TABLE = "decoded_table", False, "a table read by constrained decoding over the format's row order"
    TABLE_TOO_LONG = "table_too_long", False, "a table region with far more numbers than cells; not decoded"
    LOST_LAYOUT = "lost_layout", False, "a table printed one cell a line with many cells unsure: give the original"
    IMPLAUSIBLE_VALUE = "implausible_value", True, "a value beyond what its cell can hold: likely digits run together"
    # Validating the grid.
    SOURCE_INCONSISTENCY = "source_inconsistency", False, "the report's printed numbers break a relation"
    UNCERTAIN_READING = "uncertain_reading", True, "a relation fails on cells read with low confidence"
    MISSING_TABLE = "missing_table", False, "a whole table of the format was not found"
    TRUNCATED_TABLE = "truncated_table", False, "a table stops before its last row"
    MISSING_ROWS = "missing_rows", False, "some rows of a table were not found"


@dataclass(frozen=True)
class Issue:
    """A problem or remark about one report: ``level``, machine-readable ``code``, human-readable ``message``.

    >>> Issue("warning", IssueCode.UNCERTAIN_ROW, "row granted: only 3 of 7 cells found").code.uncertain
    True
    """

    level: Level
    code: IssueCode
    message: str

    def __post_init__(self) -> None:
        if not isinstance(self.code, IssueCode):  # a code given as its string: must be a member
            try:
                object.__setattr__(self, "code", IssueCode(self.code))
            except ValueError:
                raise ValueError(
                    f"unknown issue code {self.code!r}; the codes are listed in gxie.types.IssueCode "
                    f"({', '.join(c.value for c in IssueCode)}); add a member there for a new kind of issue"
                ) from None


@dataclass(frozen=True)
class Page:
    """One page (PDF) of a document: ``[start, end)`` offsets into ``Document.text``."""

    number: int
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    """What a reader returns: the text of the input file and where it came from.

    ``text`` is "the original input text" of the output contract: every span gxie reports points into it.
    """

    text: str
    source: str
    kind: str  # "text", "html", "docx", "pdf", "image"
    encoding: str | None = None
    pages: tuple[Page, ...] = ()
    needs_ocr: bool = False
    issues: tuple[Issue, ...] = ()


@dataclass(frozen=True)
class NormalizedText:
    """Normalized text plus, for each of its characters, the ``[start, end)`` range it came from.

    ``starts[i]``/``ends[i]`` give the range in ``original`` that produced normalized character ``i``.
    """

    text: str
    original: str
    starts: array = field(repr=False)
    ends: array = field(repr=False)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a ``[start, end)`` span of the normalized text back onto the original text."""
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"span [{start}, {end}) is outside the normalized text (length {len(self.text)})")
        if start == end:
            pos = self.starts[start] if start < len(self.text) else len(self.original)
            return pos, pos
        return self.starts[start], self.ends[end - 1]


@quick_init
@dataclass(frozen=True)
class Span:
    """A labelled character span ``[start, end)`` of the normalized text (label from gxie.labels)."""

    start: int
    end: int
    label: str
    text: str
    score: float = 1.0


@quick_init
@dataclass(frozen=True)
class Cell:
    """One cell of a fixed table.

    ``span`` points into the normalized text while the grid is rebuilt and into the original input
    text in a finished ``Report``. ``value`` is None for a blank cell or an explicit empty marker.
    """

    table: str  # "section2" | "section3" | "section4"
    row: str
    col: str
    value: Number | None
    raw: str
    span: tuple[int, int] | None
    confidence: float

    @property
    def key(self) -> str:
        return f"{self.table}.{self.row}.{self.col}"


@dataclass(frozen=True)
class Check:
    """One arithmetic relation evaluated on the cells that were read."""

    rule: str  # e.g. "R1_column_identity"
    scope: str  # e.g. "column natural_person"
    cells: tuple[str, ...]  # flat keys involved
    expected: Number | None
    found: Number | None
    passed: bool | None  # None: not evaluable (a cell it needs was not read)
    source_inconsistency: bool = False  # True: the printed numbers themselves do not add up


@dataclass(frozen=True)
class Section:
    """A section heading found in the report (standard or not)."""

    id: str | None  # "一".."六" when it is recognised as that section, else None
    title: str
    span: tuple[int, int]
    standard: bool  # True when the heading wording is the official one


@dataclass(frozen=True)
class Grid:
    """What the grid rebuild returns: the format, how sure it is, cells by flat key and what it noticed."""

    template: str
    template_confidence: float
    cells: Mapping[str, Cell] = field(default_factory=dict)  # spans into the normalized text
    issues: tuple[Issue, ...] = ()
    decoded: tuple[str, ...] = ()  # the tables read by constrained decoding (the format's order)


def to_data(value: Any) -> Any:
    """JSON-able data of a result: dataclasses -> dicts in field order, tuples -> lists, enums -> values.

    >>> to_data(Section("一", "一、总体情况", (0, 6), True))
    {'id': '一', 'title': '一、总体情况', 'span': [0, 6], 'standard': True}
    """
    kind: Any = type(value)  # Any: mypy does not see that a class is hashable, as the cache needs
    if kind in _PLAIN:
        return value
    names = _field_names(kind)
    if names:  # plain values are written in place: most fields are, and this runs per cell of every report
        return {n: v if type(v) in _PLAIN else to_data(v) for n in names for v in (getattr(value, n),)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [v if type(v) in _PLAIN else to_data(v) for v in value]
    if isinstance(value, Mapping):
        return {k: to_data(v) for k, v in value.items()}
    return value


def from_data(cls: type[T], data: Any) -> T:
    """Rebuild a result dataclass from ``to_data`` output; a ValueError names the field that does not fit.

    >>> from_data(Section, {"id": None, "title": "附件", "span": [70, 72], "standard": False}).span
    (70, 72)
    """
    tp: Any = cls
    try:
        value: T = _decoder(tp)(data)
    except _Malformed as exc:
        where = "".join(s if s.startswith("[") else f".{s}" for s in exc.path).lstrip(".")
        raise ValueError(f"field {where!r} {exc.problem}" if where else f"the value {exc.problem}") from None
    return value


_PLAIN = frozenset({str, int, float, bool, type(None)})
Decoder = Callable[[Any], Any]


@cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(kind)) if is_dataclass(kind) else ()


class _Malformed(ValueError):
    """What does not fit (``problem``) and where: field names and ``[index]`` segments, outermost first."""

    def __init__(self, problem: str, path: tuple[str, ...] = ()) -> None:
        super().__init__(problem)
        self.problem, self.path = problem, path


def _inside(decode: Decoder, data: Any, segment: str) -> Any:
    try:
        return decode(data)
    except _Malformed as exc:
        raise _Malformed(exc.problem, (segment, *exc.path)) from None


@cache
def _decoder(tp: Any) -> Decoder:
    """A function turning JSON data into a value of type ``tp`` (built once per type), or raising _Malformed."""
    origin, args = get_origin(tp), get_args(tp)
    if tp is Any:
        return lambda data: data
    if isinstance(tp, type) and is_dataclass(tp):
        return _dataclass_decoder(tp)
    if origin in (Union, types.UnionType) and not all(a in _PLAIN for a in args):
        inner = _decoder(next(a for a in args if a is not type(None)))  # X | None: the one type gxie uses
        return lambda data: None if data is None else inner(data)
    if origin is Literal or (isinstance(tp, type) and issubclass(tp, Enum)):
        members = {a: a for a in args} if origin is Literal else {m.value: m for m in tp}

        def choice(data: Any) -> Any:
            if isinstance(data, str) and data in members:
                return members[data]
            raise _Malformed(f"is {data!r}; allowed are {', '.join(map(str, members))}")

        return choice
    if origin is tuple:
        return _tuple_decoder(args)
    if origin in (dict, Mapping):
        item = _decoder(args[1])

        def mapping(data: Any) -> dict[str, Any]:
            if not isinstance(data, Mapping):
                raise _Malformed(f"is {data!r}; expected an object")
            return {k: _inside(item, v, str(k)) for k, v in data.items()}

        return mapping
    kinds = args if origin in (Union, types.UnionType) else (tp,)  # a plain type, or a union of them
    accepted = frozenset({int, *kinds} if float in kinds else kinds)  # JSON may write a whole float as 1
    names = " or ".join("null" if k is type(None) else k.__name__ for k in kinds)

    def scalar(data: Any) -> Any:
        if type(data) in accepted:
            return data
        raise _Malformed(f"is {data!r}; expected {names}")

    return scalar


def _dataclass_decoder(cls: type) -> Decoder:
    hints = get_type_hints(cls)
    specs = [
        (f.name, _decoder(hints[f.name]), f.default is MISSING and f.default_factory is MISSING) for f in fields(cls)
    ]

    def dataclass_(data: Any) -> Any:
        if not isinstance(data, Mapping):
            raise _Malformed(f"is {data!r}; expected an object with the fields of {cls.__name__}")
        values, name = {}, ""
        try:  # one try for all fields: the happy path pays nothing per field
            for name, decode, required in specs:
                if name in data:
                    values[name] = decode(data[name])
                elif required:
                    raise _Malformed("is missing")
        except _Malformed as exc:
            raise _Malformed(exc.problem, (name, *exc.path)) from None
        return cls(**values)

    return dataclass_


def _tuple_decoder(args: tuple[Any, ...]) -> Decoder:
    variable = args[-1] is Ellipsis
    items = [_decoder(a) for a in (args[:1] if variable else args)]
    size = "a list" if variable else f"a list of {len(items)} items"

    def sequence(data: Any) -> tuple[Any, ...]:
        if not isinstance(data, list | tuple) or (not variable and len(data) != len(items)):
            raise _Malformed(f"is {data!r}; expected {size}")
        try:
            return tuple(map(items[0], data)) if variable else tuple(d(v) for d, v in zip(items, data, strict=True))
        except _Malformed:  # find which item, for the message
            for i, v in enumerate(data):
                _inside(items[0] if variable else items[i], v, f"[{i}]")
            raise

    return sequence
