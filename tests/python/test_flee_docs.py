"""Every command of docs/flee.md's first sh block runs as written (the `bad` folder's exits with code 2).

They run in a scratch directory laid out like the repository (tests/data/flee linked, an output/ folder), with
the built haven first on PATH, so that nothing is written into the checkout.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def commands() -> list[str]:
    text = (ROOT / "docs" / "flee.md").read_text()
    block = re.search(r"^```sh\n(.*?)^```", text, flags=re.S | re.M).group(1)
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    binary = Path(os.environ.get("HAVEN_BIN") or ROOT / "build" / "default" / "bin" / "haven")
    if not binary.is_file():
        pytest.fail(f"haven binary not found at {binary}: set HAVEN_BIN (CTest does) or build the default preset")
    work = tmp_path_factory.mktemp("flee_docs")
    (work / "tests" / "data").mkdir(parents=True)
    (work / "tests" / "data" / "flee").symlink_to(ROOT / "tests" / "data" / "flee")
    (work / "output").mkdir()
    (work / "bin").mkdir()
    (work / "bin" / "haven").symlink_to(binary.resolve())
    return work


def test_the_page_shows_commands():
    assert len(commands()) >= 5


@pytest.mark.parametrize("command", commands())
def test_command_runs_as_written(workspace, command):
    env = {**os.environ, "PATH": f"{workspace / 'bin'}:{os.environ.get('PATH', '')}"}
    result = subprocess.run(command, shell=True, cwd=workspace, env=env, capture_output=True, text=True, timeout=300)
    expected = 2 if "flee/bad" in command else 0
    assert result.returncode == expected, f"{command}\n{result.stdout}\n{result.stderr}"
