"""Trust and verdicts on typical generated reports of one seed: the check to run on seeds never looked at.

Generates ``--n`` typical reports of ``--seed`` from the held-out agencies (every layout family and noise
level, some reports that do not add up), extracts them with ``--tagger`` and scores them against the
generator's gold: cells right, trusted cells and how many of them are wrong, coverage, and the 'does not add
up' verdicts with how many of them the gold grid breaks too. Each report with a wrong trusted cell or a false
verdict is listed (its id, layout, noise and the cells), so its shape can be reduced to a hand-made test.

    python -m training.bench.typical --seed 33333 --n 300 --tagger rules
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from gxie.pipeline import get_tagger, run
from gxie.training.synth.corpus import generate
from gxie.types import Document
from training.bench.score import Score, same


@dataclass(frozen=True)
class Fault:
    """A report to look at: its trusted cells that are wrong (key, value read, gold) and false verdicts."""

    id: str
    layout: str
    noise: str
    trusted_wrong: list[tuple[str, Any, Any]]
    false_verdicts: int


def check(seed: int, n: int, tagger: str, batch_size: int = 50, first: int = 0) -> tuple[Score, list[Fault]]:
    """The pooled score of ``n`` typical reports of ``seed`` (from its ``first``) and the reports to look at;
    ``tagger``: rules, model (the model on every report) or default (the rules first, the model for the
    rest)."""
    reports = list(generate(n, seed, agency_pool="heldout", first=first))
    docs = [Document(text=r.text, source=r.id, kind="text") for r in reports]
    total, faults = Score(), list[Fault]()
    name, rules_first = ("model", True) if tagger == "default" else (tagger, False)
    extracted_all = run(docs, tagger=get_tagger(name), batch_size=batch_size, rules_first=rules_first)
    for r, extracted in zip(reports, extracted_all, strict=True):
        report = extracted.report
        one = Score()
        one.add(report, r.flat)
        total.merge(one)
        wrong = [
            (c.key, c.value, r.flat[c.key])
            for c in report.trusted_cells
            if c.key in r.flat and not same(c.value, r.flat[c.key])
        ]
        if wrong or one.verdicts != one.verdicts_right:
            faults.append(Fault(r.id, r.layout, r.noise, wrong, one.verdicts - one.verdicts_right))
    return total, faults


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, required=True, help="the generator's seed (use one never looked at)")
    p.add_argument("--n", type=int, default=300, help="typical reports to generate (default 300)")
    p.add_argument(
        "--tagger",
        default="rules",
        choices=("rules", "model", "default"),
        help="rules; model (the model on every report); default (what gxie extract does: the rules first, the "
        "model for every report they do not settle). Default: rules",
    )
    args = p.parse_args(argv)
    score, faults = check(args.seed, args.n, args.tagger)
    for fault in faults:
        print(json.dumps(asdict(fault), ensure_ascii=False))
    wrong = sum(len(f.trusted_wrong) for f in faults)
    print(
        f"seed {args.seed}, {args.n} reports, {args.tagger}: cells right {score.accuracy:.2%}, trusted "
        f"{score.trusted:,} ({wrong} wrong), coverage {score.coverage:.1%}, verdicts {score.verdicts} "
        f"({score.verdicts_right} right)"
    )
    return 1 if faults else 0


if __name__ == "__main__":
    raise SystemExit(main())
