"""OCR-damaged reports: render report texts to page images, damage them like scans, OCR them, keep the gold.

Each source report (synthetic reports of both formats, and the real seed reports with their gold grids in
tests/gold/) is written as a Word file with real bordered tables and turned into a PDF by LibreOffice
(tests/makefiles.py, CJK font WenQuanYi Micro Hei), rasterized with pypdfium2, damaged at each level of
``DAMAGE`` and read back with gxie's OCR (``gxie.ocr``). Everything is drawn from fixed seeds: the same
command gives the same images and, the OCR engine being deterministic on CPU, the same texts.

One JSON Lines file per level, ``<out>/<level>.jsonl``; each record holds ``id``, ``set`` (``synth`` or
``seed``), ``level``, ``template``, ``layout``, ``noise``, ``text`` (the OCR text), ``flat`` (the gold grid),
``pages``, ``ocr_seconds`` and, for synthetic reports, ``source_text`` and ``source_spans`` (the rendered
text and its labels, for training.ocr_align).

    python -m training.ocr_corpus --out data/ocr --n 24 --seed 90001 --levels mild --seed-levels mild
    python -m training.ocr_corpus --out data/ocr --n 9 --seed 90002 --levels mild --no-seeds --append \\
        --layouts cell_lines_dropped word_indent pdf_text                               # + tables typed as text
    python -m training.ocr_corpus --out data/ocr --n 6 --seed 90001 \\
        --levels clean lowres blur noise rotate jpeg severe --seed-levels severe        # benchmark set, the rest
    python -m training.ocr_corpus --out data/ocr_train --n 200 --seed 7 --pool train --no-seeds \\
        --levels mild severe                                                            # training source
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
SEEDS_DIR = REPO.parent / "shared" / "seeds"
GOLD_DIR = REPO / "tests" / "gold"
SYNTH_LAYOUTS = ("tab_rows", "html_rows", "markdown")  # the layouts that print as ruled tables
TEXT_LAYOUTS = ("cell_lines_dropped", "word_indent", "pdf_text")  # tables typed as text (seed 003 is one)
SYNTH_NOISE = ("clean", "traditional")  # the OCR brings its own damage; Traditional script is kept


@dataclass(frozen=True)
class Damage:
    """How a page is scanned: resolution, skew (degrees, random sign), Gaussian blur (sigma in pixels at
    ``dpi``), Gaussian noise (grey levels), salt-and-pepper share and JPEG quality (0: lossless)."""

    dpi: int = 300
    rotate: float = 0.0
    blur: float = 0.0
    noise: float = 0.0
    salt: float = 0.0
    jpeg: int = 0


DAMAGE: dict[str, Damage] = {
    "clean": Damage(),
    "mild": Damage(dpi=200, rotate=0.5, blur=0.5, noise=6.0, jpeg=75),
    "lowres": Damage(dpi=100),
    "blur": Damage(blur=2.0),
    "noise": Damage(noise=25.0, salt=0.004),
    "rotate": Damage(rotate=2.0),
    "jpeg": Damage(dpi=150, jpeg=20),
    "severe": Damage(dpi=150, rotate=1.0, blur=1.0, noise=15.0, salt=0.002, jpeg=35),
}


@dataclass(frozen=True)
class Source:
    """One report to render: its text and gold grid, and for synthetic ones the labels of the text."""

    id: str
    set: str
    text: str
    flat: dict[str, Any]
    template: str
    layout: str = ""
    noise: str = ""
    spans: tuple[tuple[int, int, str], ...] = ()


def synth_sources(n: int, seed: int, pool: str, layouts: Sequence[str] = SYNTH_LAYOUTS) -> list[Source]:
    """``n`` synthetic reports of both formats in ``layouts`` (default: the ruled-table layouts,
    ``SYNTH_LAYOUTS``; the others of ``gxie.training.synth.LAYOUT_FAMILIES`` print their tables as text)."""
    from gxie.training.synth import generate

    reports = generate(n, seed, layouts=tuple(layouts), noise_levels=SYNTH_NOISE, agency_pool=pool)
    return [
        Source(
            r.id,
            "synth",
            r.text,
            dict(r.flat),
            r.template,
            r.layout,
            r.noise,
            tuple((s.start, s.end, s.label) for s in r.spans),
        )
        for r in reports
    ]


def seed_sources(seeds_dir: Path = SEEDS_DIR, gold_dir: Path = GOLD_DIR) -> list[Source]:
    """The real seed reports that have a gold grid (read at run time, never copied into the project)."""
    out = []
    for gold_path in sorted(gold_dir.glob("*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        text_path = seeds_dir / gold["file"]
        if text_path.is_file():
            text = text_path.read_text(encoding="utf-8")
            out.append(Source(gold_path.stem, "seed", text, gold["flat"], gold["template"], "seed", "real"))
    return out


def render_pdfs(texts: Sequence[str], workdir: Path) -> list[Path]:
    """Write each text as a PDF with ruled tables (one LibreOffice call for all)."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from tests.makefiles import write_pdfs

    return write_pdfs([(text, workdir / f"r{i:04d}.pdf") for i, text in enumerate(texts)])


