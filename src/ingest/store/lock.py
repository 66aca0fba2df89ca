"""One writer at a time: an advisory lock file next to the database.

flock is released by the kernel when the holder dies (even by SIGKILL), so a crashed run never
leaves a stale lock behind, while a second concurrent run is refused with a clear message.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class RunLocked(Exception):
    pass


class WriterLock:
    def __init__(self, db_path: str | Path):
        self.path = Path(f"{db_path}.lock")
        self._fh = None

    def __enter__(self) -> WriterLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            fh.close()
            raise RunLocked(
                f"another pipeline run is writing {self.path.with_suffix('')} (lock held by "
                f"pid {holder}); wait for it to finish or stop it first"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None
