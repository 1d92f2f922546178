"""gxie's exceptions. Messages name the thing, the bad value, what is allowed and what to do next."""

from __future__ import annotations


class GxieError(Exception):
    """Base class of every error gxie raises on purpose."""

    code = "error"


class UnsupportedFormatError(GxieError):
    """The input file's type is not one gxie reads."""

    code = "unsupported_format"


class ReadError(GxieError):
    """The input file could not be read (corrupt, truncated, binary, undecodable, too large)."""

    code = "read_error"


class LimitExceededError(ReadError):
    """The input is larger than one of the limits of ``gxie.limits`` (pages, pixels, parts, elements...)."""

    code = "limit_exceeded"

    def __init__(self, message: str, *, limit: str = "", found: int | None = None, maximum: int | None = None):
        super().__init__(message)
        self.limit = limit  # the ``gxie.limits.Limits`` field, e.g. "max_pages"
        self.found = found
        self.maximum = maximum


class NeedsOCRError(GxieError):
    """The input has no text layer; it needs OCR (the ``gxie[ocr]`` extra)."""

    code = "needs_ocr"


class TemplateError(GxieError):
    """An unknown template id or a malformed template file."""

    code = "template_error"


class ModelError(GxieError):
    """A model directory that is missing, incomplete or incompatible with this gxie."""

    code = "model_error"


class ConfigError(GxieError):
    """A training or run configuration with a bad or unknown field."""

    code = "config_error"


class MissingExtraError(GxieError):
    """An optional dependency is not installed."""

    code = "missing_extra"

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the package {package!r}, which is not installed. "
            f"Install it with: pip install 'gxie[{extra}]'"
        )
