"""Property tests (hypothesis): whatever text or file gxie is given, it returns a Report that keeps the output
contract of ``tools.fuzz_contract.contract_violations`` and never raises.

Small, derandomized budgets (the whole file runs in well under a minute on two cores); the long run with
100,000 inputs and the hostile-file catalogue is ``python -m tools.fuzz`` (docs/reliability.md).
"""

from __future__ import annotations

import random
import tempfile
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gxie import Report, extract, extract_text
from tools.fuzz_contract import contract_violations
from tools.fuzz_inputs import (
    ENCODINGS,
    HUGE_NUMBERS,
    LOSSLESS_ENCODINGS,
    NAN_INF,
    SUFFIXES,
    TEXT_FAMILIES,
    base_text,
    clean_text,
    encode_report,
    made_file,
)

FAST = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
FILES = settings(FAST, max_examples=20)
BASES = 6  # generated reports the text mutations start from


def run_text(text: str) -> Report:
    """``extract_text`` with the rules tagger; the contract must hold on its report."""
    report = extract_text(text, tagger="rules")
    assert isinstance(report, Report)
    assert report.status in ("ok", "partial", "failed")
    violations = contract_violations(report, text)
    assert not violations, violations
    return report


def run_file(path: Path) -> Report:
    """``extract`` with the rules tagger on a file; the contract must hold, a failure must say why."""
    report = extract(path, tagger="rules")
    assert isinstance(report, Report)
    violations = contract_violations(report, None)
    assert not violations, violations
    if report.status == "failed":
        assert any(m.level == "error" and m.message.strip() for m in report.issues)
    return report


@cache
def report_lines() -> tuple[str, ...]:
    return tuple(line for i in range(BASES) for line in base_text(i).split("\n"))


def replace_numbers(text: str, numbers: list[str]) -> str:
    """The first table numbers (those after a tab) of ``text`` replaced by ``numbers`` in turn."""
    parts = text.split("\t")
    k = 0
    for i in range(1, len(parts)):
        if k < len(numbers) and parts[i][:1].isdigit():
            digits = len(parts[i]) - len(parts[i].lstrip("0123456789"))
            parts[i] = numbers[k] + parts[i][digits:]
            k += 1
    return "\t".join(parts)


# ---- the text pipeline -------------------------------------------------------------------------------------


@FAST
@given(st.text(max_size=3000))
def test_arbitrary_unicode_text(text: str) -> None:
    run_text(text)


@FAST
@given(st.lists(st.one_of(st.sampled_from(report_lines()), st.text(max_size=30)), max_size=80))
def test_lines_of_reports_mixed_with_random_text(lines: list[str]) -> None:
    run_text("\n".join(lines))


@settings(FAST, max_examples=100)
@given(
    family=st.sampled_from(sorted(TEXT_FAMILIES)),
    seed=st.integers(0, 2**32 - 1),
    base=st.integers(0, BASES - 1),
)
def test_mutated_reports(family: str, seed: int, base: int) -> None:
    """Every mutation family of the fuzz run (chars, lines, digits, whitespace, controls, CJK, Traditional ...)."""
    run_text(TEXT_FAMILIES[family](random.Random(seed), base_text(base)))


NUMBERS = st.one_of(
    st.integers(min_value=-(10**60), max_value=10**60).map(str),
    st.sampled_from(HUGE_NUMBERS + NAN_INF),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text("0123456789", min_size=1, max_size=5000),
    st.text("0123456789,.+-eE万元件 ", min_size=1, max_size=12),
)


@FAST
@given(numbers=st.lists(NUMBERS, min_size=1, max_size=12), base=st.integers(0, 2))
def test_odd_numbers_in_table_cells(numbers: list[str], base: int) -> None:
    """Huge integers (2**53 + 1, 10**40, 5,000-digit runs), 1e309, NaN and inf look-alikes in the cells."""
    run_text(replace_numbers(clean_text(base), numbers))


@FAST
@given(piece=st.text(max_size=60), where=st.floats(0, 1), base=st.integers(0, BASES - 1))
def test_text_inserted_anywhere(piece: str, where: float, base: int) -> None:
    text = base_text(base)
    at = int(where * len(text))
    run_text(text[:at] + piece + text[at:])


