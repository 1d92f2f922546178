"""The test set-up itself: what a run says without the seed reports, that CI fails without them, the font finder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import fonts
from tests.conftest import ROOT, on_ci

SEED_TEST = "tests/test_normalize.py::test_seeds_normalize_cleanly"  # one quick test that reads the seeds


def pytest_run(tmp_path: Path, ci: str) -> subprocess.CompletedProcess[str]:
    """Run the seed test in a fresh pytest, with the seeds looked for in a folder that does not exist."""
    env = {**os.environ, "GXIE_SEEDS": str(tmp_path / "no-seeds"), "CI": ci, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", SEED_TEST]
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_missing_seeds_are_said_once_at_the_end(tmp_path: Path) -> None:
    done = pytest_run(tmp_path, ci="")
    assert done.returncode == 0, done.stdout + done.stderr
    line = (
        f"gxie: seed reports not found at {tmp_path / 'no-seeds'}: the tests that read the five real reports "
        "are skipped; put them in ../shared/seeds beside the repository, or set GXIE_SEEDS to their folder"
    )
    lines = done.stdout.splitlines()
    assert lines.count(line) == 1
    at = lines.index(line)
    assert "short test summary info" in lines[at + 1]
    assert lines[at + 2].startswith("SKIPPED [1] tests/conftest.py:")
    assert lines[at + 2].endswith(f": seed reports not found at {tmp_path / 'no-seeds'} (see the note above)")
    assert "1 skipped" in lines[at + 3] and len(lines) == at + 4


@pytest.mark.parametrize(
    ("value", "expected"), [("true", True), ("1", True), ("YES", True), ("", False), ("false", False), ("0", False)]
)
def test_which_ci_values_count(value: str, expected: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", value)
    assert on_ci() is expected


def test_on_ci_missing_seeds_stop_the_run(tmp_path: Path) -> None:
    ci = "true"
    done = pytest_run(tmp_path, ci=ci)
    assert done.returncode == pytest.ExitCode.USAGE_ERROR == 4
    message = (
        f"CI={ci}: seed reports not found at {tmp_path / 'no-seeds'}; on CI the tests that read them must run, "
        "not be skipped: put them in ../shared/seeds beside the repository, or set GXIE_SEEDS to their folder"
    )
    assert message in done.stdout + done.stderr
    assert "collected" not in done.stdout and "1 skipped" not in done.stdout  # stopped before collecting


# --- the CJK font --------------------------------------------------------------------------------------


def fake_fontconfig(folder: Path, chinese: list[str], match: dict[str, str]) -> None:
    """``fc-list`` printing ``chinese`` and ``fc-match`` printing ``match[pattern]`` (else a Latin font)."""
    folder.mkdir(parents=True, exist_ok=True)
    listing = "".join(f"{path}\n" for path in chinese)
    (folder / "fc-list").write_text(f"#!/bin/sh\nprintf '%s' '{listing}'\n", encoding="utf-8")
    cases = "".join(f'  "{pattern}") echo "{path}" ;;\n' for pattern, path in match.items())
    script = f'#!/bin/sh\nfor last; do :; done\ncase "$last" in\n{cases}  *) echo /fonts/DejaVuSans.ttf ;;\nesac\n'
    (folder / "fc-match").write_text(script, encoding="utf-8")
    for tool in ("fc-list", "fc-match"):
        (folder / tool).chmod(0o755)


@pytest.mark.parametrize(
    ("chinese", "match", "expected"),
    [
        (["/fonts/noto.ttc", "/fonts/wqy.ttc"], {fonts.CJK_FAMILY: "/fonts/wqy.ttc"}, "/fonts/wqy.ttc"),
        (["/fonts/noto.ttc", "/fonts/ukai.ttc"], {":lang=zh": "/fonts/ukai.ttc"}, "/fonts/ukai.ttc"),
        (["/fonts/zz.ttc", "/fonts/aa.ttc"], {}, "/fonts/aa.ttc"),  # fc-match picks Latin fonts: the first listed
        ([], {fonts.CJK_FAMILY: "/fonts/DejaVuSans.ttf"}, None),
    ],
)
def test_the_cjk_font_comes_from_fontconfig(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chinese: list[str], match: dict[str, str], expected: str | None
) -> None:
    fake_fontconfig(tmp_path / "bin", chinese, match)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    found = fonts.cjk_font.__wrapped__()
    assert found == (Path(expected) if expected else None)


def test_without_fontconfig_the_known_path_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    known = tmp_path / "wqy-microhei.ttc"
    monkeypatch.setattr(fonts, "KNOWN_PATHS", (tmp_path / "missing.ttc", known))
    assert fonts.cjk_font.__wrapped__() is None
    known.write_bytes(b"font")
    assert fonts.cjk_font.__wrapped__() == known
