"""The ``gxie`` command line: ``gxie extract …``, ``gxie train …``.

Each subcommand lives in its own module exposing ``add_arguments(parser)`` and ``run(args) -> int``; the
module is imported only when its command is used, so ``gxie extract --help`` stays fast (no torch).
``-v``, ``-q`` and ``--log-level`` work before or after the command name; logging is set up here, once,
for the duration of the command.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType

from gxie._version import __version__

# name -> (module with add_arguments/run, one-line help, the extra its dependencies come with)
COMMANDS: dict[str, tuple[str, str, str | None]] = {
    "extract": ("gxie.cli.extract", "extract tables, checks and metadata from report files", None),
    "train": ("gxie.cli.train", "train a tagger model", "train"),
    "annotate": ("gxie.cli.annotate", "the Label Studio loop: tasks, push, pull, import, select, retrain", "annotate"),
    "export-onnx": ("gxie.cli.export_onnx", "write model.onnx for a model directory (needs the onnx package)", None),
}
_LEVELS: dict[str, int] = {
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
    "CRITICAL": logging.CRITICAL,
}
LOG_LEVELS: tuple[str, ...] = tuple(_LEVELS)
DEFAULT_LOG_LEVEL = "INFO"
LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"


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


def _log_level(text: str) -> str:
    level = text.upper()
    if level not in LOG_LEVELS:
        raise argparse.ArgumentTypeError(f"unknown log level {text!r}; use one of {', '.join(LOG_LEVELS)}")
    return level


def _common_options(*, top: bool) -> argparse.ArgumentParser:
    """``-v``/``-q``/``--log-level``; on a command's parser without defaults, so that ``gxie -q extract``
    is not undone by the command's own defaults."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("messages on stderr")

    def default(value: object) -> object:
        return value if top else argparse.SUPPRESS

    group.add_argument("-v", "--verbose", action="count", default=default(0), help="more log messages (debug level)")
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=default(False),
        help="no progress and no summary; only errors (log level ERROR)",
    )
    group.add_argument(
        "--log-level",
        type=_log_level,
        metavar="LEVEL",
        default=default(None),
        help=f"one of {', '.join(LOG_LEVELS)} (default {DEFAULT_LOG_LEVEL}; -v means DEBUG, -q ERROR)",
    )
    return common


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; only ``command``'s module is imported to add its arguments.

    >>> build_parser().parse_args(["-q", "extract", "a.txt"]).quiet
    True
    """
    parser = argparse.ArgumentParser(
        prog="gxie",
        description="Exact, validated data from Chinese government information-disclosure annual reports.",
        parents=[_common_options(top=True)],
    )
    parser.add_argument("--version", action="version", version=f"gxie {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (_, help_text, _) in COMMANDS.items():
        command_parser = sub.add_parser(
            name, help=help_text, description=help_text, parents=[_common_options(top=False)]
        )
        if name == command:
            load_command(name).add_arguments(command_parser)
    return parser


def log_level(args: argparse.Namespace) -> int:
    """The logging level ``args`` ask for: ``--log-level``, else ERROR for ``-q``, DEBUG for ``-v``, else INFO.

    >>> log_level(argparse.Namespace(verbose=0, quiet=True, log_level=None)) == logging.ERROR
    True
    """
    if args.log_level is not None:
        name: str = args.log_level
    elif args.quiet:
        name = "ERROR"
    elif args.verbose:
        name = "DEBUG"
    else:
        name = DEFAULT_LOG_LEVEL
    return _LEVELS[name]


@contextmanager
def configured_logging(level: int) -> Iterator[None]:
    """Log records of gxie at ``level`` and above (other libraries' at WARNING and above, or ``level`` if
    higher) to stderr while the block runs; the previous logging set-up comes back afterwards.

    >>> with configured_logging(logging.ERROR):  # doctest: +SKIP
    ...     run(args)
    """
    root, ours = logging.getLogger(), logging.getLogger("gxie")
    saved = (root.level, ours.level)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(handler)
    root.setLevel(max(level, logging.WARNING))
    ours.setLevel(level)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        ours.setLevel(saved[1])


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``gxie`` with ``argv`` (default ``sys.argv[1:]``) and return the exit code.

    0: success; 1: a file failed (see ``gxie extract --fail-on``) or the run could not start; 2: a usage
    error or nothing to do.

    >>> main(["--version"])  # doctest: +SKIP
    0
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args_list if a in COMMANDS), None)
    try:
        parser = build_parser(command)
        args = parser.parse_args(args_list)
    except CommandUnavailable as exc:
        print(f"gxie: error: {exc}", file=sys.stderr)
        return 1
    except SystemExit as exc:  # argparse: 0 after --help/--version, 2 for a usage error
        return exc.code if isinstance(exc.code, int) else 2
    if args.quiet and args.verbose:
        print("gxie: error: -q (quiet) and -v (verbose) contradict each other; give one of them", file=sys.stderr)
        return 2
    with configured_logging(log_level(args)):
        code: int = load_command(args.command).run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
