"""Test-only taggers for batch runs in worker processes: the rules tagger, misbehaving on marker texts.

They are passed as ``tagger=`` objects, so they reach worker processes by pickling (by reference to this
module) and work with the real pipeline whatever runs it.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Sequence
from pathlib import Path

from gxie.tagging.rules import RulesTagger
from gxie.types import Span

HANG = "GXIE-HANG"  # the tagger sleeps for an hour
DIE = "GXIE-DIE"  # the worker process exits at once (like a segfault); never the test process
BOOM = "GXIE-BOOM"  # the tagger raises (an internal error)


class MarkerTagger:
    """The rules tagger, except on texts holding a marker; ``gate``: wait while that file exists;
    ``hung``: a file to write when it starts to hang."""

    name = "marker"
    version = "1"

    def __init__(self, gate: str | None = None, hung: str | None = None) -> None:
        self.gate, self.hung = gate, hung
        self._rules = RulesTagger()

    def tag(self, text: str) -> list[Span]:
        return self.tag_many([text])[0]

    def tag_many(self, texts: Sequence[str]) -> list[list[Span]]:
        while self.gate is not None and Path(self.gate).exists():
            time.sleep(0.02)
        if any(DIE in t for t in texts) and multiprocessing.parent_process() is not None:
            os._exit(3)
        if any(HANG in t for t in texts):
            if self.hung is not None:
                Path(self.hung).write_text(str(os.getpid()), encoding="utf-8")
            time.sleep(3600)
        if any(BOOM in t for t in texts):
            raise RuntimeError("the tagger broke")
        return self._rules.tag_many(texts)


class GcTagger:
    """The rules tagger, writing the process's collector settings (thresholds, frozen objects) to ``log``
    each time it tags: what a batch worker runs with."""

    name = "gc"
    version = "1"

    def __init__(self, log: str) -> None:
        self.log = log
        self._rules = RulesTagger()

    def tag(self, text: str) -> list[Span]:
        return self.tag_many([text])[0]

    def tag_many(self, texts: Sequence[str]) -> list[list[Span]]:
        import gc
        import json

        Path(self.log).write_text(json.dumps([list(gc.get_threshold()), gc.get_freeze_count()]), encoding="utf-8")
        return self._rules.tag_many(texts)
