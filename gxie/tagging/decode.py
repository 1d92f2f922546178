"""From texts to model inputs and from model outputs back to tags: the torch-free half of a model tagger.

Both backends (gxie.tagging.model on torch, gxie.tagging.onnx on onnxruntime) share it, so they batch,
merge and decode in exactly the same way:

- :func:`plan_batches` cuts each text's token ids into overlapping windows (gxie.tagging.windows), sorts
  the windows of all texts longest first (little padding) and packs them into ``[batch, width]`` arrays;
- :class:`Merger` takes each batch's per-character argmax and its probability and keeps, for each
  character, the prediction of the window where it is farthest from an edge;
- :func:`top_of_logits` is the argmax and its softmax probability in numpy;
- :func:`repair_iob2` makes the argmax tags valid IOB2 without changing the spans they decode to;
- :func:`spans_of_ids` decodes the merged tag ids straight into spans (what ``tags_to_spans`` gives on the
  repaired tags, without a string per character);
- :class:`SpanTagger` gives both backends ``predict``, ``tag`` and ``tag_many`` from their ``merged``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from gxie.labels import ENTITY_TYPES, TAGS
from gxie.tagging.cascade import Within
from gxie.tagging.windows import Window, plan_windows
from gxie.types import Span

Prediction = tuple[list[str], list[float]]  # one tag and the probability of that tag per character


class SpanTagger(ABC):
    """``predict``, ``tag`` and ``tag_many`` of a model tagger, from its ``merged`` (the merged per-character
    predictions of its windows). ``reads_within``: ``tag_many(texts, within)`` reads only the given ranges of
    each text (``gxie.rules_first``: the tables the rules did not settle)."""

    reads_within = True

    @abstractmethod
    def merged(self, texts: Sequence[str], within: Within = None) -> Merger:
        """The windows' predictions of ``texts`` merged into one tag id and probability per character (tag
        ``O`` with probability 1 outside ``within``)."""

    def predict(self, texts: Sequence[str], within: Within = None) -> list[Prediction]:
        """Per text, one tag per character (argmax, made valid IOB2 by :func:`repair_iob2`) and the
        probability the model gave that tag."""
        return self.merged(texts, within).result()

    def tag(self, text: str) -> list[Span]:
        """Spans of one normalized text, sorted by start."""
        return self.tag_many([text])[0]

    def tag_many(self, texts: Sequence[str], within: Within = None) -> list[list[Span]]:
        """Spans of several normalized texts; their windows are batched together. ``within`` (one entry
        per text, None for the whole text): the only ranges of that text the model reads."""
        return self.merged(texts, within).spans(texts)


@dataclass(frozen=True)
class Batch:
    """Windows of one forward pass: ``jobs[row] = (text index, window)``; int64 ``input_ids`` and
    ``attention_mask`` of shape ``[len(jobs), width]`` (right-padded with the pad id and 0)."""

    jobs: list[tuple[int, Window]]
    input_ids: np.ndarray
    attention_mask: np.ndarray


def plan_batches(
    ids: Sequence[Sequence[int] | np.ndarray],
    window: int,
    stride: int,
    batch_size: int,
    pad_id: int,
    *,
    spans: Sequence[Sequence[tuple[int, int]] | None] | None = None,
) -> Iterator[Batch]:
    """The forward passes for the token ids of several texts (see the module docstring).

    ``spans`` (optional, one entry per text): the ``[start, end)`` character ranges of that text that
    need the model; windows are planned over each range alone (``None``: the whole text).
    """
    jobs: list[tuple[int, Window]] = []
    for i, seq in enumerate(ids):
        ranges = [(0, len(seq))] if spans is None or spans[i] is None else spans[i]
        for lo, hi in ranges or ():
            for w in plan_windows(hi - lo, window, stride):
                jobs.append((i, Window(w.start + lo, w.end + lo, w.keep_start + lo, w.keep_end + lo)))
    jobs.sort(key=lambda job: job[1].start - job[1].end)  # longest first: little padding per batch
    arrays = [np.asarray(seq, dtype=np.int64) for seq in ids]
    for b in range(0, len(jobs), batch_size):
        batch = jobs[b : b + batch_size]
        width = max(w.end - w.start for _, w in batch)
        input_ids = np.full((len(batch), width), pad_id, dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, (i, w) in enumerate(batch):
            input_ids[row, : w.end - w.start] = arrays[i][w.start : w.end]
            mask[row, : w.end - w.start] = 1
        yield Batch(batch, input_ids, mask)


def top_of_logits(logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per position, the argmax label id and its softmax probability (float32), from ``[..., labels]``."""
    logits = np.asarray(logits, dtype=np.float32)
    top = logits.argmax(axis=-1)
    peak = np.take_along_axis(logits, top[..., None], axis=-1)
    prob = 1.0 / np.exp(logits - peak).sum(axis=-1, dtype=np.float32)
    return top, prob.astype(np.float32)


