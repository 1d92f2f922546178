"""``gxie annotate``: the Label Studio loop, one subcommand per step (see annotations/README.md).

gxie annotate select reports/ --top 20 --tasks tasks.json   # worst reports first, pre-annotated
gxie annotate push tasks.json --project "gxie reports"       # GXIE_LS_URL, GXIE_LS_API_KEY
gxie annotate pull --project "gxie reports" -o annotations/export.json
gxie annotate retrain --data annotations/export.json --init-from models/default
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from gxie.errors import GxieError

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``gxie annotate`` subcommands to ``parser``."""
    sub = parser.add_subparsers(dest="annotate_command", metavar="STEP", required=True)

    p = sub.add_parser("config", help="print or write the Label Studio labeling config")
    p.add_argument("-o", "--output", type=Path, help="write it here (e.g. annotations/labeling_config.xml)")

    for name, help_text in (
        ("tasks", "tag reports and write Label Studio tasks with the model's spans as predictions"),
        ("select", "rank reports by how much a label would help, worst first"),
    ):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("reports", nargs="+", help="report files, folders or glob patterns")
        p.add_argument("--tagger", default="model", help="'model' (bundled), 'rules', or a model directory")
        p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
        p.add_argument(
            "--exclude",
            action="append",
            default=[],
            metavar="EXPORT",
            help="leave out reports already in this Label Studio export or tasks file (repeatable)",
        )
        if name == "tasks":
            p.add_argument("-o", "--output", type=Path, required=True, help="tasks JSON file to write")
        else:
            p.add_argument("--top", type=int, help="keep only the N most useful reports")
            p.add_argument("-o", "--output", type=Path, help="write the ranking as JSON here")
            p.add_argument("--tasks", type=Path, help="also write tasks for the kept reports, in rank order")

    for name, help_text in (
        ("push", "create or reuse a Label Studio project and import tasks with predictions"),
        ("pull", "export a Label Studio project's annotations as JSON"),
    ):
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == "push":
            p.add_argument("tasks", type=Path, help="tasks file written by 'gxie annotate tasks' or 'select'")
        p.add_argument("--project", required=True, help="project title (push creates it when absent) or id")
        p.add_argument("--url", help="server URL (default: $GXIE_LS_URL or $LABEL_STUDIO_URL)")
        p.add_argument(
            "--api-key",
            help="API token (default: $GXIE_LS_API_KEY or $LABEL_STUDIO_API_KEY; "
            "prefer the variable: options show up in process lists)",
        )
        if name == "pull":
            p.add_argument("-o", "--output", type=Path, required=True, help="export JSON file to write")
            p.add_argument("--records", type=Path, help="also write the training records (JSONL) here")

    p = sub.add_parser("import", help="turn a Label Studio JSON export into training records (JSONL)")
    p.add_argument("export", type=Path, help="Label Studio JSON export")
    p.add_argument("-o", "--output", type=Path, required=True, help="records JSONL to write")

    p = sub.add_parser("retrain", help="fine-tune on labelled reports; promote only if not worse")
    p.add_argument(
        "--data",
        action="append",
        required=True,
        metavar="PATH",
        help="Label Studio export or records JSONL (repeatable)",
    )
    p.add_argument("--init-from", required=True, metavar="DIR", help="the current model directory")
    p.add_argument("--config", type=Path, help="training config (default: annotations/finetune.yaml)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config field")
    p.add_argument("--work-dir", type=Path, default=Path("runs/retrain"), help="candidate model, data, report")
    target = p.add_mutually_exclusive_group()
    target.add_argument("--promote-to", metavar="DIR", help="model directory to replace (default: --init-from)")
    target.add_argument("--no-promote", action="store_true", help="evaluate only, replace nothing")
    p.add_argument("--split", type=Path, help="frozen split file (default: split.json beside the first --data)")
    p.add_argument("--test-share", type=float, default=0.3, help="share of new reports kept for judging")
    p.add_argument("--repeat", type=int, default=3, help="times each labelled report is repeated in training")
    p.add_argument("--min-gain", type=float, default=0.0, help="frozen-test F1 gain needed to promote")
    p.add_argument(
        "--synthetic-check",
        type=int,
        default=40,
        metavar="N",
        help="also compare on N fresh synthetic reports (0: skip)",
    )
    p.add_argument("--allow-problems", action="store_true", help="leave out tasks whose regions disagree")


