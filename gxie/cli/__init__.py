"""The ``gxie`` command line: ``gxie extract …``, ``gxie train …``.

Each subcommand lives in its own module exposing ``add_arguments(parser)`` and ``run(args) -> int``; the
module is imported only when its command is used, so ``gxie extract --help`` stays fast (no torch).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from gxie._version import __version__

# name -> (module with add_arguments/run, one-line help, the extra its dependencies come with)
COMMANDS: dict[str, tuple[str, str, str | None]] = {
    "extract": ("gxie.cli.extract", "extract tables, checks and metadata from report files", None),
    "train": ("gxie.cli.train", "train a tagger model", "train"),
    "annotate": ("gxie.cli.annotate", "the Label Studio loop: tasks, push, pull, import, select, retrain", "annotate"),
    "export-onnx": ("gxie.cli.export_onnx", "write model.onnx for a model directory (needs the onnx package)", None),
}


class CommandUnavailable(Exception):
    """A registered command whose module cannot be imported in this installation."""


def load_command(name: str) -> ModuleType:
    """Import the module of command ``name``; ``CommandUnavailable`` says why it cannot be used."""
    module_path, _, extra = COMMANDS[name]
    try:
        return importlib.import_module(module_path)
    except ModuleNotFoundError as exc:
        missing = exc.name or "?"
        if module_path == missing or module_path.startswith(missing + "."):
            reason = f"its module {module_path} is not part of this installation of gxie {__version__}"
        else:
            hint = f"pip install 'gxie[{extra}]'" if extra else f"pip install {missing}"
            reason = f"it needs the package {missing!r}, which is not installed; install it with: {hint}"
        raise CommandUnavailable(f"the {name!r} command is not available: {reason}") from exc


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; only ``command``'s module is imported to add its arguments."""
    parser = argparse.ArgumentParser(
        prog="gxie",
        description="Exact, validated data from Chinese government information-disclosure annual reports.",
    )
    parser.add_argument("--version", action="version", version=f"gxie {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (_, help_text, _) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        if name == command:
            load_command(name).add_arguments(command_parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``gxie`` with ``argv`` (default ``sys.argv[1:]``) and return the exit code.

    0: every file ok or partial; 1: a file failed or the run could not start; 2: a usage error.
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args_list if not a.startswith("-")), None)
    try:
        parser = build_parser(command if command in COMMANDS else None)
        args = parser.parse_args(args_list)
    except CommandUnavailable as exc:
        print(f"gxie: error: {exc}", file=sys.stderr)
        return 1
    except SystemExit as exc:  # argparse: 0 after --help/--version, 2 for a usage error
        return exc.code if isinstance(exc.code, int) else 2
    code: int = load_command(args.command).run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