class Merger:
    """Collects the predictions of the windows of several texts into one tag and probability per character.

    >>> merger = Merger([3])
    >>> merger.add(Batch([(0, Window(0, 3, 0, 3))], np.zeros((1, 3)), np.ones((1, 3))), np.array([[0, 9, 10]]),
    ...            np.array([[0.9, 0.8, 0.7]]))
    >>> merger.result()[0][0]
    ['O', 'B-NUM', 'I-NUM']
    """

    def __init__(self, lengths: Sequence[int]) -> None:
        self.best = [np.zeros(n, dtype=np.int64) for n in lengths]
        self.prob = [np.ones(n, dtype=np.float32) for n in lengths]

    def add(self, batch: Batch, top: np.ndarray, prob: np.ndarray) -> None:
        """Keep each window's predictions for the characters it keeps (``Window.keep_start/keep_end``)."""
        for row, (i, w) in enumerate(batch.jobs):
            lo, hi = w.keep_start - w.start, w.keep_end - w.start
            self.best[i][w.keep_start : w.keep_end] = top[row, lo:hi]
            self.prob[i][w.keep_start : w.keep_end] = prob[row, lo:hi]

    def spans(self, texts: Sequence[str]) -> list[list[Span]]:
        """Per text, its spans (:func:`spans_of_ids` of its merged tag ids): what ``tags_to_spans`` gives on
        :meth:`result`."""
        return [spans_of_ids(t, b, p) for t, b, p in zip(texts, self.best, self.prob, strict=True)]

    def result(self) -> list[Prediction]:
        """Per text: the tags (valid IOB2, see :func:`repair_iob2`) and their probabilities.

        Characters no window covered (outside the ``spans`` given to :func:`plan_batches`) are ``O``
        with probability 1.
        """
        return [
            (repair_iob2([TAGS[k] for k in b.tolist()]), p.tolist()) for b, p in zip(self.best, self.prob, strict=True)
        ]


def spans_of_ids(text: str, ids: np.ndarray, prob: np.ndarray) -> list[Span]:
    """The spans of ``text`` tagged with tag ids ``ids`` (indices into ``TAGS``) of probabilities ``prob``:
    exactly ``tags_to_spans(text, [TAGS[k] for k in ids], prob)``, with Python work only per span. A span
    starts at a ``B-`` and at an ``I-`` that does not continue its left neighbour's entity, and ends before
    the next start or ``O``; its score is the lowest probability in it; spans of blank text are dropped.

    >>> [(s.start, s.end, s.label) for s in spans_of_ids("规章 12", np.array([5, 6, 0, 9, 10]), np.ones(5))]
    [(0, 2, 'ROW'), (3, 5, 'NUM')]
    """
    if len(ids) != len(text):
        raise ValueError(f"{len(ids)} tags for a text of {len(text)} characters")
    if not len(text):
        return []
    ids = np.asarray(ids)
    entity = (ids + 1) // 2  # 0 for O, k + 1 for ENTITY_TYPES[k] (TAGS: O, then B-X, I-X per entity)
    before = np.concatenate(([0], entity[:-1]))
    starts = (entity > 0) & ((ids % 2 == 1) | (entity != before))
    edges = np.flatnonzero(starts | (entity == 0))
    first = np.flatnonzero(starts)
    nxt = np.searchsorted(edges, first, side="right")
    ends = np.append(edges, len(ids))[nxt]
    out: list[Span] = []
    for a, b, e in zip(first.tolist(), ends.tolist(), entity[first].tolist(), strict=True):
        piece = text[a:b]
        if piece.strip():
            out.append(Span(a, b, ENTITY_TYPES[e - 1], piece, float(prob[a:b].min())))
    return out


def repair_iob2(tags: list[str]) -> list[str]:
    """Turn an ``I-X`` that does not continue an ``X`` entity into ``B-X`` (in place; returns ``tags``).

    This is how gxie.labels.tags_to_spans decodes such a tag anyway, so the spans do not change; the
    repaired tags are valid IOB2, and strict scores measure the spans the tagger really returns.
    """
    previous = "O"
    for i, tag in enumerate(tags):
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            tags[i] = "B-" + tag[2:]
        previous = tag
    return tags
