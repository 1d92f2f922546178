"""Labelled texts -> normalized character tags -> training windows of token and label ids.

A record is ``{"id": ..., "text": RAW TEXT, "spans": [[start, end, label], ...]}`` with offsets into the
raw text (JSON Lines files, or ``datasets`` directories with those columns). Texts are normalized with
gxie.text.normalize before tagging, exactly as at inference time; a normalized character takes the label of
the raw span it comes from, and the first character of each span gets ``B-``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from gxie.errors import ConfigError
from gxie.labels import ENTITY_TYPES, TAG2ID, UNLABELLED, spans_to_tags
from gxie.tagging.vocab import CharVocab
from gxie.tagging.windows import training_starts
from gxie.training.config import DataSection
from gxie.types import NormalizedText, Span

Normalizer = Callable[[str], NormalizedText]
IGNORE = -100  # label id the loss skips (padding, unlabelled characters)


META_KEYS = ("template", "layout", "noise", "source")  # record fields kept to break scores down by


@dataclass(frozen=True)
class LabelledText:
    """One labelled raw text; ``spans`` point into ``text``; ``meta`` holds the record's META_KEYS."""

    id: str
    text: str
    spans: tuple[Span, ...]
    meta: Mapping[str, str] = field(default_factory=dict, compare=False)
    unlabelled: tuple[tuple[int, int], ...] = ()  # [start, end) ranges whose tags are unknown: no loss there


