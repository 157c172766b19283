"""Command line: ``python -m symcore info | flags [--markdown] | cache list|clear``."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from symcore.config import config, markdown_table


def _size(path: Path) -> int:
    if path.is_file() or path.is_symlink():
        return path.lstat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() or p.is_symlink())


def _compiledir() -> Path:
    path = Path(config.compiledir).expanduser()
    resolved = path.resolve()
    if resolved in (Path("/").resolve(), Path.home().resolve()):
        raise SystemExit(f"refusing to touch compiledir={str(path)!r} (root or home directory)")
    return path


def cache_list() -> int:
    """Print the entries of ``config.compiledir`` with their sizes."""
    path = _compiledir()
    entries = sorted(path.iterdir()) if path.is_dir() else []
    print(f"compiledir: {path} ({len(entries)} entries)")
    for entry in entries:
        print(f"  {entry.name}{'/' if entry.is_dir() else ''}  {_size(entry)} bytes")
    return 0


def cache_clear() -> int:
    """Remove every entry of ``config.compiledir`` (the directory itself stays)."""
    path = _compiledir()
    entries = sorted(path.iterdir()) if path.is_dir() else []
    for entry in entries:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    print(f"removed {len(entries)} entries from {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m symcore")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("info", help="versions, plugins, backends, devices, compiler, BLAS, flags")
    flags = sub.add_parser("flags", help="list all flags")
    flags.add_argument("--markdown", action="store_true", help="print the README's flags table")
    cache = sub.add_parser("cache", help="inspect or empty config.compiledir")
    cache.add_argument("action", choices=["list", "clear"])
    args = parser.parse_args(argv)

    if args.command in (None, "info"):
        from symcore.info import format_info

        print(format_info())
        return 0
    if args.command == "flags":
        if args.markdown:
            print(markdown_table(config), end="")
        else:
            for info in config.describe():
                print(f"{info.name} = {config.get(info.name)!r}  ({info.allowed})\n    {info.doc}")
        return 0
    return cache_list() if args.action == "list" else cache_clear()


if __name__ == "__main__":
    sys.exit(main())
