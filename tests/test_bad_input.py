"""Bad input never crashes and never loses data: every file gets a Report with a status and a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from gxie import extract, extract_many
from tests.makefiles import write_docx

REPORT_WITHOUT_TABLES = """青禾县统计局2021年政府信息公开工作年度报告
一、总体情况
2021年，我局认真落实政府信息公开条例，全年主动公开信息52条。
五、存在的主要问题及改进情况
公开内容还不够全面。
六、其他需要报告的事项
无。
"""
NOT_A_REPORT = "会议纪要\n本周三下午召开例会，讨论了食堂菜单和停车位分配。\n出席：12人。\n"


def _bad_files(tmp_path: Path, seeds_dir: Path | None = None) -> dict[str, Path]:
    files = {
        "empty": tmp_path / "empty.txt",
        "junk": tmp_path / "junk.txt",
        "big": tmp_path / "big.txt",
        "unsupported": tmp_path / "report.xls",
        "notreport": tmp_path / "minutes.txt",
        "notables": tmp_path / "no_tables.txt",
        "baddocx": tmp_path / "cut.docx",
        "badpdf": tmp_path / "cut.pdf",
    }
    files["empty"].write_bytes(b"")
    files["junk"].write_bytes(bytes(range(256)) * 64)
    with files["big"].open("wb") as f:  # 50 MB
        f.seek(50 * 1024 * 1024 - 1)
        f.write(b"x")
    files["unsupported"].write_bytes(b"\xd0\xcf\x11\xe0 not really excel")
    files["notreport"].write_text(NOT_A_REPORT, encoding="utf-8")
    files["notables"].write_text(REPORT_WITHOUT_TABLES, encoding="gb18030")
    docx = write_docx(REPORT_WITHOUT_TABLES, tmp_path / "whole.docx").read_bytes()
    files["baddocx"].write_bytes(docx[: len(docx) // 2])
    files["badpdf"].write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj << /Ty")
    return files


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("empty", "read_error"),
        ("junk", "read_error"),
        ("big", "limit_exceeded"),
        ("unsupported", "unsupported_format"),
        ("notreport", "no_tables"),
        ("notables", "no_tables"),
        ("baddocx", "read_error"),
        ("badpdf", "read_error"),
    ],
)
def test_bad_input_gives_failed_report_with_message(tmp_path: Path, name: str, code: str) -> None:
    path = _bad_files(tmp_path)[name]
    report = extract(path, tagger="rules")
    assert report.status == "failed"
    assert report.issues and report.issues[0].code == code, report.issues
    text = report.issues[0].message
    assert len(text) > 20 and (path.name in text or code == "no_tables" or path.suffix in text)
    assert report.to_dict()["status"] == "failed"


def test_report_without_tables_keeps_its_metadata(tmp_path: Path) -> None:
    report = extract(_bad_files(tmp_path)["notables"], tagger="rules")
    assert (report.agency, report.year) == ("青禾县统计局", 2021)
    assert [s.id for s in report.sections] == ["一", "五", "六"]


def test_wrong_encodings_give_the_same_grid(seeds_dir: Path, tmp_path: Path) -> None:
    text = (seeds_dir / "004_ee5ad72c821d4185.txt").read_text(encoding="utf-8")
    flats = []
    for enc in ("utf-8", "utf-8-sig", "gb18030", "utf-16"):
        path = tmp_path / f"r_{enc}.txt"
        path.write_bytes(text.encode(enc))
        flats.append(extract(path, tagger="rules").to_flat())
    assert all(f == flats[0] for f in flats)


def test_a_folder_mixing_bad_and_good_files_gives_one_report_each(seeds_dir: Path, tmp_path: Path) -> None:
    bad = _bad_files(tmp_path)
    good = [tmp_path / "good1.txt", tmp_path / "good2.txt"]
    for g, seed in zip(good, ("004_ee5ad72c821d4185.txt", "002_ef571e3a3626a800.txt"), strict=True):
        g.write_bytes((seeds_dir / seed).read_bytes())
    sources = [*bad.values(), *good]
    reports = list(extract_many(sources, tagger="rules", batch_size=3))
    assert [r.source for r in reports] == [str(s) for s in sources]
    assert [r.status for r in reports[-2:]] == ["ok", "partial"]
    assert all(r.status == "failed" for r in reports[:-2])
