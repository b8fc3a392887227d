"""Compiled message catalogues (.mo) from the .po files, so Chinese works out of the box (H8).

The .mo files are build products (git-ignored). They are compiled by `make install`, by the
package build (setup.py loads this file by path: it imports nothing of Huika), and, as a last
resort, when the app starts and finds a .mo missing or older than its .po (a fresh checkout
run without make, or a `git pull` that changed a .po). A read-only install gets its .mo
compiled into the instance folder instead, which the app then reads first.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def catalogue_sources(root: Path = TRANSLATIONS) -> list[Path]:
    return sorted(root.glob("*/LC_MESSAGES/*.po"))


def is_stale(po: Path, mo: Path) -> bool:
    try:
        return mo.stat().st_mtime < po.stat().st_mtime
    except FileNotFoundError:
        return True


def compile_catalogue(po: Path, mo: Path) -> None:
    """Write ``mo`` from ``po`` atomically (concurrent workers may compile at the same time)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalogue = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue)
    mo.parent.mkdir(parents=True, exist_ok=True)
    temporary = mo.with_name(f".{mo.name}.{os.getpid()}.tmp")
    temporary.write_bytes(buffer.getvalue())
    os.replace(temporary, mo)


def compile_all(root: Path = TRANSLATIONS, *, only_stale: bool = True) -> list[Path]:
    """Compile every catalogue under ``root`` next to its .po; the .mo files written."""
    written = []
    for po in catalogue_sources(root):
        mo = po.with_suffix(".mo")
        if not only_stale or is_stale(po, mo):
            compile_catalogue(po, mo)
            written.append(mo)
    return written


def ensure_compiled(fallback_root: Path, root: Path = TRANSLATIONS) -> Path | None:
    """Make every catalogue under ``root`` usable; the folder to read first, if not ``root``.

    A stale .mo beside its .po is recompiled in place; where the package folder cannot be
    written, the catalogues are compiled under ``fallback_root`` (same layout) instead.
    """
    stale = [po for po in catalogue_sources(root) if is_stale(po, po.with_suffix(".mo"))]
    if not stale:
        return None
    try:
        for po in stale:
            compile_catalogue(po, po.with_suffix(".mo"))
        return None
    except OSError:
        for po in catalogue_sources(root):
            target = fallback_root / po.relative_to(root).with_suffix(".mo")
            if is_stale(po, target):
                compile_catalogue(po, target)
        return fallback_root
