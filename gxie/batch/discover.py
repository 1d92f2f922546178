"""Which files a batch run takes: files, folders (recursively) and glob patterns; content hashes.

A batch keys each result row by the sha256 of the file's bytes, so a rerun recognises finished work
whatever the file is called now (an unreadable file by its resolved path: ``gxie.batch.journal``).
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path

from gxie.export import TABLE_FORMATS, TABLE_NAMES

RESULTS_FILE = "results.jsonl"
SUMMARY_FILE = "summary.json"
LOCK_FILE = ".gxie.lock"  # held by the run writing into the folder (gxie.batch.lock)
# Files a run writes into its output folder; discover() never takes them as inputs.
OUTPUT_FILES: frozenset[str] = frozenset(
    {RESULTS_FILE, SUMMARY_FILE, LOCK_FILE} | {f"{name}.{fmt}" for name in TABLE_NAMES for fmt in TABLE_FORMATS}
)
_GLOB_CHARS = re.compile(r"[*?\[]")


def discover(inputs: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The files named by ``inputs``: files, folders (recursively) and glob patterns, in a stable order.

    Folders and globs skip hidden files and folders, Office lock files (``~$…``) and gxie's own output
    files; a file named explicitly is always taken. Files of any type are kept: an unsupported one gets
    a failed row saying why. Raises ``FileNotFoundError`` for an input that names nothing.

    >>> discover(["reports/", "extra/*.pdf"])  # doctest: +SKIP
    [PosixPath('reports/a.txt'), PosixPath('reports/sub/b.docx'), PosixPath('extra/c.pdf')]
    """
    found: dict[Path, None] = {}
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found.update(dict.fromkeys(_walk(path)))
        elif path.exists() or path.is_symlink():  # a dangling link is listed: it gets a failed row
            found[path] = None
        elif _GLOB_CHARS.search(str(item)):
            matches = [Path(m) for m in sorted(glob.glob(str(item), recursive=True))]
            files = [f for m in matches for f in (_walk(m) if m.is_dir() else [m]) if _wanted(f.name)]
            if not files:
                raise FileNotFoundError(f"the pattern {str(item)!r} matched no files; check the path and quoting")
            found.update(dict.fromkeys(files))
        else:
            raise FileNotFoundError(
                f"input {str(item)!r} does not exist; give existing files, folders or glob patterns "
                "such as 'reports/**/*.pdf'"
            )
    return list(found)


def _wanted(name: str) -> bool:
    return not name.startswith((".", "~$")) and name not in OUTPUT_FILES


def _walk(folder: Path) -> list[Path]:
    files: list[Path] = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        files.extend(Path(root) / n for n in sorted(names) if _wanted(n))
    return files


def file_sha256(path: str | os.PathLike[str]) -> str:
    """sha256 hex digest of a regular file's bytes (the key of its row in ``results.jsonl``); ``OSError`` for a
    pipe, a device, a socket or a folder (``NotARegularFileError``), without waiting on it."""
    from gxie.readers import open_regular

    digest = hashlib.sha256()
    with open_regular(path) as f:  # a pipe or a device raises OSError at once instead of waiting
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
