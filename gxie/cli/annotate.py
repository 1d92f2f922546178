"""``gxie annotate``: the Label Studio loop, one subcommand per step (see annotations/README.md).

gxie annotate select reports/ --top 20 --tasks tasks.json   # worst reports first, pre-annotated
gxie annotate push tasks.json --project "gxie reports"       # GXIE_LS_URL, GXIE_LS_API_KEY
gxie annotate pull --project "gxie reports" -o annotations/export.json
gxie annotate retrain --data annotations/export.json --init-from models/current --preset quick
gxie annotate backend --model models/current --port 9090 --retrain-after 20   # Label Studio's ML backend
gxie annotate rollback models/current                        # undo the last promotion
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
            help="leave out reports labelled in this Label Studio export (tasks with an annotation that was not "
            "cancelled; unlabelled and skipped tasks stay eligible); repeatable",
        )
        if name == "tasks":
            p.add_argument("-o", "--output", type=Path, required=True, help="tasks JSON file to write")
        else:
            p.add_argument("--top", type=int, help="keep only the N most useful reports")
            p.add_argument("-o", "--output", type=Path, help="write the ranking as JSON here")
            p.add_argument("--tasks", type=Path, help="also write tasks for the kept reports, in rank order")
            p.add_argument(
                "--near-duplicate",
                type=float,
                default=0.8,
                metavar="SIMILARITY",
                help="leave out a report whose text is this similar (MinHash estimate of the Jaccard similarity "
                "of 5-character shingles, 0-1) to a labelled report or to one ranked above it (default 0.8)",
            )

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
            p.add_argument("--review", type=Path, help="annotator agreement review list (default: beside --records)")

    p = sub.add_parser("import", help="turn a Label Studio JSON export into training records (JSONL)")
    p.add_argument("export", type=Path, help="Label Studio JSON export")
    p.add_argument("-o", "--output", type=Path, required=True, help="records JSONL to write")
    p.add_argument(
        "--review",
        type=Path,
        help="where to write the annotator agreement review list when tasks have several annotators "
        "(default: <output stem>.review.md)",
    )

    p = sub.add_parser("retrain", help="fine-tune on labelled reports; promote only if not worse")
    p.add_argument(
        "--data",
        action="append",
        required=True,
        metavar="PATH",
        help="Label Studio export or records JSONL (repeatable)",
    )
    p.add_argument("--init-from", required=True, metavar="DIR", help="the current model directory")
    _add_training_options(p)
    p.add_argument("--work-dir", type=Path, default=Path("runs/retrain"), help="candidate model, data, report")
    target = p.add_mutually_exclusive_group()
    target.add_argument("--promote-to", metavar="DIR", help="model directory to replace (default: --init-from)")
    target.add_argument("--no-promote", action="store_true", help="evaluate only, replace nothing")
    p.add_argument("--split", type=Path, help="frozen split file (default: split.json beside the first --data)")
    _add_gate_options(p)

    p = sub.add_parser(
        "backend",
        help="serve the model to Label Studio as an ML backend and retrain it from the annotations",
        description="An ML backend for Label Studio (/health, /setup, /predict, /webhook). Add it to a project "
        "(Settings > Model, or the API) with the URL it prints; Label Studio then sends it annotation webhooks, "
        "and after --retrain-after new annotations a retraining round runs in the background.",
    )
    p.add_argument("--model", required=True, metavar="DIR", help="model directory served, and replaced on promotion")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=9090, help="port to listen on (default 9090; 0: any free port)")
    p.add_argument("--work-dir", type=Path, default=Path("runs/backend"), help="annotation log, split, rounds")
    p.add_argument(
        "--retrain-after",
        type=int,
        default=20,
        metavar="N",
        help="start a retraining round after N new annotations (0: never; default 20)",
    )
    p.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="PATH",
        help="earlier labelled data (Label Studio export or records) added to every round (repeatable)",
    )
    p.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda"), help="device for predictions")
    _add_training_options(p)
    _add_gate_options(p)

    p = sub.add_parser(
        "rollback",
        help="put back the model a promotion replaced",
        description="Restore a model kept in <model>.rollback/ by a promotion; the replaced model is kept too.",
    )
    p.add_argument("model", metavar="DIR", help="the model directory (as given to --promote-to or --init-from)")
    p.add_argument("--to", metavar="NAME", help="the kept model to restore (default: the newest one)")
    p.add_argument("--list", action="store_true", help="only list the kept models")


def _add_training_options(p: argparse.ArgumentParser) -> None:
    training = p.add_mutually_exclusive_group()
    training.add_argument(
        "--preset",
        choices=("quick", "full"),
        default="full",
        help="fine-tuning preset shipped with gxie: quick (a few minutes on 2 cores) or full (default)",
    )
    training.add_argument("--config", type=Path, help="a training config YAML file instead of a preset")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config field")


def _add_gate_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--test-share", type=float, default=0.3, help="share of new reports kept for judging")
    p.add_argument(
        "--min-test-reports",
        type=int,
        default=5,
        metavar="N",
        help="refuse to judge on fewer than N human-labelled test reports (default 5)",
    )
    p.add_argument("--repeat", type=int, default=3, help="times each labelled report is repeated in training")
    p.add_argument(
        "--min-gain",
        type=float,
        default=0.0,
        help="promote only when the lower bound of the bootstrap interval of the frozen-test F1 gain reaches "
        "this (>= 0; default 0: better beyond doubt)",
    )
    p.add_argument("--bootstrap", type=int, default=2000, metavar="N", help="bootstrap resamples (default 2000)")
    p.add_argument("--confidence", type=float, default=0.95, help="bootstrap interval coverage (default 0.95)")
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
            "import": _import, "retrain": _retrain, "backend": _backend,
            "rollback": _rollback}[args.annotate_command]  # fmt: skip
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


def _tasks(args: argparse.Namespace) -> int:
    from gxie.annotate.pick import file_sha256, labelled_in
    from gxie.annotate.tasks import build_tasks
    from gxie.batch.discover import discover

    files = discover(args.reports)
    if args.exclude:
        labelled = labelled_in(args.exclude)
        kept = [f for f in files if file_sha256(f) not in labelled.hashes]
        print(f"{len(files) - len(kept)} report(s) already labelled were left out "
              f"({labelled.eligible} unlabelled or skipped task(s) in the exports stay eligible)",
              file=sys.stderr)  # fmt: skip
        files = kept
    built = build_tasks(files, tagger=_tagger(args.tagger, args.device), device=args.device)
    _write_json(built.tasks, args.output)
    for source, why in built.skipped:
        print(f"skipped {source}: {why}", file=sys.stderr)
    print(f"{len(built.tasks)} task(s) written to {args.output}")
    return EXIT_PROBLEMS if built.skipped else EXIT_OK


def _select(args: argparse.Namespace) -> int:
    from gxie.annotate.pick import pick
    from gxie.batch.discover import discover

    if not 0.0 < args.near_duplicate <= 1.0:
        raise ValueError(f"--near-duplicate must be a similarity in (0, 1], got {args.near_duplicate}")
    if args.top is not None and args.top < 1:
        raise ValueError(f"--top must be at least 1, got {args.top}")
    picked = pick(
        discover(args.reports),
        tagger=_tagger(args.tagger, args.device),
        exclude=args.exclude,
        device=args.device,
        top=args.top,
        near_duplicate=args.near_duplicate,
    )
    for n, p in enumerate(picked.kept, 1):
        print(f"{n:>4}. {p.score:7.2f}  {p.source}")
        for reason in p.reasons or ["nothing suspicious: every check passes and no label was doubtful"]:
            print(f"            {reason}")
    if picked.below_top:
        print(f"   ...  {len(picked.below_top)} more report(s) below the top {args.top}"
              + (f" (ranked in {args.output})" if args.output else ""))  # fmt: skip
    for source, why in picked.left_out:
        print(f"   -  left out  {source}: {why}")
    if args.output:
        ranked = [*picked.kept, *picked.below_top]
        ranking = [{"rank": n, "kept": n <= len(picked.kept), **p.to_dict()} for n, p in enumerate(ranked, 1)]
        ranking += [{"rank": None, "source": source, "left_out": why} for source, why in picked.left_out]
        _write_json(ranking, args.output)
    if args.tasks:
        _write_json(picked.tasks, args.tasks)
        print(f"{len(picked.tasks)} task(s) in rank order written to {args.tasks}")
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
        return _write_records(tasks, args.records, args.review)
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    from gxie.annotate.importer import read_export

    return _write_records(read_export(args.export), args.output, args.review)


def _write_records(tasks: list[dict[str, Any]], out: Path, review: Path | None) -> int:
    from gxie.annotate.agreement import review_markdown
    from gxie.annotate.importer import import_export, write_records

    result = import_export(tasks)
    write_records(result.records, out)
    print(result.summary())
    if result.agreement:
        review = review or out.with_name(out.name.split(".")[0] + ".review.md")
        review.write_text(review_markdown(result.agreement), encoding="utf-8")
        for a in result.agreement:
            pairs = ", ".join(f"{k} {v:.2f}" for k, v in a.pairwise.items())
            print(f"agreement on task {a.task_id} ({a.source}): {pairs}; {len(a.disagreements)} span(s) disputed, "
                  f"spans taken from the {a.method.replace('_', ' ')}")  # fmt: skip
        print(f"disagreements listed for review in {review}")
    for problem in result.problems:
        print(f"problem: {problem}", file=sys.stderr)
    print(f"{len(result.records)} record(s) written to {out}")
    if result.problems:
        print(f"{len(result.problems)} task(s) left out (listed above): fix them in Label Studio and pull again",
              file=sys.stderr)  # fmt: skip
        return EXIT_PROBLEMS
    return EXIT_OK


def _retrain(args: argparse.Namespace) -> int:
    from gxie.annotate.retrain import retrain

    promote_to = None if args.no_promote else (args.promote_to or args.init_from)
    outcome = retrain(
        args.data,
        init_from=args.init_from,
        work_dir=args.work_dir,
        promote_to=promote_to,
        split_path=args.split,
        **_retrain_options(args),
    )
    for name, pair in outcome.scores.items():
        print(f"{name:<16} micro-F1 previous {pair['previous']:.4f}  candidate {pair['candidate']:.4f}")
    print(f"{'promoted to ' + str(promote_to) if outcome.promoted else 'not promoted'}: {outcome.reason}")
    if outcome.rollback_path:
        print(f"the replaced model is kept in {outcome.rollback_path} (gxie annotate rollback {promote_to})")
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


def _retrain_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments of gxie.annotate.retrain.retrain from the training and gate options."""
    from gxie.annotate.gate import check_min_gain
    from gxie.training.config import parse_override

    check_min_gain(args.min_gain)
    return {
        "config": args.config,
        "preset": args.preset,
        "overrides": dict(parse_override(item) for item in args.set),
        "test_share": args.test_share,
        "min_test_reports": args.min_test_reports,
        "repeat": args.repeat,
        "min_gain": args.min_gain,
        "resamples": args.bootstrap,
        "confidence": args.confidence,
        "synthetic_check": args.synthetic_check,
        "allow_problems": args.allow_problems,
    }


