"""``gxie extract``: report files in, JSON / JSON Lines / CSV out, or a whole folder run with resume.

Output by ``-o``:
- none: print to stdout (``--format json`` by default: one object for one file, a list for several);
- a path ending in .json, .jsonl or .csv: that one file (.csv is the long cell table, one row per cell);
- anything else (a folder): ``results.jsonl`` plus tables, through ``gxie.batch.run_batch`` (resumable).

Either way the files are extracted in chunks of ``--batch-size`` (one batched tagging call per chunk), in
``--workers`` processes when more than one.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from gxie.export import TABLE_FORMATS  # imports no pandas: --help stays fast
from gxie.templates import TEMPLATE_IDS

if TYPE_CHECKING:
    from gxie.batch.pool import LocalEngine
    from gxie.report import Report
    from gxie.tagging.base import Tagger

FILE_FORMATS: tuple[str, ...] = ("json", "jsonl", "csv")
TAGGERS: tuple[str, ...] = ("model", "rules")
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda")
BACKENDS: tuple[str, ...] = ("onnx", "torch")  # gxie.tagging.loader.BACKENDS, without importing it for --help
ENGINES: tuple[str, ...] = ("local", "ray")  # gxie.batch.ENGINES, without importing it for --help


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _tables(text: str) -> tuple[str, ...]:
    if text == "none":
        return ()
    names = tuple(t.strip() for t in text.split(",") if t.strip())
    unknown = [n for n in names if n not in TABLE_FORMATS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown table format(s) {', '.join(map(repr, unknown)) or repr(text)}; give a comma-separated "
            f"list of {', '.join(TABLE_FORMATS)}, or none"
        )
    return names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``gxie extract``."""
    parser.add_argument("inputs", nargs="+", metavar="FILE|DIR|GLOB", help="report files, folders, globs")
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="a .json, .jsonl or .csv file, or a folder for results.jsonl + tables (default: stdout)",
    )
    parser.add_argument("--format", choices=FILE_FORMATS, help="stdout or -o FILE format (default json)")
    parser.add_argument("--tagger", choices=TAGGERS, default="model", help="default: the bundled model")
    parser.add_argument(
        "--model",
        metavar="DIR",
        help="a model directory (from gxie train or gxie annotate retrain) instead of the bundled model",
    )
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default="onnx",
        help="how the model runs: onnx (onnxruntime, default) or torch (needs gxie[train])",
    )
    parser.add_argument(
        "--exact",
        action="store_true",
        help="run the model in fp32 over the whole text: the torch model's tags exactly, about half as fast "
        "(default: int8 and prose skipped, same table values on the benchmarks; docs/speed.md)",
    )
    parser.add_argument("--template", choices=TEMPLATE_IDS, help="force a format instead of detecting it")
    parser.add_argument("--device", choices=DEVICES, default="auto", help="where the model runs (default auto)")
    parser.add_argument(
        "--batch-size", type=_positive, default=16, help="documents tagged together in one model call (default 16)"
    )
    parser.add_argument(
        "--workers",
        type=_positive,
        default=None,
        help="processes (or Ray actors) that each load the tagger once and extract files in parallel "
        "(default: one per CPU core, at most one per chunk of --batch-size files)",
    )
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="local",
        help="folder output: run on this machine, or on a Ray cluster (needs gxie[scale]; default local)",
    )
    parser.add_argument(
        "--tables",
        type=_tables,
        default=("csv",),
        help="folder output: comma-separated table formats among csv,parquet,xlsx, or none (default csv)",
    )
    parser.add_argument("--no-resume", dest="resume", action="store_false", help="redo files already done")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")


