"""End-to-end speed on typical text reports: the speed table of docs/speed.md, and per-tagger workers.

A worker generates typical synthetic reports (4,500-7,500 characters, clean, every layout family),
loads the tagger (timed), extracts one warm-up report, then every report one by one with
``extract_text`` (the timings of ``Report.timings`` summed: read, normalize, tag, grid) and once more
batched (``gxie.pipeline.run``, 8 documents per ``tag_many`` call). Peak memory is the worker's maximum
resident set size. With the ``gxie[ocr]`` extra and LibreOffice, an OCR worker times the pages of one
printed, rasterized report. ``--table`` writes the end-to-end speed table of docs/speed.md (one run:
``training.speed_table``).

    python -m training.bench.speed --tagger model --n 40 --threads 2     # prints one JSON line
    python -m training.bench.speed --table --n 1000 --out docs/speed.md --also docs/benchmarks.md  # the speed table
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TYPICAL = (4_500, 7_500)
SPEED_SEED = 31_337
BATCH = 8


def typical_texts(n: int) -> list[str]:
    """``n`` clean synthetic report texts of typical length (see ``TYPICAL``)."""
    from gxie.training.synth import generate

    out: list[str] = []
    first = 0
    while len(out) < n:
        for r in generate(4 * n, SPEED_SEED, noise_levels=("clean",), agency_pool="heldout", first=first):
            if TYPICAL[0] <= len(r.text) <= TYPICAL[1]:
                out.append(r.text)
                if len(out) == n:
                    break
        first += 4 * n
    return out


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from the parent)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def ocr_worker(threads: int) -> dict[str, Any]:
    """OCR speed: one synthetic report printed (LibreOffice) and rasterized at 300 dpi, every page read
    by ``gxie.ocr.ocr_page``; the first call (engine load + first page) is timed apart."""
    import os
    import tempfile

    os.environ.setdefault("GXIE_OCR_THREADS", str(threads))
    from gxie.ocr import ocr_page
    from gxie.ocr.images import PageImage
    from training.ocr_corpus import rasterize, render_pdfs, synth_sources

    source = synth_sources(1, SPEED_SEED, "heldout")[0]
    with tempfile.TemporaryDirectory(prefix="gxie-ocr-speed-") as tmp:
        pages = rasterize(render_pdfs([source.text], Path(tmp))[0], 300)
    base_mb = _peak_mb()
    t0 = time.perf_counter()
    ocr_page(PageImage(1, pages[0], 300.0))
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i, pixels in enumerate(pages):
        ocr_page(PageImage(i + 1, pixels, 300.0))
    return {
        "tagger": "ocr",
        "threads": threads,
        "pages": len(pages),
        "chars": len(source.text),
        "first_seconds": first,
        "seconds": time.perf_counter() - t0,
        "peak_mb": _peak_mb(),
        "before_load_mb": base_mb,
    }


def worker(tagger_name: str, n: int, threads: int, device: str) -> dict[str, Any]:
    """Measure one tagger in this process (call it in a fresh one): ``model`` (ONNX), ``torch`` (the
    model on the torch backend) or ``rules``."""
    from gxie.pipeline import extract_text, run
    from gxie.tagging.loader import load_model_tagger
    from gxie.tagging.rules import RulesTagger
    from gxie.types import Document

    texts = typical_texts(n)
    base_mb = _peak_mb()
    t0 = time.perf_counter()
    tagger = (
        RulesTagger()
        if tagger_name == "rules"
        else load_model_tagger(backend="torch" if tagger_name == "torch" else "onnx", device=device, threads=threads)
    )
    load = time.perf_counter() - t0
    extract_text(texts[0], tagger=tagger)  # warm-up
    split = {"read": 0.0, "normalize": 0.0, "tag": 0.0, "grid": 0.0}
    t0 = time.perf_counter()
    for text in texts:
        report = extract_text(text, tagger=tagger)
        for k in split:
            split[k] += report.timings.get(k, 0.0)
    single = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in run([Document(t, str(j), "text") for j, t in enumerate(texts)], tagger=tagger, batch_size=BATCH):
        pass
    batched = time.perf_counter() - t0
    return {
        "tagger": tagger_name,
        "device": device,
        "threads": threads,
        "reports": len(texts),
        "chars": sum(len(t) for t in texts),
        "load_seconds": load,
        "single_seconds": single,
        "batched_seconds": batched,
        "split": split,
        "peak_mb": _peak_mb(),
        "before_load_mb": base_mb,
    }


def measure(tagger_name: str, n: int, threads: int, device: str = "cpu") -> dict[str, Any]:
    """Run :func:`worker` (``tagger_name="ocr"``: :func:`ocr_worker`) in a fresh Python process."""
    root = Path(__file__).resolve().parents[2]
    cmd = [sys.executable, "-m", "training.bench.speed", "--tagger", tagger_name, "--n", str(n)]
    cmd += ["--threads", str(threads), "--device", device]
    done = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=False, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"speed worker {' '.join(cmd)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def measure_all(n: int, threads: int, note: Callable[[str], None] = lambda text: None) -> list[dict[str, Any]]:
    """Rules and model on CPU, the model on CUDA when a GPU is present, and OCR when it can run; ``note``
    hears of each measurement as it starts.

    >>> [r["tagger"] for r in measure_all(40, 2)]  # doctest: +SKIP
    ['rules', 'model']
    """
    import torch

    from gxie.ocr.engine import ocr_available

    runs = [("rules", n, "cpu"), ("model", n, "cpu"), ("torch", n, "cpu")]
    if torch.cuda.is_available():
        runs.append(("model", n, "cuda"))
    if ocr_available() and (shutil.which("soffice") or shutil.which("libreoffice")):
        runs.append(("ocr", 1, "cpu"))
    out = []
    for k, (tagger_name, count, device) in enumerate(runs, 1):
        what = "one printed report's pages" if tagger_name == "ocr" else f"{count} reports"
        note(f"speed {k}/{len(runs)}: {tagger_name} on {device}, {what}, in a fresh process")
        out.append(measure(tagger_name, count, threads, device))
    return out


def rates(result: dict[str, Any]) -> tuple[float, float]:
    """Reports per second of one :func:`worker` result: one by one and batched."""
    return result["reports"] / result["single_seconds"], result["reports"] / result["batched_seconds"]


def speed_lines(results: list[dict[str, Any]]) -> list[str]:
    """The markdown speed section for :func:`measure_all`'s results."""
    if not results:
        return []
    lines = [
        "## Speed on typical text reports (end to end, one process per tagger)",
        "",
        f"{results[0]['reports']} clean synthetic reports of {TYPICAL[0]:,}-{TYPICAL[1]:,} characters "
        f"(mean {results[0]['chars'] / results[0]['reports']:,.0f}); `extract_text` one report at a time, then "
        f"batched ({BATCH} per `tag_many` call). Time split: the sums of `Report.timings` of the one-by-one run.",
        "",
        "| tagger | device | threads | load s | reports/s | characters/s | reports/s batched | peak memory MB "
        "(before load) | read | normalize | tag | grid |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if r["tagger"] == "ocr":
            continue
        total = sum(r["split"].values()) or 1.0
        share = " | ".join(f"{100 * r['split'][k] / total:.0f}%" for k in ("read", "normalize", "tag", "grid"))
        single, batched = rates(r)
        lines.append(
            f"| {r['tagger']} | {r['device']} | {r['threads']} | {r['load_seconds']:.2f} | "
            f"{single:.1f} | {r['chars'] / r['single_seconds']:,.0f} | "
            f"{batched:.1f} | {r['peak_mb']:.0f} ({r['before_load_mb']:.0f}) | {share} |"
        )
    for r in results:
        if r["tagger"] == "ocr":
            lines += [
                "",
                f"OCR of a scanned report (`gxie.ocr`, {r['threads']} onnxruntime threads): one synthetic report "
                f"printed and rasterized at 300 dpi, {r['pages']} pages, {r['seconds'] / r['pages']:.2f} s per page "
                f"({r['first_seconds']:.2f} s for the first call, engine load included); peak memory "
                f"{r['peak_mb']:.0f} MB ({r['before_load_mb']:.0f} MB before the engine loaded). Reading a scan is "
                "dominated by OCR: tagging and the grid add the text-report times above.",
            ]
    return [*lines, ""]


def main(argv: list[str] | None = None) -> int:
    """Measure one tagger (or OCR) in this process and print the result as one JSON line."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tagger", default="model", choices=("model", "torch", "rules", "ocr"))
    p.add_argument("--n", type=int, default=40)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu")
    p.add_argument("--table", action="store_true", help="the speed table of docs/speed.md (module docstring)")
    p.add_argument("--out", type=Path, default=None, help="--table: also write the markdown to this file")
    p.add_argument("--repeats", type=int, default=5, help="--table: one-file extract runs (median)")
    p.add_argument(
        "--also", type=Path, action="append", default=[], help="--table: put the same table into this page too"
    )
    args = p.parse_args(argv)
    if args.table:
        from training.speed_table import speed_table, write_block, write_measured

        text = speed_table(args.n, args.repeats, _command(argv))
        print(text)
        if args.out is not None:
            write_measured(args.out, text)
        for page in args.also:
            write_block(page, text)
        return 0
    result = (
        ocr_worker(args.threads) if args.tagger == "ocr" else worker(args.tagger, args.n, args.threads, args.device)
    )
    print(json.dumps(result))
    return 0


def _command(argv: list[str] | None) -> str:
    return " ".join(["python -m training.bench.speed", *(argv if argv is not None else sys.argv[1:])])


if __name__ == "__main__":
    raise SystemExit(main())
