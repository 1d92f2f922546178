"""One batch run per output folder: an exclusive lock on ``<out>/.gxie.lock``, held for the whole run.

The lock is an OS file lock (``flock`` on POSIX, ``msvcrt.locking`` on Windows) on an open file, so the
operating system drops it when the holding process ends in any way, ``kill -9`` included: there is never
a stale lock to remove by hand. The file itself stays; it holds the process id, host and start time of
the last run that took it, which a refused run quotes.

>>> with OutputLock("out"):  # doctest: +SKIP
...     pass  # nothing else can run a batch into out/ here
"""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path
from types import TracebackType

from gxie.batch.discover import LOCK_FILE
from gxie.errors import GxieError
from gxie.types import IssueCode


class OutputLocked(GxieError):
    """Another process is running a batch into the same output folder."""

    code = IssueCode.OUTPUT_LOCKED


class OutputLock:
    """Hold ``<folder>/.gxie.lock`` exclusively while inside ``with``; ``OutputLocked`` if another run has it.

    >>> with OutputLock("out") as lock:  # doctest: +SKIP
    ...     lock.path.name
    '.gxie.lock'
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.path = Path(folder) / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock now, or raise ``OutputLocked`` naming the process that holds it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _lock(fd)
        except OSError:
            holder = _holder(fd)
            os.close(fd)
            raise OutputLocked(
                f"the output folder {str(self.path.parent)!r} is in use by another gxie run ({holder}); "
                "wait for it to finish, stop it, or give another output folder"
            ) from None
        os.ftruncate(fd, 0)
        when = time.strftime("%Y-%m-%d %H:%M:%S")
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}, started {when}\n".encode())
        self._fd = fd

    def release(self) -> None:
        """Let the lock go (closing the file releases it)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def _holder(fd: int) -> str:
    """What the holder wrote into the lock file (it may not have written it yet)."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 500).decode("utf-8", "replace").strip()
    except OSError:  # Windows: the locked byte cannot be read by another process
        text = ""
    return text or "its process id could not be read"


if sys.platform == "win32":
    import msvcrt

    def _lock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # raises OSError when another process holds it

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises BlockingIOError when another process holds it
