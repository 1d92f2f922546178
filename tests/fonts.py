"""The CJK font the tests draw Chinese with, found through fontconfig rather than a fixed path.

``cjk_font()`` asks ``fc-match`` for WenQuanYi Micro Hei (the font the benchmarks were made with), then
for any font fontconfig says covers Chinese (``:lang=zh``); ``needs_cjk_font`` skips a test, naming what
to install, when there is none.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

CJK_FAMILY = "WenQuanYi Micro Hei"
# Where Debian puts it: used only when fontconfig's command-line tools are missing.
KNOWN_PATHS: tuple[Path, ...] = (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),)
INSTALL_HINT = "apt-get install fonts-wqy-microhei (or any CJK font fontconfig lists for :lang=zh)"


def _fontconfig(*args: str) -> list[str]:
    """Lines printed by a fontconfig tool, or none when it is missing or fails."""
    if shutil.which(args[0]) is None:
        return []
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.strip() for line in done.stdout.splitlines() if line.strip()] if done.returncode == 0 else []


@cache
def cjk_font() -> Path | None:
    """A font file that covers Chinese: fc-match's pick for WenQuanYi Micro Hei, then for ``:lang=zh``,
    each only if ``fc-list :lang=zh`` lists it (fc-match falls back to a Latin font); None when none.

    >>> cjk_font()  # doctest: +SKIP
    PosixPath('/usr/share/fonts/truetype/wqy/wqy-microhei.ttc')
    """
    chinese = _fontconfig("fc-list", "-f", "%{file}\n", ":lang=zh")
    if not chinese and shutil.which("fc-list") is None:
        return next((p for p in KNOWN_PATHS if p.is_file()), None)
    for pattern in (CJK_FAMILY, ":lang=zh"):
        matched = _fontconfig("fc-match", "-f", "%{file}\n", pattern)
        if matched and matched[0] in chinese:
            return Path(matched[0])
    return Path(sorted(chinese)[0]) if chinese else None


def cjk_font_path() -> Path:
    """``cjk_font()``, or skip the calling test saying what to install."""
    font = cjk_font()
    if font is None:
        pytest.skip(f"no CJK font found (fc-match {CJK_FAMILY!r}, fc-list :lang=zh): {INSTALL_HINT}")
    return font


needs_cjk_font = pytest.mark.skipif(
    cjk_font() is None, reason=f"no CJK font found (fc-match {CJK_FAMILY!r}, fc-list :lang=zh): {INSTALL_HINT}"
)
