"""Chinese out of the box (H8): the catalogues are compiled by `make install`, by the package
build and, failing both, when the app starts; a read-only install compiles them elsewhere."""
from __future__ import annotations

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

from webui.catalogs import compile_all, ensure_compiled

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "webui" / "translations"


def _chinese(mo: Path) -> str:
    with mo.open("rb") as handle:
        return gettext.GNUTranslations(handle).gettext("Staff sign-in")


def test_make_install_compiles_the_catalogues():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    install = next(line for line in makefile.splitlines() if line.startswith("install:"))
    assert "$(CATALOGS)" in install.split(":", 1)[1]


def test_the_package_build_puts_compiled_catalogues_in_the_package(tmp_path):
    """`setup.py build_py` (what a wheel is made of) from a checkout that has no .mo file."""
    tree = tmp_path / "src"
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split()
    for name in files:
        if name.endswith(".mo") or not (ROOT / name).is_file():
            continue
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, tree / name)
    assert not list(tree.rglob("*.mo"))
    built = tmp_path / "lib"
    subprocess.run([sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(built)],
                   cwd=tree, check=True, capture_output=True)
    mo = built / "webui" / "translations" / "zh" / "LC_MESSAGES" / "messages.mo"
    assert _chinese(mo) == "员工登录"


def test_the_app_compiles_a_missing_or_stale_catalogue_at_start(tmp_path):
    root = tmp_path / "translations"
    shutil.copytree(SOURCE, root, ignore=shutil.ignore_patterns("*.mo"))
    po = root / "zh" / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    assert ensure_compiled(tmp_path / "fallback", root) is None
    assert _chinese(mo) == "员工登录"
    assert compile_all(root) == []  # up to date: nothing to do at the next start

    text = po.read_text(encoding="utf-8").replace('msgstr "员工登录"', 'msgstr "员工登入"')
    po.write_text(text, encoding="utf-8")
    os.utime(mo, (po.stat().st_mtime - 10,) * 2)  # the .po changed after the .mo was made
    assert ensure_compiled(tmp_path / "fallback", root) is None
    assert _chinese(mo) == "员工登入"


def test_a_read_only_install_compiles_into_the_instance_folder(tmp_path):
    root = tmp_path / "translations"
    shutil.copytree(SOURCE, root, ignore=shutil.ignore_patterns("*.mo"))
    po = root / "zh" / "LC_MESSAGES" / "messages.po"
    # A directory where the .mo would go cannot be replaced by a file: writing there fails
    # as it does in a read-only site-packages (the tests may run as root, where chmod won't).
    blocker = po.with_suffix(".mo")
    blocker.mkdir()
    os.utime(blocker, (po.stat().st_mtime - 10,) * 2)
    fallback = tmp_path / "instance" / "translations"
    assert ensure_compiled(fallback, root) == fallback
    assert _chinese(fallback / "zh" / "LC_MESSAGES" / "messages.mo") == "员工登录"
