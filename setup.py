"""The rule pack and scorecards go into the wheel as package data (``audit/packdata/``), so that a non-editable
install (a container, a Ray worker, ``pip install`` of a built wheel) can audit. People edit them where they are,
in ``lexicons/``, ``scorecards/`` and ``plans/`` at the top of the checkout; everything else is in pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DATA_FOLDERS = ("lexicons", "scorecards", "plans")


class BuildWithRulePack(build_py):
    def run(self):
        super().run()
        here = Path(__file__).resolve().parent
        for folder in DATA_FOLDERS:
            target = Path(self.build_lib) / "audit" / "packdata" / folder
            shutil.rmtree(target, ignore_errors=True)  # a file deleted from the checkout must not ship from an old build
            shutil.copytree(here / folder, target)


setup(cmdclass={"build_py": BuildWithRulePack})
