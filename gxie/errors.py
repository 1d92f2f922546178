"""gxie's exceptions. Messages name the thing, the bad value, what is allowed and what to do next."""

from __future__ import annotations

from gxie.types import IssueCode


class GxieError(Exception):
    """Base class of every error gxie raises on purpose."""

    code: IssueCode = IssueCode.ERROR  # the code of the report issue this error becomes


class UnsupportedFormatError(GxieError):
    """The input file's type is not one gxie reads."""

    code = IssueCode.UNSUPPORTED_FORMAT


class ReadError(GxieError):
    """The input file could not be read (corrupt, truncated, binary, undecodable, too large)."""

    code = IssueCode.READ_ERROR


class LimitExceededError(ReadError):
    """The input is larger than one of the limits of ``gxie.limits`` (pages, pixels, parts, elements...)."""

    code = IssueCode.LIMIT_EXCEEDED

    def __init__(self, message: str, *, limit: str = "", found: int | None = None, maximum: int | None = None):
        super().__init__(message)
        self.limit = limit  # the ``gxie.limits.Limits`` field, e.g. "max_pages"
        self.found = found
        self.maximum = maximum


class NeedsOCRError(GxieError):
    """The input has no text layer; it needs OCR (the ``gxie[ocr]`` extra)."""

    code = IssueCode.NEEDS_OCR


class TemplateError(GxieError):
    """An unknown template id or a malformed template file."""

    code = IssueCode.TEMPLATE_ERROR


class ModelError(GxieError):
    """A model directory that is missing, incomplete or incompatible with this gxie."""

    code = IssueCode.MODEL_ERROR


class ConfigError(GxieError):
    """A training or run configuration with a bad or unknown field."""

    code = IssueCode.CONFIG_ERROR


class MissingExtraError(GxieError):
    """An optional dependency is not installed."""

    code = IssueCode.MISSING_EXTRA

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the package {package!r}, which is not installed. "
            f"Install it with: pip install 'gxie[{extra}]'"
        )
