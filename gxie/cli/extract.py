"""``gxie extract``: report files in, JSON / JSON Lines / CSV out, or a whole folder run with resume.

Output by ``-o``:
- none: print to stdout in ``--format`` (default ``json``: a JSON list with one report per input file,
  also for a single file, so a script reads the same shape whatever it was given);
- a path ending in .json (a JSON list), .jsonl (one report per line) or .csv (the long cell table, one
  row per cell): that one file;
- anything else (a folder): ``results.jsonl`` plus tables, through ``gxie.batch.run_batch`` (resumable).

``-`` as an input reads one report's text from stdin (decoded like a .txt file; source ``<stdin>``).
Either way the files are extracted in chunks of ``--batch-size`` (one batched tagging call per chunk), in
``--workers`` processes when more than one.

Exit status: 0 done; 1 a report failed (as ``--fail-on`` says) or the run could not start; 2 a usage
error, or inputs that hold no file (an empty folder).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from gxie.export import TABLE_FORMATS  # imports no pandas: --help stays fast
from gxie.templates import TEMPLATE_IDS
from gxie.types import STATUSES

if TYPE_CHECKING:
    from gxie.batch.pool import LocalEngine
    from gxie.report import Report
    from gxie.tagging.base import Tagger

logger = logging.getLogger(__name__)

FILE_FORMATS: tuple[str, ...] = ("json", "jsonl", "csv")
TAGGERS: tuple[str, ...] = ("model", "rules")
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda")
BACKENDS: tuple[str, ...] = ("onnx", "torch")  # gxie.tagging.loader.BACKENDS, without importing it for --help
ENGINES: tuple[str, ...] = ("local", "ray")  # gxie.batch.ENGINES, without importing it for --help
DEFAULT_TIMEOUT = 300.0  # gxie.batch.DEFAULT_TIMEOUT, likewise
FAIL_ON: tuple[str, ...] = ("any", "new", "never")
STDIN = "-"  # the input that means "read the report's text from stdin"
STDIN_SOURCE = "<stdin>"  # the source such a report names
_SHOWN_INPUTS = 5  # inputs named in the "nothing found" warning


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):  # also refuses nan
        raise argparse.ArgumentTypeError(f"expected a number of seconds, 0 or more (0: no limit), got {text!r}")
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
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="FILE|DIR|GLOB",
        help=f"report files, folders, globs; {STDIN} reads one report's text from stdin",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="a .json, .jsonl or .csv file, or a folder for results.jsonl + tables (default: stdout)",
    )
    parser.add_argument(
        "--format",
        choices=FILE_FORMATS,
        help="stdout or -o FILE format (default json: a JSON list of reports, even for one input; "
        "jsonl: one report per line; csv: one row per cell)",
    )
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
        help="run the model in fp32 over the whole text of every report: the torch model's tags exactly, about "
        "half as fast (default: int8, prose skipped, and reports the rules tagger reads completely and "
        "consistently not sent to the model; same table values on the benchmarks; docs/speed.md)",
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
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"folder output: seconds one file may take before it is stopped with a failed row "
        f"(default {DEFAULT_TIMEOUT:g}; 0: no limit, and with --workers 1 no worker process)",
    )
    parser.add_argument("--no-resume", dest="resume", action="store_false", help="redo files already done")
    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="new",
        help="exit 1 when a report failed: any (any report of the output, earlier runs' rows of a resumed "
        "folder included), new (a file that failed in this run; default), never",
    )
    parser.add_argument(
        "--excel-csv",
        action="store_true",
        help="write CSV as UTF-8 with a byte-order mark, so that Excel shows the Chinese right (default: plain UTF-8)",
    )


def _usage_error(message: str) -> int:
    print(f"gxie extract: error: {message}", file=sys.stderr)
    return 2


def _failed_exit(fail_on: str, *, failed_any: bool, failed_now: bool) -> int:
    """The exit status for ``--fail-on``: 1 when the chosen kind of failure happened, else 0."""
    if fail_on == "never":
        return 0
    return 1 if (failed_any if fail_on == "any" else failed_now) else 0


def _nothing_found(inputs: list[str]) -> int:
    shown = ", ".join(map(repr, inputs[:_SHOWN_INPUTS]))
    more = f" and {len(inputs) - _SHOWN_INPUTS} more" if len(inputs) > _SHOWN_INPUTS else ""
    print(
        f"gxie extract: warning: no report files found in {shown}{more} (folders are searched recursively; "
        "hidden files, Office lock files and gxie's own output files are skipped); nothing was extracted. "
        "Check the paths, or give the files themselves",
        file=sys.stderr,
    )
    return 2


def run(args: argparse.Namespace) -> int:
    """Run ``gxie extract``; 0 done, 1 a report failed (``--fail-on``) or no start, 2 usage or no input."""
    out = Path(args.output) if args.output is not None else None
    reads_stdin = args.inputs.count(STDIN)
    if reads_stdin > 1:
        return _usage_error(f"{STDIN!r} (stdin) is given {reads_stdin} times; stdin holds one report, give it once")
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
        if reads_stdin:
            return _usage_error(
                f"{STDIN!r} (stdin) cannot go to a folder output, which resumes files by their content; "
                "print to stdout or give -o FILE.json, .jsonl or .csv"
            )
        if args.excel_csv and "csv" not in args.tables:
            return _usage_error(f"--excel-csv changes CSV tables, but --tables is {','.join(args.tables) or 'none'}")
        return _run_folder(args, out)
    elif out is not None:
        return _usage_error(
            f"cannot tell what to write to {str(out)!r}: a file output ends in .json, .jsonl or .csv, "
            "a folder output has no suffix (or exists already as a folder)"
        )
    if args.engine != "local":
        return _usage_error("--engine ray runs a folder output only; give -o FOLDER")
    if args.excel_csv and fmt != "csv":
        return _usage_error(f"--excel-csv changes CSV output, but the output here is {fmt}; leave it out")
    return _run_files(args, out, fmt)


def _run_files(args: argparse.Namespace, out: Path | None, fmt: str) -> int:
    """Extract the inputs (and stdin) into one list of reports, written to stdout or ``out``."""
    from gxie.batch.discover import discover
    from gxie.errors import GxieError

    named = [i for i in args.inputs if i != STDIN]
    try:
        files = discover(named) if named else []
        # the stdin report goes where "-" stands among the inputs
        before = len(discover(args.inputs[: args.inputs.index(STDIN)])) if STDIN in args.inputs else None
    except FileNotFoundError as exc:
        return _usage_error(str(exc))
    if not files and before is None:
        return _nothing_found(named)
    try:
        reports = _extract_all(files, _engine(args, len(files)), args.batch_size) if files else []
        if before is not None:
            reports.insert(before, _stdin_report(args))
    except (GxieError, ValueError) as exc:  # the tagger loads first: a missing model stops the run
        print(f"gxie extract: error: {exc}", file=sys.stderr)
        return 1
    if out is None:
        _write(reports, fmt, sys.stdout, excel_csv=args.excel_csv)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w", encoding="utf-8", newline="") as handle:
            _write(reports, fmt, handle, excel_csv=args.excel_csv)
    if not args.quiet:
        _print_summary(reports, out)
    failed = any(r.status == "failed" for r in reports)
    return _failed_exit(args.fail_on, failed_any=failed, failed_now=failed)  # every report is new here


def _engine(args: argparse.Namespace, n_files: int) -> LocalEngine:
    """The engine for the named files; the tagger loads here (a missing model stops the run before any file)."""
    from gxie.batch.pool import LocalEngine

    return LocalEngine(_tagger(args), args.device, _workers(args, n_files), args.template)


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


def _stdin_report(args: argparse.Namespace) -> Report:
    """The report of the text on stdin, decoded like a .txt file (UTF-8, GB18030, Big5, UTF-16); never raises
    for a bad text, only when the tagger cannot load."""
    import gxie.pipeline as pipeline
    from gxie.batch.jobs import INTERNAL_ERROR, failed_report
    from gxie.errors import GxieError, ReadError
    from gxie.readers import DEFAULT_MAX_BYTES
    from gxie.readers.text import read_text
    from gxie.tagging.base import tagger_label

    tagger = pipeline.get_tagger(args.tagger, args.device)
    label = tagger_label(tagger)
    data = sys.stdin.buffer.read(DEFAULT_MAX_BYTES + 1)
    try:
        if len(data) > DEFAULT_MAX_BYTES:
            raise ReadError(
                f"{STDIN_SOURCE} holds more than {DEFAULT_MAX_BYTES:,} bytes, the limit for one report; "
                "save it to a file and check that it is one report"
            )
        document = read_text(data, STDIN_SOURCE)
    except GxieError as exc:
        return failed_report(STDIN_SOURCE, exc.code, str(exc), label)
    try:
        return pipeline.extract(document, tagger=tagger, template=args.template)
    except Exception as exc:  # like a file's: a gxie bug fails this report, not the run
        logger.warning("extracting %s failed", STDIN_SOURCE, exc_info=True)
        text = f"internal error while extracting {STDIN_SOURCE}: {type(exc).__name__}: {exc}"
        return failed_report(STDIN_SOURCE, INTERNAL_ERROR, text, label)


def _write(reports: list[Report], fmt: str, handle: TextIO, *, excel_csv: bool) -> None:
    if fmt == "json":
        data = [r.to_dict() for r in reports]
        handle.write(json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n")
    elif fmt == "jsonl":
        for r in reports:
            handle.write(json.dumps(r.to_dict(), ensure_ascii=False, allow_nan=False) + "\n")
    else:
        from gxie.export import long_table, write_csv

        write_csv(long_table(reports), handle, excel=excel_csv)


def _print_summary(reports: list[Report], out: Path | None) -> None:
    counts = {s: sum(r.status == s for r in reports) for s in STATUSES}
    where = f"; written to {out}" if out is not None else ""
    status = ", ".join(f"{n} {s}" for s, n in counts.items())
    print(f"{len(reports)} reports: {status}{where}", file=sys.stderr)
    for r in reports:
        if r.status == "failed":
            reason = "; ".join(m.message for m in r.issues if m.level == "error") or "no reason recorded"
            print(f"  failed: {r.source}: {reason}", file=sys.stderr)


def _run_folder(args: argparse.Namespace, out: Path) -> int:
    from gxie.batch.discover import discover
    from gxie.batch.run import run_batch
    from gxie.errors import GxieError

    try:
        if not discover(args.inputs):  # before run_batch makes the folder and an empty summary
            return _nothing_found(args.inputs)
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
            timeout=args.timeout,
            excel_csv=args.excel_csv,
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
    return _failed_exit(args.fail_on, failed_any=summary.any_failed, failed_now=summary.any_failed_now)