def _usage_error(message: str) -> int:
    print(f"gxie extract: error: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """Run ``gxie extract``; 0 when every file is ok or partial, 1 when one failed, 2 for usage errors."""
    from gxie.batch.discover import discover
    from gxie.errors import GxieError

    out = Path(args.output) if args.output is not None else None
    fmt: str = args.format or "json"
    if out is not None and out.suffix.lower() in {f".{f}" for f in FILE_FORMATS} and not out.is_dir():
        fmt = out.suffix.lower()[1:]
        if args.format is not None and args.format != fmt:
            return _usage_error(f"--format {args.format} does not match the output file {str(out)!r}")
    elif out is not None and (out.is_dir() or not out.suffix):
        if args.format is not None:
            return _usage_error(
                "--format chooses the output for stdout or one file; a folder output gets results.jsonl "
                "plus the tables chosen with --tables"
            )
        return _run_folder(args, out)
    elif out is not None:
        return _usage_error(
            f"cannot tell what to write to {str(out)!r}: a file output ends in .json, .jsonl or .csv, "
            "a folder output has no suffix (or exists already as a folder)"
        )
    try:
        files = discover(args.inputs)
    except FileNotFoundError as exc:
        return _usage_error(str(exc))
    if args.engine != "local":
        return _usage_error("--engine ray runs a folder output only; give -o FOLDER")
    try:
        from gxie.batch.jobs import Steps
        from gxie.batch.pool import LocalEngine

        # the tagger loads here: a missing model stops the run before any file
        workers = _workers(args, len(files))
        engine = LocalEngine(Steps.current(), _tagger(args), args.device, workers, args.template)
    except (GxieError, ValueError) as exc:
        print(f"gxie extract: error: {exc}", file=sys.stderr)
        return 1
    reports = _extract_all(files, engine, args.batch_size)
    single = len(args.inputs) == 1 and Path(args.inputs[0]).is_file()
    if out is None:
        _write(reports, fmt, sys.stdout, single=single)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w", encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="") as handle:
            _write(reports, fmt, handle, single=single)
    if not args.quiet:
        _print_summary(reports, out)
    return 1 if any(r.status == "failed" for r in reports) else 0


def _tagger(args: argparse.Namespace) -> str | Tagger:
    """The tagger the options ask for: a name, or the model directory of --model on --backend."""
    if args.model is None and args.backend == "onnx" and not args.exact:
        return str(args.tagger)  # each worker loads the bundled model itself
    if args.tagger != "model":
        raise ValueError(
            "--model, --backend and --exact choose how the model tagger runs; they do not go with "
            f"--tagger {args.tagger}"
        )
    from gxie.pipeline import get_tagger

    exact = False if args.exact else None
    return get_tagger("model", args.device, model=args.model, backend=args.backend, quantize=exact, cascade=exact)


def _workers(args: argparse.Namespace, n_files: int) -> int:
    """--workers, or one per core but no more than the chunks of files there are."""
    if args.workers is not None:
        return int(args.workers)
    import os

    chunks = max(1, -(-n_files // args.batch_size))
    return max(1, min(os.cpu_count() or 1, chunks))


def _extract_all(files: list[Path], engine: LocalEngine, batch_size: int) -> list[Report]:
    """One report per file, in input order, through ``gxie.batch.jobs.extract_chunk`` (never raising per file)."""
    items: list[tuple[str, str | None]] = [(str(path), None) for path in files]
    chunks = (items[i : i + batch_size] for i in range(0, len(items), batch_size))
    with engine:
        found = {result.path: result.report for finished in engine.run(chunks) for result in finished}
    return [found[path] for path, _ in items]


def _write(reports: list[Report], fmt: str, handle: TextIO, *, single: bool) -> None:
    if fmt == "json":
        data = reports[0].to_dict() if single else [r.to_dict() for r in reports]
        handle.write(json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n")
    elif fmt == "jsonl":
        for r in reports:
            handle.write(json.dumps(r.to_dict(), ensure_ascii=False, allow_nan=False) + "\n")
    else:
        from gxie.export import long_table

        long_table(reports).to_csv(handle, index=False, lineterminator="\n")


def _print_summary(reports: list[Report], out: Path | None) -> None:
    counts = {s: sum(r.status == s for r in reports) for s in ("ok", "partial", "failed")}
    where = f"; written to {out}" if out is not None else ""
    status = ", ".join(f"{n} {s}" for s, n in counts.items())
    print(f"{len(reports)} reports: {status}{where}", file=sys.stderr)
    for r in reports:
        if r.status == "failed":
            reason = "; ".join(m.text for m in r.issues if m.level == "error") or "no reason recorded"
            print(f"  failed: {r.source}: {reason}", file=sys.stderr)


def _run_folder(args: argparse.Namespace, out: Path) -> int:
    from gxie.batch.discover import discover
    from gxie.batch.run import run_batch
    from gxie.errors import GxieError

    try:
        summary = run_batch(
            args.inputs,
            out,
            tagger=_tagger(args),
            template=args.template,
            device=args.device,
            batch_size=args.batch_size,
            workers=_workers(args, len(discover(args.inputs))),
            formats=("jsonl", *args.tables),
            resume=args.resume,
            progress=not args.quiet,
            engine=args.engine,
        )
    except FileNotFoundError as exc:
        return _usage_error(str(exc))
    except (GxieError, ValueError) as exc:
        print(f"gxie extract: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            f"gxie extract: interrupted; the files finished so far are in {out / 'results.jsonl'}; "
            "run the same command again to go on where it stopped",
            file=sys.stderr,
        )
        return 130
    if not args.quiet:
        print(summary.format(), file=sys.stderr)
    return 1 if summary.any_failed else 0
