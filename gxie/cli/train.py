"""``gxie train``: train or fine-tune the tagging model from a YAML config.

Also runs on its own: ``python -m gxie.cli.train --config training/configs/default.yaml``.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gxie.errors import GxieError

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``gxie train`` options to ``parser``."""
    parser.add_argument(
        "--config", type=Path, metavar="YAML", help="training config, e.g. training/configs/default.yaml"
    )
    parser.add_argument("--init-from", metavar="DIR", help="fine-tune this model directory (same label set)")
    parser.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="PATH",
        help="extra labelled training data: a Label Studio JSON export, a JSONL records file or a datasets "
        "directory (repeatable)",
    )
    parser.add_argument("--output", metavar="DIR", help="where to write the model (config: output_dir)")
    parser.add_argument("--device", choices=DEVICE_CHOICES, help="training device (config: device)")
    parser.add_argument("--seed", type=int, help="random seed (config: seed)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (config: threads)")
    parser.add_argument("--max-steps", type=int, help="stop after this many optimizer steps (config: optim.max_steps)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override any config field, e.g. --set optim.lr=1e-3 --set data.n_train=200 (repeatable)",
    )


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    """The config overrides the options ask for (``--set`` first, then the named options)."""
    from gxie.training.config import parse_override

    overrides: dict[str, Any] = dict(parse_override(item) for item in args.set)
    named = {
        "init_from": args.init_from,
        "output_dir": args.output,
        "device": args.device,
        "seed": args.seed,
        "threads": args.threads,
        "optim.max_steps": args.max_steps,
    }
    overrides.update({k: v for k, v in named.items() if v is not None})
    return overrides


def run(args: argparse.Namespace) -> int:
    """Run ``gxie train``; returns the exit status (0 ok, 2 bad config or data)."""
    from gxie.training.config import load_config
    from gxie.training.train import train

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    try:
        config = load_config(args.config, overrides_from(args))
        from gxie.annotate.importer import records_path_for  # a Label Studio export becomes records first

        config.data.extra = [*config.data.extra, *(str(records_path_for(p)) for p in args.data)]
        result = train(config, command=_command_line())
    except GxieError as exc:
        print(f"gxie train: {exc}", file=sys.stderr)
        return 2
    print(f"model written to {result.output_dir} (version {result.tagger.version})")
    if result.dev:
        print(f"dev micro-F1 {result.dev.micro.f1:.4f} (best step {result.best_step} of {result.steps})")
    if result.test:
        print(f"test micro-F1 {result.test.micro.f1:.4f}")
        for label, s in result.test.per_label.items():
            print(f"  {label:<6} P {s.precision:.4f}  R {s.recall:.4f}  F1 {s.f1:.4f}  n={s.support}")
    print(f"wall time {result.seconds['total']:.0f}s")
    print(f"use it with: gxie extract --model {shlex.quote(str(result.output_dir))} FILE")
    return 0


def _command_line() -> str:
    argv = sys.argv[1:]
    prog = ["python", "-m", "gxie.cli.train"] if Path(sys.argv[0]).parent.name == "training" else ["gxie"]
    return shlex.join(prog + argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m gxie.cli.train``."""
    parser = argparse.ArgumentParser(prog="python -m gxie.cli.train", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