@pytest.mark.parametrize("run", [" " * 20_000, " " * 40_000, "\t" * 20_000, "\u3000" * 20_000, "7" * 5000])
def test_long_runs_inside_a_table(run: str) -> None:
    lines = clean_text(0).split("\n")
    row = next(i for i, line in enumerate(lines) if "\t" in line)
    lines.insert(row + 2, run)
    run_text("\n".join(lines))


@settings(FAST, max_examples=12)
@given(family=st.sampled_from(sorted(TEXT_FAMILIES)), seed=st.integers(0, 2**32 - 1), which=st.integers(0, 4))
def test_mutated_seed_reports(seeds_dir: Path, family: str, seed: int, which: int) -> None:
    """The same mutations on the real seed reports (read from ../shared/seeds at run time, never copied)."""
    seeds = sorted(seeds_dir.glob("*.txt"))
    text = seeds[which % len(seeds)].read_text(encoding="utf-8")
    run_text(TEXT_FAMILIES[family](random.Random(seed), text))


# ---- the readers -------------------------------------------------------------------------------------------

_MAGIC = {
    ".docx": b"PK\x03\x04",
    ".pdf": b"%PDF-1.7\n",
    ".png": b"\x89PNG\r\n\x1a\n",
    ".html": b"<html><table><tr><td>",
    ".txt": b"",
    ".md": b"|",
}


@FILES
@given(suffix=st.sampled_from(SUFFIXES), data=st.binary(max_size=4096), magic=st.booleans())
def test_random_bytes_under_every_suffix(suffix: str, data: bytes, magic: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"random{suffix}"
        path.write_bytes((_MAGIC[suffix] if magic else b"") + data)
        run_file(path)


@FILES
@given(suffix=st.sampled_from((".docx", ".pdf", ".html")), cut=st.floats(0, 1), base=st.integers(0, 1))
def test_truncated_real_files(suffix: str, cut: float, base: int) -> None:
    """A DOCX (python-docx), PDF (reportlab) or HTML made from a generated report, cut short."""
    data = made_file(suffix, base)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"cut{suffix}"
        path.write_bytes(data[: int(cut * len(data))])
        run_file(path)


@FILES
@given(suffix=st.sampled_from((".docx", ".pdf", ".html")), seed=st.integers(0, 2**32 - 1))
def test_damaged_real_files(suffix: str, seed: int) -> None:
    rng = random.Random(seed)
    data = bytearray(made_file(suffix, 0))
    for _ in range(rng.randint(1, 20)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"damaged{suffix}"
        path.write_bytes(bytes(data))
        run_file(path)


def test_whole_real_files_are_read() -> None:
    """The files the reader properties cut and damage are real: whole, each gives the report's tables."""
    for suffix in (".docx", ".pdf", ".html"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"whole{suffix}"
            path.write_bytes(made_file(suffix, 0))
            assert run_file(path).status != "failed", suffix


@FILES
@given(
    encoding=st.sampled_from(ENCODINGS),
    suffix=st.sampled_from((".txt", ".md", ".html")),
    charset=st.sampled_from(("same", "none", "other")),
    cut=st.one_of(st.none(), st.floats(0, 1)),
)
def test_encodings(encoding: str, suffix: str, charset: str, cut: float | None) -> None:
    """GB18030, GBK, Big5, UTF-16 with and without BOM, UTF-32, Shift-JIS, Latin-1; sometimes cut mid-character."""
    meta = {"same": encoding, "none": None, "other": "utf-8"}[charset]
    data = encode_report(clean_text(0), encoding, html=suffix == ".html", charset=meta)
    if cut is not None:
        data = data[: int(cut * len(data))]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"encoded{suffix}"
        path.write_bytes(data)
        run_file(path)


@pytest.mark.parametrize("encoding", LOSSLESS_ENCODINGS)
@pytest.mark.parametrize("suffix", [".txt", ".html"])
def test_lossless_encodings_read_the_same_cells(tmp_path: Path, encoding: str, suffix: str) -> None:
    """A report saved in GB18030 or UTF-16/32 (BOM or not) gives the same cells as in UTF-8."""
    html = suffix == ".html"
    reference = tmp_path / f"utf8{suffix}"
    reference.write_bytes(encode_report(clean_text(0), "utf-8", html=html, charset="utf-8"))
    other = tmp_path / f"other{suffix}"
    other.write_bytes(encode_report(clean_text(0), encoding, html=html, charset=None))
    expected = {c.key: c.value for c in run_file(reference).cells}
    assert expected
    assert {c.key: c.value for c in run_file(other).cells} == expected