def rasterize(pdf: Path, dpi: int) -> list[np.ndarray]:
    """Every page of ``pdf`` as a grey image at ``dpi``."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        pages = []
        for page in doc:
            bitmap = page.render(scale=dpi / 72.0, grayscale=True)
            pixels = np.array(bitmap.to_numpy(), dtype=np.uint8)
            pages.append(pixels[:, :, 0] if pixels.ndim == 3 else pixels)
            bitmap.close()
            page.close()
        return pages
    finally:
        doc.close()


def damage(page: np.ndarray, spec: Damage, rng: np.random.Generator) -> np.ndarray:
    """Apply ``spec`` (except the resolution, set when rendering) to one grey page."""
    import cv2

    out = page
    if spec.rotate:
        h, w = out.shape
        angle = spec.rotate * (1 if rng.random() < 0.5 else -1)
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        out = cv2.warpAffine(out, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
    if spec.blur:
        out = cv2.GaussianBlur(out, (0, 0), spec.blur)
    if spec.noise or spec.salt:
        noisy = out.astype(np.float32) + rng.normal(0.0, spec.noise, out.shape).astype(np.float32)
        if spec.salt:
            mask = rng.random(out.shape)
            noisy[mask < spec.salt / 2] = 0
            noisy[mask > 1 - spec.salt / 2] = 255
        out = np.clip(noisy, 0, 255).astype(np.uint8)
    if spec.jpeg:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, spec.jpeg])
        if not ok:
            raise RuntimeError(f"JPEG encoding at quality {spec.jpeg} failed")
        decoded = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
        if decoded is None:
            raise RuntimeError(f"JPEG decoding at quality {spec.jpeg} failed")
        out = decoded
    return np.ascontiguousarray(out)


def scan(pdf: Path, level: str, key: str) -> list[np.ndarray]:
    """The pages of ``pdf`` scanned at damage ``level``; ``key`` (the report id) seeds the damage."""
    if level not in DAMAGE:
        raise ValueError(f"unknown damage level {level!r}; allowed: {', '.join(DAMAGE)}")
    spec = DAMAGE[level]
    rng = np.random.default_rng(zlib.crc32(f"{key}:{level}".encode()))
    return [damage(p, spec, rng) for p in rasterize(pdf, spec.dpi)]


def ocr_record(source: Source, pages: list[np.ndarray], level: str) -> dict[str, Any]:
    """OCR the damaged pages of one report into a corpus record."""
    from gxie.ocr import ocr_images
    from gxie.ocr.images import PageImage

    t0 = time.perf_counter()
    doc = ocr_images(
        [PageImage(i + 1, p, float(DAMAGE[level].dpi)) for i, p in enumerate(pages)], source.id, kind="image"
    )
    record: dict[str, Any] = {
        "id": f"{source.id}@{level}",
        "set": source.set,
        "level": level,
        "template": source.template,
        "layout": source.layout,
        "noise": source.noise,
        "pages": len(pages),
        "ocr_seconds": round(time.perf_counter() - t0, 3),
        "text": doc.text,
        "flat": source.flat,
    }
    if source.spans:
        record["source_text"] = source.text
        record["source_spans"] = [list(s) for s in source.spans]
    return record


def build(
    sources: Sequence[Source],
    levels: Sequence[str],
    out: Path,
    *,
    seed_levels: Sequence[str] | None = None,
    append: bool = False,
    log: bool = True,
) -> dict[str, Path]:
    """Render, damage and OCR every source at every level (seed reports only at ``seed_levels`` when
    given); write ``<out>/<level>.jsonl``, or add to it with ``append`` (a record id already there is
    refused before any work is done)."""
    bad = [lv for lv in [*levels, *(seed_levels or ())] if lv not in DAMAGE]
    if bad:
        raise ValueError(f"unknown damage level(s) {bad}; allowed: {', '.join(DAMAGE)}")
    out.mkdir(parents=True, exist_ok=True)
    paths = {lv: out / f"{lv}.jsonl" for lv in levels}
    if append:
        for level, path in paths.items():
            there = {rec["id"] for rec in read_corpus(path)} if path.is_file() else set()
            clash = sorted(there & {f"{s.id}@{level}" for s in sources})
            if clash:
                raise ValueError(
                    f"{path} already holds {len(clash)} of these reports ({', '.join(clash[:3])}); "
                    "append reports drawn with another --seed, or rebuild the file without --append"
                )
    with tempfile.TemporaryDirectory(prefix="gxie-ocr-corpus-") as tmp:
        pdfs = render_pdfs([s.text for s in sources], Path(tmp))
        for level in levels:
            t0, count = time.perf_counter(), 0
            with paths[level].open("a" if append else "w", encoding="utf-8") as fh:
                for source, pdf in zip(sources, pdfs, strict=True):
                    if source.set == "seed" and seed_levels is not None and level not in seed_levels:
                        continue
                    record = ocr_record(source, scan(pdf, level, source.id), level)
                    fh.write(json.dumps(record, ensure_ascii=False) + "\n")
                    count += 1
            if log:
                print(f"{level}: {count} reports in {time.perf_counter() - t0:.0f} s", flush=True)
    return paths


def write_sample(corpus: Path, out: Path, ids: Sequence[str]) -> list[Path]:
    """Copy the records ``ids`` (synthetic only: real reports' text stays out of the project) from the
    corpus into ``out`` as ``<id>.txt`` (OCR text) + ``<id>.json`` (gold and provenance)."""
    out.mkdir(parents=True, exist_ok=True)
    wanted, written = set(ids), []
    for path in sorted(corpus.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            if rec["id"] not in wanted:
                continue
            if rec["set"] != "synth":
                raise ValueError(f"{rec['id']} is a real report: its text must not be copied into the project")
            stem = rec["id"].replace("@", "__")
            (out / f"{stem}.txt").write_text(rec["text"], encoding="utf-8")
            meta = {k: v for k, v in rec.items() if k not in ("text", "source_text", "source_spans")}
            (out / f"{stem}.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            written.append(out / f"{stem}.txt")
    missing = wanted - {p.stem.replace("__", "@") for p in written}
    if missing:
        raise ValueError(f"records {sorted(missing)} are not in {corpus}; pick ids from its JSONL files")
    return written


def read_corpus(path: Path) -> Iterator[dict[str, Any]]:
    """The records of one ``<level>.jsonl`` file."""
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def main(argv: list[str] | None = None) -> int:
    from gxie.training.synth import LAYOUT_FAMILIES

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True, help="folder for <level>.jsonl")
    p.add_argument("--n", type=int, default=16, help="synthetic reports (both formats)")
    p.add_argument("--seed", type=int, default=90_001)
    p.add_argument("--pool", default="heldout", help="agency pool: heldout (benchmark) or train")
    p.add_argument("--levels", nargs="+", default=list(DAMAGE), choices=list(DAMAGE))
    p.add_argument(
        "--layouts",
        nargs="+",
        default=list(SYNTH_LAYOUTS),
        choices=list(LAYOUT_FAMILIES),
        help="layout families of the synthetic reports (default: the ruled-table ones)",
    )
    p.add_argument("--append", action="store_true", help="add to the level files in --out instead of rewriting")
    p.add_argument("--no-seeds", action="store_true", help="leave the real seed reports out")
    p.add_argument("--seed-levels", nargs="+", default=None, choices=list(DAMAGE), help="levels for seeds")
    p.add_argument("--seeds-dir", type=Path, default=SEEDS_DIR)
    p.add_argument("--sample", nargs="*", default=None, help="record ids to copy into --sample-dir")
    p.add_argument("--sample-dir", type=Path, default=REPO / "tests" / "ocr_sample")
    p.add_argument("--reuse", action="store_true", help="keep the existing corpus in --out (only write the sample)")
    args = p.parse_args(argv)
    if args.reuse:
        if args.sample:
            write_sample(args.out, args.sample_dir, args.sample)
        return 0
    sources = synth_sources(args.n, args.seed, args.pool, args.layouts)
    if not args.no_seeds:
        seeds = seed_sources(args.seeds_dir)
        if not seeds:
            print(f"no seed reports found in {args.seeds_dir}; building synthetic reports only", file=sys.stderr)
        sources += seeds
    build(sources, args.levels, args.out, seed_levels=args.seed_levels, append=args.append)
    if args.sample:
        write_sample(args.out, args.sample_dir, args.sample)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
