"""``python -m training.bench``: score every set with both taggers, time them, print the benchmark page.

The page goes to stdout, or to ``--out FILE`` (``--out docs/benchmarks.md`` regenerates the repository's
page); progress lines (set, sets and reports done, time elapsed) go to stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import training.bench
from gxie.pipeline import default_model_dir, get_tagger
from gxie.tagging.base import Tagger
from training.bench.score import Score, score_set
from training.bench.sets import HELDOUT_SEED, REPO, Case, noise_sets, ocr_sets, seed_set, synth_sets
from training.bench.speed import measure_all
from training.bench.tables import bench_environment, kept_block, markdown

DEFAULT_OUT = REPO / "docs" / "benchmarks.md"  # the repository's page: written only with --out docs/benchmarks.md
PROGRESS_EVERY = 5.0  # seconds between progress lines within one tagger's pass over a set


class Progress:
    """Progress lines on ``stream`` (stderr): which set, how many sets and reports are done, time elapsed.

    >>> progress = Progress(17, 425)  # doctest: +SKIP
    >>> progress.begin("text: synthetic tab_rows", 25)  # doctest: +SKIP
    """

    def __init__(
        self, n_sets: int, n_reports: int, stream: TextIO | None = None, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        self.n_sets, self.n_reports, self.stream, self.clock = n_sets, n_reports, stream, clock
        self.started = self.last = clock()
        self.set_no, self.name, self.before = 0, "", 0  # the set being scored, reports of the sets before it
        self.size = 0

    def _print(self, text: str) -> None:
        self.last = self.clock()
        print(f"bench: {text}, {self.last - self.started:.1f} s elapsed", file=self.stream or sys.stderr, flush=True)

    def begin(self, name: str, size: int) -> None:
        """A new set of ``size`` reports starts."""
        self.before += self.size
        self.set_no, self.name, self.size = self.set_no + 1, name, size

    def update(self, tagger: str, done: int, total: int) -> None:
        """``tagger`` has read ``done`` of the set's ``total`` reports (a line when done, else now and then)."""
        if done < total and self.clock() - self.last < PROGRESS_EVERY:
            return
        self._print(
            f"set {self.set_no}/{self.n_sets} {self.name!r}, {tagger}: {done}/{total} reports "
            f"({self.before + (done if done < total else self.size)}/{self.n_reports} reports of all sets)"
        )

    def note(self, text: str) -> None:
        """A line about another step (the speed runs)."""
        self._print(text)


def collect_sets(args: argparse.Namespace) -> tuple[dict[str, list[Case]], dict[str, dict[str, float]]]:
    """The sets to score (empty ones left out) and the OCR corpus's seconds per page by level."""
    sets: dict[str, list[Case]] = synth_sets(args.n, args.seed)
    sets.update(noise_sets(args.n, args.seed))
    sets.update(seed_set(args.seeds_dir))
    timing: dict[str, dict[str, float]] = {}
    if args.corpus is not None:
        more, timing = ocr_sets(args.corpus)
        sets.update(more)
    return {name: cases for name, cases in sets.items() if cases}, timing


def score_all(
    sets: dict[str, list[Case]], taggers: dict[str, Tagger], progress: Progress
) -> dict[str, dict[str, Score]]:
    """Every set scored with every tagger (and gold spans where the set has them), in order."""
    scores: dict[str, dict[str, Score]] = {}
    for name, cases in sets.items():
        progress.begin(name, len(cases))
        scores[name] = score_set(cases, taggers, progress.update)
    return scores


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; ``out`` is a Path, or None to print the page (no ``--out``, or ``--out -``).

    >>> parse_args(["--n", "5", "--out", "x.md"]).out  # doctest: +SKIP
    PosixPath('x.md')
    """
    doc = (training.bench.__doc__ or "").splitlines()
    p = argparse.ArgumentParser(prog="python -m training.bench", description=doc[0] if doc else None)
    p.add_argument("--n", type=int, default=30, help="synthetic reports per layout family and per noise level")
    p.add_argument("--seed", type=int, default=HELDOUT_SEED)
    p.add_argument("--corpus", type=Path, default=None, help="folder of training.ocr_corpus <level>.jsonl files")
    p.add_argument("--seeds-dir", type=Path, default=REPO.parent / "shared" / "seeds")
    p.add_argument("--device", default="cpu", help="device of the accuracy runs")
    p.add_argument("--speed-reports", type=int, default=40, help="typical reports timed per tagger (0: no timing)")
    p.add_argument("--threads", type=int, default=2, help="torch threads of the speed runs")
    p.add_argument(
        "--out",
        default="-",
        help="markdown file to write (e.g. docs/benchmarks.md); default -: print the page to stdout",
    )
    args = p.parse_args(argv)
    args.out = None if args.out == "-" else Path(args.out)
    if args.corpus is not None and not any(args.corpus.glob("*.jsonl")):
        p.error(
            f"--corpus {args.corpus}: no <level>.jsonl files there; build the OCR corpus first with "
            f"python -m training.ocr_corpus --out {args.corpus} (see tests/ocr_sample/README.md for the benchmark's)"
        )
    return args


def command_line(args: argparse.Namespace) -> str:
    """The command that reproduces this run (options at their defaults left out where they do not matter).

    >>> command_line(parse_args(["--out", "docs/benchmarks.md"]))  # doctest: +SKIP
    'python -m training.bench --n 30 --seed 90001 --speed-reports 40 --threads 2 --out docs/benchmarks.md'
    """
    parts = [f"python -m training.bench --n {args.n} --seed {args.seed}"]
    if args.corpus is not None:
        parts.append(f"--corpus {args.corpus}")
    if args.device != "cpu":
        parts.append(f"--device {args.device}")
    parts.append(f"--speed-reports {args.speed_reports} --threads {args.threads}")
    if args.out is not None:
        parts.append(f"--out {args.out}")
    return " ".join(parts)


def main(argv: list[str] | None = None, stream: TextIO | None = None) -> int:
    """Run the benchmark; the page goes to ``--out`` or stdout, progress to ``stream`` (stderr)."""
    args = parse_args(argv)
    load_before = os.getloadavg()[0]
    taggers = {"rules": get_tagger("rules"), "model": get_tagger("model", args.device)}
    sets, timing = collect_sets(args)
    progress = Progress(len(sets), sum(map(len, sets.values())), stream)
    scores = score_all(sets, taggers, progress)
    result: dict[str, Any] = {"scores": scores, "ocr_timing": timing, "model_dir": default_model_dir()}
    speed = measure_all(args.speed_reports, args.threads, progress.note) if args.speed_reports else []
    result["load"] = (load_before, os.getloadavg()[0])
    result["environment"] = bench_environment(args.device)
    text = markdown(result, speed, command_line(args), kept_block(args.out) if args.out is not None else "")
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        progress.note(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