def _backend(args: argparse.Namespace) -> int:
    from gxie.annotate.backend import Backend, BackendSettings, serve

    settings = BackendSettings(
        model=Path(args.model),
        work_dir=args.work_dir,
        retrain_after=args.retrain_after,
        data=[Path(d) for d in args.data],
        retrain_options=_retrain_options(args),
        device=args.device,
    )
    backend = Backend(settings)
    print(f"serving {backend.holder.version} from {args.model}; retraining after {args.retrain_after or 'no'} "
          f"new annotations; annotations logged in {args.work_dir}", flush=True)  # fmt: skip
    serve(backend, args.host, args.port)
    return EXIT_OK


def _rollback(args: argparse.Namespace) -> int:
    from gxie.annotate.rollback import entries, model_version, rollback, rollback_dir

    if args.list:
        kept = entries(args.model)
        print(f"{args.model}: serving {model_version(args.model)}; {len(kept)} kept in {rollback_dir(args.model)}")
        for e in kept:
            mark = " (set aside by a rollback)" if e.rolled_back else ""
            print(f"  {e.name}  {e.version}{mark}: {e.reason}")
        return EXIT_OK
    before = model_version(args.model)
    restored = rollback(args.model, args.to)
    print(f"{args.model}: {before} -> {restored.version} (restored from {restored.name}); "
          f"{before} is kept in {rollback_dir(args.model)}")  # fmt: skip
    return EXIT_OK


def _tagger(name: str, device: str) -> Any:
    from gxie.pipeline import TAGGERS, get_tagger

    if name in TAGGERS:
        return get_tagger(name, device)
    if not Path(name).is_dir():
        raise ValueError(f"--tagger {name!r} is neither {' nor '.join(TAGGERS)} nor a model directory")
    return get_tagger("model", device, model=name)


def _write_json(data: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
