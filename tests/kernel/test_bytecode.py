"""Installed packages carry current bytecode, made by scripts/setup.sh at install time: a
process starts as fast where it may not write .pyc files (PYTHONDONTWRITEBYTECODE=1, CI, a
read-only image) as where it may, instead of compiling every module it imports at each start."""

from __future__ import annotations

import importlib.util
import sys
import sysconfig
from pathlib import Path


def pyc_is_current(source: Path) -> bool:
    """Whether the __pycache__ .pyc of `source` exists and Python would use it as it is."""
    pyc = source.parent / "__pycache__" / f"{source.stem}.{sys.implementation.cache_tag}.pyc"
    try:
        header = pyc.read_bytes()[:16]
    except FileNotFoundError:
        return False
    if header[:4] != importlib.util.MAGIC_NUMBER:
        return False
    flags = int.from_bytes(header[4:8], "little")
    if flags & 0b1:  # hash-based: only a checked hash can be current, never an unchecked one
        return bool(flags & 0b10) and header[8:16] == importlib.util.source_hash(
            source.read_bytes()
        )
    stat = source.stat()
    return (
        int.from_bytes(header[8:12], "little") == int(stat.st_mtime) & 0xFFFFFFFF
        and int.from_bytes(header[12:16], "little") == stat.st_size & 0xFFFFFFFF
    )


def test_every_installed_module_this_process_imported_has_current_bytecode() -> None:
    # given the modules of installed packages that the test run imported (Django, Celery, ...)
    site_packages = Path(sysconfig.get_paths()["purelib"]).resolve()
    sources = {
        Path(module.__file__).resolve()
        for module in list(sys.modules.values())
        if getattr(module, "__file__", None) and str(module.__file__).endswith(".py")
    }
    installed = sorted(path for path in sources if path.is_relative_to(site_packages))
    assert len(installed) > 100
    # then each has a .pyc that Python uses without compiling its source again
    stale = [str(path.relative_to(site_packages)) for path in installed if not pyc_is_current(path)]
    assert stale == [], f"{len(stale)} modules without current bytecode, e.g. {stale[:5]}"
