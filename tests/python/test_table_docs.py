"""docs/scenario-format.md's section on CSV tables: every command of its sh block runs as written, and the JSON
Schema (`haven schema`) accepts a table reference where it accepts a list.

The commands run in a scratch directory laid out like the repository (scenarios/ linked, an output/ folder), with
the built haven first on PATH, so that nothing is written into the checkout.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Tables: nodes, corridors and events from CSV files"


def commands() -> list[str]:
    text = (ROOT / "docs" / "scenario-format.md").read_text()
    section = text[text.index(SECTION):]
    block = re.search(r"^```sh\n(.*?)^```", section, flags=re.S | re.M).group(1)
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def binary() -> Path:
    path = Path(os.environ.get("HAVEN_BIN") or ROOT / "build" / "default" / "bin" / "haven")
    if not path.is_file():
        pytest.fail(f"haven binary not found at {path}: set HAVEN_BIN (CTest does) or build the default preset")
    return path


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("table_docs")
    (work / "scenarios").symlink_to(ROOT / "scenarios")
    (work / "output").mkdir()
    (work / "bin").mkdir()
    (work / "bin" / "haven").symlink_to(binary().resolve())
    return work


def test_the_section_shows_commands():
    assert len(commands()) >= 4


@pytest.mark.parametrize("command", commands())
def test_command_runs_as_written(workspace, command):
    env = {**os.environ, "PATH": f"{workspace / 'bin'}:{os.environ.get('PATH', '')}"}
    result = subprocess.run(command, shell=True, cwd=workspace, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"


def test_the_schema_takes_a_table_where_it_takes_a_list():
    schema = json.loads(subprocess.run([str(binary()), "schema"], capture_output=True, text=True,
                                       check=True).stdout)
    for section in ("nodes", "corridors", "events"):
        validator = jsonschema.Draft202012Validator({**schema["properties"][section], "$defs": schema["$defs"]})
        assert validator.is_valid({"csv": "valley_tables/nodes.csv"}), section
        assert not validator.is_valid({"cvs": "nodes.csv"}), section
        assert not validator.is_valid({"csv": "a.csv", "sheet": 1}), section
    assert jsonschema.Draft202012Validator({**schema["properties"]["events"], "$defs": schema["$defs"]}).is_valid(
        [{"kind": "capture", "node": "a", "day": 3}])
