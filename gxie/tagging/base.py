"""The tagger interface: normalized text in, labelled character spans out (labels from gxie.labels); and
``tagger_label``, the one way a report names the tagger that read it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from gxie.types import Span


@runtime_checkable
class Tagger(Protocol):
    """Anything that tags report text. ``name`` and ``version`` are recorded in every report."""

    name: str
    version: str

    def tag(self, text: str) -> list[Span]:
        """Spans of one normalized text, sorted by start, not overlapping."""
        ...

    def tag_many(self, texts: Sequence[str]) -> list[list[Span]]:
        """Spans of several texts (a model batches windows across them)."""
        ...


def tagger_label(tagger: Tagger) -> str:
    """How reports name ``tagger`` (their ``tagger`` field and ``versions["tagger"]``): ``"<name>:<version>"``.

    >>> from gxie.tagging.rules import RulesTagger
    >>> tagger_label(RulesTagger())
    'rules:1'
    """
    return f"{tagger.name}:{tagger.version}"
