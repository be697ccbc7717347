"""What a paper cites: LICENSE, CITATION.cff, and one version number everywhere (CMakeLists.txt's project
VERSION, CITATION.cff's `version`, `haven --version`, the run file's `source` attribute).

Run by CTest (test `python_output_tools`) or by hand from the repository root:
  HAVEN_BIN=build/default/bin/haven /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/python/test_release.py
"""

from __future__ import annotations

import datetime
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def project_version() -> str:
    match = re.search(r"project\(\s*haven\s+VERSION\s+([0-9.]+)", (ROOT / "CMakeLists.txt").read_text())
    assert match, "CMakeLists.txt: no `project(haven VERSION x.y.z ...)`"
    return match.group(1)


def citation() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text())


def test_citation_cff_is_valid_and_names_the_project_version():
    cff = citation()
    # The keys CFF 1.2.0 requires, and those a citation needs.
    for key in ("cff-version", "message", "title", "authors", "version", "date-released", "license"):
        assert key in cff, f"CITATION.cff lacks `{key}`"
    assert cff["cff-version"] == "1.2.0"
    assert str(cff["version"]) == project_version(), "CITATION.cff's version must equal CMakeLists.txt's VERSION"
    assert isinstance(cff["date-released"], datetime.date)
    assert cff["license"] == "BSD-3-Clause"
    assert cff["authors"] and all(isinstance(a, dict) and (a.get("name") or a.get("family-names"))
                                  for a in cff["authors"])


def test_license_is_the_one_citation_cff_names():
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("BSD 3-Clause License") and "The Haven developers" in text
    assert citation()["license"] == "BSD-3-Clause"


def test_readme_says_how_to_cite():
    readme = (ROOT / "README.md").read_text()
    assert "## Citing Haven" in readme and "CITATION.cff" in readme
    assert f"version {project_version()}" in readme


def test_haven_version_is_the_project_version():
    binary = Path(os.environ.get("HAVEN_BIN") or ROOT / "build" / "default" / "bin" / "haven")
    if not binary.is_file():
        pytest.fail(f"haven binary not found at {binary}: set HAVEN_BIN (CTest does) or build the default preset")
    result = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"haven {project_version()} (commit "), result.stdout
