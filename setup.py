"""The build step setup.cfg cannot say: compile the message catalogues into the package (H8).

The .mo files are git-ignored build products; without this a wheel built from a fresh
checkout would show an English UI. Metadata stays in setup.cfg.
"""
import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


def _catalogs():
    """webui/catalogs.py by its path: importing the webui package would need Flask at build time."""
    spec = importlib.util.spec_from_file_location("huika_catalogs", ROOT / "webui" / "catalogs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildWithCatalogues(build_py):
    def run(self):
        super().run()
        catalogs = _catalogs()
        source = ROOT / "webui" / "translations"
        target = Path(self.build_lib) / "webui" / "translations"
        for po in catalogs.catalogue_sources(source):
            catalogs.compile_catalogue(po, target / po.relative_to(source).with_suffix(".mo"))


setup(cmdclass={"build_py": BuildWithCatalogues})
