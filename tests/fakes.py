"""Stand-ins shared by the pipeline, batch and CLI tests: taggers that fail on cue, and generated report texts.

The tests run the real pipeline (``gxie.pipeline.run``) on generated reports. ``FakeTagger`` tags like
the rules tagger and counts its calls; a text holding one of these cue words makes it fail the way a
buggy or crashing tagger would:

- ``TAGBOOM``: the whole ``tag_many`` call raises (like a model out of memory);
- ``BADSPANS``: its spans come back as tuples, not ``Span`` objects, so rebuilding the tables fails;
- ``NANSCORE``: every span scores NaN, so the report holds a NaN confidence that strict JSON cannot write;
- ``WORKERDIES``: a worker process exits at once (like a segfault in native code); never the test process.

Both taggers are module-level classes whose state pickles, so they travel to worker processes with a run.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from gxie.pipeline import extract_text
from gxie.tagging.rules import RulesTagger
from gxie.training.synth import generate
from gxie.types import Span

PARTIAL_RULE = "R1_column_identity"  # the relation the "partial" texts break in print
PARTIAL_FAILS = 2  # the checks of that relation each "partial" text fails (its two scopes)


class FakeTagger:
    """The rules tagger with failures on cue (see the module docstring); ``calls`` lists each call's size."""

    name = "fake"
    version = "1"

    def __init__(self) -> None:
        self.calls: list[int] = []
        self._rules = RulesTagger()

    def tag(self, text: str) -> list[Span]:
        return self.tag_many([text])[0]

    def tag_many(self, texts: Sequence[str]) -> list[list[Span]]:
        self.calls.append(len(texts))
        if any("WORKERDIES" in t for t in texts) and multiprocessing.parent_process() is not None:
            os._exit(3)  # the worker process is gone, as after a segfault
        if any("TAGBOOM" in t for t in texts):
            raise RuntimeError("the model ran out of memory")
        out: list[list[Any]] = []
        for text in texts:
            spans: list[Any] = self._rules.tag(text)
            if "NANSCORE" in text:
                spans = [replace(s, score=math.nan) for s in spans]
            if "BADSPANS" in text:
                spans = [(s.start, s.end, s.label) for s in spans]
            out.append(spans)
        return out


class LazyModelTagger:
    """A model tagger that loads its weights on first use, from ``model_dir``: handed to worker processes
    unloaded, it fails to load there when the folder holds no model."""

    def __init__(self, model_dir: Path) -> None:
        self.model_dir = model_dir
        self._model: Any = None

    def _loaded(self) -> Any:
        if self._model is None:
            from gxie.tagging.model import ModelTagger

            self._model = ModelTagger.from_pretrained(self.model_dir, device="cpu")
        return self._model

    @property
    def name(self) -> str:
        return str(self._loaded().name)

    @property
    def version(self) -> str:
        return str(self._loaded().version)

    def tag(self, text: str) -> list[Span]:
        return list(self._loaded().tag(text))

    def tag_many(self, texts: Sequence[str]) -> list[list[Span]]:
        return list(self._loaded().tag_many(texts))


@cache
def report_texts(status: str, n: int) -> tuple[str, ...]:
    """``n`` generated report texts (2021 and 2019 formats, tab-separated tables) that the rules tagger
    reads as ``status``: "ok" (every cell found, every relation holds) or "partial" (relation
    ``PARTIAL_RULE`` broken in print, ``PARTIAL_FAILS`` checks failing, everything else in place)."""
    if status not in ("ok", "partial"):
        raise ValueError(f"unknown status {status!r}; report_texts makes 'ok' or 'partial' texts")
    broken = 0.0 if status == "ok" else 1.0
    found: list[str] = []
    for report in generate(20 * n + 20, seed=11, layouts=("tab_rows",), noise_levels=("clean",), broken_share=broken):
        if status == "partial" and report.broken != (PARTIAL_RULE,):
            continue
        read = extract_text(report.text, tagger="rules")
        fails = [c.rule for c in read.failed_checks]
        if read.status == status and fails == [PARTIAL_RULE] * (PARTIAL_FAILS if status == "partial" else 0):
            found.append(report.text)
            if len(found) == n:
                return tuple(found)
    raise RuntimeError(f"only {len(found)} of {n} generated reports read as {status!r}; change the seed")
