"""On-disk cache of compiled modules, safe across processes.

Layout: ``<compiledir>/c/<key[:2]>/<key>/`` holding the module's ``.so``, its C source and
a ``DONE`` marker written last. Building takes an exclusive ``flock`` on ``<key>.lock``;
the module is built in a temporary folder and renamed into place, so readers never see a
half-written entry. An entry that fails to load is removed and rebuilt.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

CACHE_VERSION = "1"


def cache_root() -> Path:
    from symcore.config import config

    return Path(config.compiledir) / "c"


def make_key(*parts: str) -> str:
    h = hashlib.sha256()
    h.update(CACHE_VERSION.encode())
    for p in parts:
        h.update(b"\0")
        h.update(p.encode())
    return h.hexdigest()


@dataclass
class Entry:
    key: str
    path: Path

    @property
    def done(self) -> bool:
        return (self.path / "DONE").exists()

    def module_file(self, name: str | None = None) -> Path | None:
        """The entry's extension module: ``name`` when it is there (no directory scan),
        else the first ``*.so``/``*.pyd`` file."""
        if name is not None:
            f = self.path / name
            if f.is_file():
                return f
        for pattern in ("*.so", "*.pyd"):
            for f in self.path.glob(pattern):
                return f
        return None


def entry_for(key: str, root: Path | None = None) -> Entry:
    root = cache_root() if root is None else root
    return Entry(key, root / key[:2] / key)


@contextlib.contextmanager
def locked(entry: Entry, timeout: float = 600.0) -> Iterator[None]:
    """Hold an exclusive lock for building ``entry`` (other processes wait)."""
    entry.path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = entry.path.parent / (entry.key + ".lock")
    with open(lock_path, "a+") as fh:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"waited {timeout:.0f}s for the compile lock {lock_path}"
                    ) from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def publish(entry: Entry, build: Callable[[Path], None]) -> None:
    """Run ``build(tmpdir)``, move its result into ``entry`` atomically (caller holds the lock)."""
    entry.path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=entry.key[:16] + ".", dir=entry.path.parent))
    try:
        build(tmp)
        (tmp / "DONE").write_text(time.strftime("%Y-%m-%dT%H:%M:%S"))
        if entry.path.exists():
            shutil.rmtree(entry.path, ignore_errors=True)
        os.replace(tmp, entry.path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def remove(entry: Entry) -> None:
    shutil.rmtree(entry.path, ignore_errors=True)


def list_entries(root: Path | None = None) -> list[dict]:
    """Cache entries with their size, age and whether they are complete."""
    root = cache_root() if root is None else root
    out = []
    if not root.exists():
        return out
    for sub in sorted(root.iterdir()):
        if not sub.is_dir():
            continue
        for d in sorted(sub.iterdir()):
            if not d.is_dir() or "." in d.name:
                continue
            size = sum(f.stat().st_size for f in d.iterdir() if f.is_file())
            out.append(
                {
                    "key": d.name,
                    "path": str(d),
                    "bytes": size,
                    "complete": (d / "DONE").exists(),
                    "mtime": d.stat().st_mtime,
                }
            )
    return out


def clear(root: Path | None = None) -> int:
    """Delete every entry; returns how many were removed."""
    root = cache_root() if root is None else root
    n = len(list_entries(root))
    if root.exists():
        shutil.rmtree(root, ignore_errors=True)
    return n
