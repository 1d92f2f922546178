"""The benchmark's sets of reports to score: synthetic text per layout family and per noise level, the
seed reports' text, and the OCR corpus per damage level."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gxie.types import Span

REPO = Path(__file__).resolve().parents[2]
HELDOUT_SEED = 90_001
TYPED = "synthetic, tables typed as text"  # OCR set of reports whose tables were printed as text lines


@dataclass(frozen=True)
class Case:
    """One report to score: text, gold grid, (synthetic only) gold spans on the text, and the tags it is
    split by (``format 2021``, ``layout tab_rows``, ``noise light``)."""

    id: str
    text: str
    flat: dict[str, Any]
    spans: tuple[Span, ...] | None = None
    tags: tuple[str, ...] = ()
    ocr: bool = False  # the text is what gxie's OCR read from the report's pages: its report says so, as it would


def _synth_case(r: Any) -> Case:
    tags = (f"format {r.template}", f"layout {r.layout}", f"noise {r.noise}")
    return Case(r.id, r.text, dict(r.flat), r.spans, tags)


def synth_sets(n_per_layout: int, seed: int) -> dict[str, list[Case]]:
    """Clean synthetic reports per layout family, agencies held out from training.

    >>> list(synth_sets(1, HELDOUT_SEED))[0]  # doctest: +SKIP
    'text: synthetic tab_rows'
    """
    from gxie.training.synth import LAYOUT_FAMILIES, generate

    sets = {}
    for layout in LAYOUT_FAMILIES:
        reports = generate(n_per_layout, seed, layouts=(layout,), noise_levels=("clean",), agency_pool="heldout")
        sets[f"text: synthetic {layout}"] = [_synth_case(r) for r in reports]
    return sets


def noise_sets(n_per_level: int, seed: int) -> dict[str, list[Case]]:
    """Noisy synthetic reports per non-clean noise level of gxie.training.synth (OCR-like ``light`` and
    ``heavy``, ``traditional`` Chinese), every layout family mixed, agencies held out from training.

    >>> list(noise_sets(1, HELDOUT_SEED))  # doctest: +SKIP
    ['text: synthetic noise light', 'text: synthetic noise heavy', 'text: synthetic noise traditional']
    """
    from gxie.training.synth import NOISE_LEVELS, generate

    return {
        f"text: synthetic noise {level}": [
            _synth_case(r) for r in generate(n_per_level, seed, noise_levels=(level,), agency_pool="heldout")
        ]
        for level in NOISE_LEVELS
        if level != "clean"
    }


def seed_set(seeds_dir: Path, gold_dir: Path = REPO / "tests" / "gold") -> dict[str, list[Case]]:
    """The real seed reports as text (empty when the seeds folder is absent).

    >>> len(seed_set(Path("../shared/seeds"))["text: seed reports"])  # doctest: +SKIP
    5
    """
    from training.ocr_corpus import seed_sources

    cases = [Case(s.id, s.text, s.flat, None, (f"format {s.template}",)) for s in seed_sources(seeds_dir, gold_dir)]
    return {"text: seed reports": cases} if cases else {}


def ocr_sets(corpus: Path) -> tuple[dict[str, list[Case]], dict[str, dict[str, float]]]:
    """The OCR corpus per level (synthetic and seed reports apart) and OCR seconds per page by level.

    >>> sets, timing = ocr_sets(Path("data/ocr"))  # doctest: +SKIP
    >>> timing["mild"]["pages"]  # doctest: +SKIP
    98.0
    """
    from training.ocr_align import carried_labels
    from training.ocr_corpus import DAMAGE, TEXT_LAYOUTS, read_corpus

    sets: dict[str, list[Case]] = {}
    timing: dict[str, dict[str, float]] = {}
    for level in DAMAGE:
        path = corpus / f"{level}.jsonl"
        if not path.is_file():
            continue
        pages = seconds = 0.0
        for rec in read_corpus(path):
            pages += rec["pages"]
            seconds += rec["ocr_seconds"]
            spans = carried_labels(rec)
            kinds = (("format", "template"), ("layout", "layout"), ("noise", "noise"))
            tags = tuple(f"{kind} {rec[key]}" for kind, key in kinds if rec.get(key))
            typed = rec.get("layout") in TEXT_LAYOUTS
            name = f"OCR {level}: {'seed reports' if rec['set'] != 'synth' else TYPED if typed else 'synthetic'}"
            sets.setdefault(name, []).append(Case(rec["id"], rec["text"], rec["flat"], spans, tags, ocr=True))
        timing[level] = {"pages": pages, "seconds_per_page": seconds / max(1.0, pages)}
    return sets, timing