@dataclass(frozen=True)
class Example:
    """One normalized text with one IOB2 tag per character (``meta`` as in LabelledText)."""

    id: str
    text: str
    tags: tuple[str, ...]
    meta: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Batch:
    """Padded windows: token ids, attention mask and label ids (``IGNORE`` on padding)."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    labels: torch.Tensor


def default_normalizer() -> Normalizer:
    """gxie.text.normalize.normalize, the normalization the tagger sees at inference time."""
    try:
        from gxie.text.normalize import normalize
    except ImportError as exc:
        raise ConfigError(f"training needs gxie.text.normalize.normalize, which cannot be imported: {exc}") from exc
    return normalize


def record_from_dict(row: Mapping[str, Any], where: str) -> LabelledText:
    """Check one record and turn it into a LabelledText; errors name ``where`` (file and line)."""
    if not isinstance(row, Mapping) or not isinstance(row.get("text"), str):
        raise ConfigError(f"{where}: a record needs a string 'text' (and 'id', 'spans'); got {str(row)[:80]!r}")
    text: str = row["text"]
    spans = []
    for item in row.get("spans") or []:
        if isinstance(item, Mapping):
            item = [item.get("start"), item.get("end"), item.get("label")]
        if not (isinstance(item, list | tuple) and len(item) == 3):
            raise ConfigError(f"{where}: a span must be [start, end, label], got {item!r}")
        start, end, label = item
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            raise ConfigError(f"{where}: span {item!r} does not fit a text of {len(text)} characters")
        if label not in ENTITY_TYPES:
            raise ConfigError(f"{where}: span {item!r} has label {label!r}; allowed: {', '.join(ENTITY_TYPES)}")
        spans.append(Span(start, end, label, text[start:end]))
    unlabelled = []
    for item in row.get("unlabelled") or []:
        ok = isinstance(item, list | tuple) and len(item) == 2 and all(isinstance(x, int) for x in item)
        if not (ok and 0 <= item[0] < item[1] <= len(text)):
            raise ConfigError(f"{where}: an unlabelled range must be [start, end] inside the text, got {item!r}")
        unlabelled.append((item[0], item[1]))
    meta = {k: str(row[k]) for k in META_KEYS if isinstance(row.get(k), str | int)}
    spans_sorted = tuple(sorted(spans, key=lambda s: s.start))
    return LabelledText(str(row.get("id", where)), text, spans_sorted, meta, tuple(sorted(unlabelled)))


def load_records(path: str | Path) -> list[LabelledText]:
    """Read labelled records from a JSON Lines file or a ``datasets`` directory (``save_to_disk``)."""
    path = Path(path)
    if path.is_dir():
        try:
            from datasets import Dataset, load_from_disk
        except ImportError as exc:
            raise ConfigError(f"reading {path} needs the 'datasets' package: pip install 'gxie[train]'") from exc
        ds = load_from_disk(str(path))
        if not isinstance(ds, Dataset):
            raise ConfigError(
                f"{path} holds several splits ({', '.join(ds)}); pass one split directory, e.g. {path}/train"
            )
        return [record_from_dict(row, f"{path}[{i}]") for i, row in enumerate(ds)]
    if not path.is_file():
        raise ConfigError(f"labelled data {path} does not exist; pass a .jsonl file or a datasets directory")
    records = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise ConfigError(f"{path}:{n}: not a JSON record: {exc}") from exc
            records.append(record_from_dict(row, f"{path}:{n}"))
    return records


def synthetic_records(
    n: int,
    seed: int,
    *,
    templates: Sequence[str] | None = None,
    layouts: Sequence[str] | None = None,
    noise_levels: Sequence[str] | None = None,
    agency_pool: str | None = None,
) -> list[LabelledText]:
    """``n`` generated reports from gxie.training.synth (the repository's generator), as records."""
    if n == 0:
        return []
    try:
        from gxie.training import synth
    except ImportError as exc:
        raise ConfigError(
            "synthetic data needs the repository's gxie.training.synth package; run from the repository root, "
            f"or set data.n_train/n_dev/n_test to 0 and pass labelled files ({exc})"
        ) from exc
    options: dict[str, Any] = {}
    if templates is not None:
        options["templates"] = templates
    if layouts is not None:
        options["layouts"] = layouts
    if noise_levels is not None:
        options["noise_levels"] = noise_levels
    if agency_pool is not None:
        options["agency_pool"] = agency_pool
    reports = synth.generate(n, seed, **options)
    return [record_from_dict(row, f"synth(seed={seed})[{i}]") for i, row in enumerate(synth.to_records(reports))]


def to_example(record: LabelledText, normalizer: Normalizer) -> Example:
    """Normalize the record's text and give every normalized character the tag of its raw span
    (``UNLABELLED`` outside every span but inside an unlabelled range)."""
    norm = normalizer(record.text)
    unknown = [False] * (len(record.text) + 1)
    for start, end in record.unlabelled:
        unknown[start:end] = [True] * (end - start)
    owner = [-1] * (len(record.text) + 1)  # raw char -> index of the span holding it
    for k, span in enumerate(record.spans):
        for j in range(span.start, span.end):
            if owner[j] != -1:
                raise ConfigError(f"record {record.id!r}: span {span.start}-{span.end} overlaps another span")
            owner[j] = k
    tags: list[str] = []
    previous = -1
    for i in range(len(norm.text)):
        a, b = norm.starts[i], norm.ends[i]
        # a character inserted by normalization (empty range) belongs to a span only inside it
        k = owner[a] if a < b else (owner[a] if a > 0 and owner[a - 1] == owner[a] else -1)
        if k == -1:
            tags.append(UNLABELLED if a < b and unknown[a] else "O")
        else:
            tags.append(("I-" if k == previous else "B-") + record.spans[k].label)
        previous = k
    return Example(record.id, norm.text, tuple(tags), record.meta)


def identity_normalizer(text: str) -> NormalizedText:
    """A normalizer that changes nothing (for data that is normalized already, and for tests)."""
    from array import array

    return NormalizedText(text, text, array("l", range(len(text))), array("l", range(1, len(text) + 1)))


def example_from_spans(id: str, text: str, spans: Iterable[Span]) -> Example:
    """An Example from spans over an already normalized text."""
    return Example(id, text, tuple(spans_to_tags(len(text), spans)))


class WindowSampler:
    """Cuts examples into training windows, a fresh random grid shift per document and epoch, and
    batches them; with the same seed the batches are the same."""

    def __init__(self, examples: Sequence[Example], vocab: CharVocab, window: int, *, unk_prob: float, seed: int):
        self.window = window
        self.unk_prob = unk_prob
        self.seed = seed
        self.pad_id, self.unk_id = vocab.pad_id, vocab.unk_id
        self.docs = [torch.tensor(vocab.encode(e.text), dtype=torch.long) for e in examples]
        ids = [[IGNORE if t == UNLABELLED else TAG2ID[t] for t in e.tags] for e in examples]
        self.labels = [torch.tensor(row, dtype=torch.long) for row in ids]
        # whitespace is structure (cell and line separators): never hide it behind [UNK]
        self.maskable = [torch.tensor([not c.isspace() for c in e.text], dtype=torch.bool) for e in examples]

    def windows_per_epoch(self) -> int:
        """Windows in one epoch with an unshifted grid (the scheduler's estimate)."""
        return sum(len(training_starts(len(d), self.window, 0)) for d in self.docs)

    def epoch(self, epoch: int, batch_size: int) -> Iterator[Batch]:
        """The batches of one epoch (shuffled, deterministic in ``seed`` and ``epoch``)."""
        rng = random.Random(self.seed * 1_000_003 + epoch)
        jobs = [
            (d, s)
            for d, doc in enumerate(self.docs)
            for s in training_starts(len(doc), self.window, rng.randrange(self.window))
        ]
        rng.shuffle(jobs)
        gen = torch.Generator().manual_seed(self.seed * 7919 + epoch)
        for b in range(0, len(jobs), batch_size):
            yield self._collate(jobs[b : b + batch_size], gen)

    def _collate(self, jobs: Sequence[tuple[int, int]], gen: torch.Generator) -> Batch:
        width = max(min(self.window, len(self.docs[d]) - s) for d, s in jobs)
        input_ids = torch.full((len(jobs), width), self.pad_id, dtype=torch.long)
        labels = torch.full((len(jobs), width), IGNORE, dtype=torch.long)
        mask = torch.zeros((len(jobs), width), dtype=torch.long)
        for row, (d, s) in enumerate(jobs):
            ids = self.docs[d][s : s + self.window].clone()
            if self.unk_prob:
                hide = (torch.rand(len(ids), generator=gen) < self.unk_prob) & self.maskable[d][s : s + self.window]
                ids[hide] = self.unk_id
            input_ids[row, : len(ids)] = ids
            labels[row, : len(ids)] = self.labels[d][s : s + self.window]
            mask[row, : len(ids)] = 1
        return Batch(input_ids, mask, labels)


@dataclass(frozen=True)
class Splits:
    """Train, dev and test examples, and a summary of where they came from (for the model card)."""

    train: list[Example]
    dev: list[Example]
    test: list[Example]
    summary: dict[str, Any]


def prepare_splits(data: DataSection, normalizer: Normalizer) -> Splits:
    """Generate the synthetic splits (seeds ``data.seed``, ``+1_000_000``, ``+2_000_000``, so splits never
    share a report; dev and test draw agencies from ``data.eval_agency_pool``), add the extra labelled
    files, normalize and tag everything."""
    options: dict[str, Any] = {
        "templates": data.templates,
        "layouts": data.layouts,
        "noise_levels": data.noise_levels,
    }
    summary: dict[str, Any] = {"synthetic": {"seed": data.seed, **options}, "splits": {}}
    splits: dict[str, list[Example]] = {}
    summary["synthetic"]["eval_agency_pool"] = data.eval_agency_pool
    sources = {
        "train": (data.n_train, 0, data.extra, None),
        "dev": (data.n_dev, 1_000_000, data.extra_dev, data.eval_agency_pool),
        "test": (data.n_test, 2_000_000, data.extra_test, data.eval_agency_pool),
    }
    for name, (n, offset, paths, pool) in sources.items():
        records = synthetic_records(n, data.seed + offset, agency_pool=pool, **options)
        files: dict[str, int] = {}
        for path in paths:
            loaded = load_records(path)
            files[str(path)] = len(loaded)
            records.extend(loaded)
        examples = [to_example(r, normalizer) for r in records]
        splits[name] = examples
        summary["splits"][name] = _describe(examples, synthetic=n, files=files)
    train_texts = {e.text for e in splits["train"]}
    summary["overlap_with_train"] = {
        name: sum(e.text in train_texts for e in splits[name]) for name in ("dev", "test")
    }  # identical texts in train and dev/test (should be 0)
    return Splits(splits["train"], splits["dev"], splits["test"], summary)


def _describe(examples: Sequence[Example], *, synthetic: int, files: dict[str, int]) -> dict[str, Any]:
    entities: dict[str, int] = {}
    for e in examples:
        for tag in e.tags:
            if tag.startswith("B-"):
                entities[tag[2:]] = entities.get(tag[2:], 0) + 1
    breakdown: dict[str, dict[str, int]] = {}
    for e in examples:
        for key, value in e.meta.items():
            breakdown.setdefault(key, {})
            breakdown[key][value] = breakdown[key].get(value, 0) + 1
    return {
        "texts": len(examples),
        "characters": sum(len(e.text) for e in examples),
        "synthetic": synthetic,
        "files": files,
        "entities": dict(sorted(entities.items())),
        "by": {k: dict(sorted(v.items())) for k, v in sorted(breakdown.items())},
    }