def run(args: argparse.Namespace) -> int:
    """Run one ``gxie annotate`` step; 0 ok, 1 problems (reported), 2 bad input or configuration."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    step = {"config": _config, "tasks": _tasks, "select": _select, "push": _push, "pull": _pull,
            "import": _import, "retrain": _retrain}[args.annotate_command]  # fmt: skip
    try:
        return step(args)
    except (GxieError, FileNotFoundError, ValueError) as exc:
        print(f"gxie annotate {args.annotate_command}: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _config(args: argparse.Namespace) -> int:
    from gxie.annotate.config import labeling_config, write_labeling_config

    if args.output:
        print(f"labeling config written to {write_labeling_config(args.output)}")
    else:
        sys.stdout.write(labeling_config())
    return EXIT_OK


def _build(args: argparse.Namespace, files: list[Path]) -> Any:
    from gxie.annotate.tasks import build_tasks

    excluded = _excluded_hashes(args.exclude)
    if excluded:
        from gxie.batch.discover import file_sha256

        kept = [f for f in files if file_sha256(f) not in excluded]
        print(f"{len(files) - len(kept)} report(s) already labelled or exported were left out", file=sys.stderr)
        files = kept
    return build_tasks(files, tagger=_tagger(args.tagger, args.device), device=args.device)


def _tasks(args: argparse.Namespace) -> int:
    from gxie.batch.discover import discover

    built = _build(args, discover(args.reports))
    _write_json(built.tasks, args.output)
    for source, why in built.skipped:
        print(f"skipped {source}: {why}", file=sys.stderr)
    print(f"{len(built.tasks)} task(s) written to {args.output}")
    return EXIT_PROBLEMS if built.skipped else EXIT_OK


def _select(args: argparse.Namespace) -> int:
    from gxie.batch.discover import discover

    built = _build(args, discover(args.reports))
    by_path = {t["data"]["path"]: t for t in built.tasks}
    ranking = sorted(built.priorities, key=lambda p: (not p.annotatable, -p.score, p.source))
    kept = ranking[: args.top] if args.top else ranking
    for n, p in enumerate(kept, 1):
        print(f"{n:>4}. {p.score:7.2f}  {p.source}")
        for reason in p.reasons:
            print(f"            {reason}")
    if args.output:
        _write_json([p.to_dict() for p in kept], args.output)
    if args.tasks:
        tasks = [by_path[p.source] for p in kept if p.source in by_path]
        _write_json(tasks, args.tasks)
        print(f"{len(tasks)} task(s) in rank order written to {args.tasks}")
    return EXIT_OK


def _push(args: argparse.Namespace) -> int:
    from gxie.annotate.client import connect, push

    tasks = json.loads(args.tasks.read_text(encoding="utf-8"))
    if not isinstance(tasks, list):
        raise ValueError(f"{args.tasks} must hold a JSON list of tasks, as written by 'gxie annotate tasks'")
    pushed = push(connect(args.url, args.api_key), args.project, tasks)
    verb = "created" if pushed.created else "reused"
    print(f"project {args.project!r} (id {pushed.project_id}) {verb}: {pushed.imported} task(s) imported, "
          f"{pushed.already_there} already there")  # fmt: skip
    return EXIT_OK


def _pull(args: argparse.Namespace) -> int:
    from gxie.annotate.client import connect, pull

    project: str | int = int(args.project) if args.project.isdigit() else args.project
    tasks = pull(connect(args.url, args.api_key), project)
    _write_json(tasks, args.output)
    print(f"{len(tasks)} task(s) exported to {args.output}")
    if args.records:
        return _write_records(tasks, args.records)
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    from gxie.annotate.importer import read_export

    return _write_records(read_export(args.export), args.output)


def _write_records(tasks: list[dict[str, Any]], out: Path) -> int:
    from gxie.annotate.importer import import_export, write_records

    result = import_export(tasks)
    write_records(result.records, out)
    print(result.summary())
    for problem in result.problems:
        print(f"problem: {problem}", file=sys.stderr)
    print(f"{len(result.records)} record(s) written to {out}")
    if result.problems:
        print(f"{len(result.problems)} task(s) left out (listed above): fix them in Label Studio and pull again",
              file=sys.stderr)  # fmt: skip
        return EXIT_PROBLEMS
    return EXIT_OK


def _retrain(args: argparse.Namespace) -> int:
    from gxie.annotate.retrain import FINETUNE_CONFIG, retrain
    from gxie.training.config import parse_override

    promote_to = None if args.no_promote else (args.promote_to or args.init_from)
    outcome = retrain(
        args.data,
        init_from=args.init_from,
        work_dir=args.work_dir,
        config=args.config or FINETUNE_CONFIG,
        overrides=dict(parse_override(item) for item in args.set),
        promote_to=promote_to,
        split_path=args.split,
        test_share=args.test_share,
        repeat=args.repeat,
        min_gain=args.min_gain,
        synthetic_check=args.synthetic_check,
        allow_problems=args.allow_problems,
    )
    for name, pair in outcome.scores.items():
        print(f"{name:<16} micro-F1 previous {pair['previous']:.4f}  candidate {pair['candidate']:.4f}")
    print(f"{'promoted to ' + str(promote_to) if outcome.promoted else 'not promoted'}: {outcome.reason}")
    print(f"report: {outcome.report_path}")
    print(_where_the_model_is(outcome.candidate_dir, Path(promote_to) if outcome.promoted and promote_to else None))
    return EXIT_PROBLEMS if promote_to and not outcome.promoted else EXIT_OK


def _where_the_model_is(candidate: Path, promoted: Path | None) -> str:
    """Where the new model is and the command that uses it (an installed gxie does not read a checkout's
    models/default, so the command names the folder)."""
    import shlex

    from gxie.pipeline import default_model_dir

    folder = promoted if promoted is not None else candidate
    what = "new model" if promoted is not None else "candidate model (not promoted)"
    lines = [f"{what}: {folder}", f"use it with: gxie extract --model {shlex.quote(str(folder))} FILE"]
    if promoted is not None and promoted.resolve() != default_model_dir().resolve():
        lines.append(f"(plain `gxie extract` uses the bundled model {default_model_dir()}, not this one)")
    return "\n".join(lines)


def _tagger(name: str, device: str) -> Any:
    from gxie.pipeline import TAGGERS, get_tagger

    if name in TAGGERS:
        return get_tagger(name, device)
    if not Path(name).is_dir():
        raise ValueError(f"--tagger {name!r} is neither {' nor '.join(TAGGERS)} nor a model directory")
    return get_tagger("model", device, model=name)


def _excluded_hashes(paths: list[str]) -> set[str]:
    """content_hash of every task in these exports or tasks files."""
    from gxie.annotate.importer import read_export

    return {str(t["data"]["content_hash"]) for p in paths for t in read_export(p) if t["data"].get("content_hash")}


def _write_json(data: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
