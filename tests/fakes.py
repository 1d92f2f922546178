"""Stand-ins for the pipeline's prepared documents, shared by the batch and CLI tests (which swap
``gxie.pipeline.prepare`` for a fake that needs no reading or normalizing)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FakeNormalized:
    """The one field of ``NormalizedText`` the batch code reads."""

    text: str


@dataclass(frozen=True)
class FakePrepared:
    """The fields of ``Prepared`` the batch code reads."""

    source: str
    normalized: FakeNormalized
