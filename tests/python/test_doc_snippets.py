"""Every Python snippet the README and docs/output-format.md show runs as written, against a real run file; the
README's `$ haven ...` transcripts print what they show.

The snippets open `output/valley.h5` and import from `tools/python`, relative to the repository root; the test
runs each in a fresh interpreter in a scratch directory laid out the same way (tools/python linked, the run file
written by the built haven), so that nothing is written into the checkout.

Run by CTest (test `python_output_tools`) or by hand from the repository root:
  HAVEN_BIN=build/default/bin/haven /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/python/test_doc_snippets.py
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON = "/usr/bin/python3"
DOCUMENTS = ["README.md", "docs/output-format.md"]


def python_snippets(document: str) -> list[tuple[int, str]]:
    """(line, code) of every ```python block of `document`."""
    text = (ROOT / document).read_text()
    return [(text.count("\n", 0, m.start()) + 2, m.group(1))
            for m in re.finditer(r"^```python\n(.*?)^```", text, flags=re.S | re.M)]


SNIPPETS = [(document, line, code) for document in DOCUMENTS for line, code in python_snippets(document)]


def test_the_documents_have_snippets():
    assert {document for document, _, _ in SNIPPETS} == set(DOCUMENTS)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    binary = Path(os.environ.get("HAVEN_BIN") or ROOT / "build" / "default" / "bin" / "haven")
    if not binary.is_file():
        pytest.fail(f"haven binary not found at {binary}: set HAVEN_BIN (CTest does) or build the default preset")
    work = tmp_path_factory.mktemp("snippets")
    (work / "tools").mkdir()
    (work / "tools" / "python").symlink_to(ROOT / "tools" / "python")
    (work / "output").mkdir()
    result = subprocess.run([str(binary.resolve()), "run", str(ROOT / "scenarios" / "examples" / "valley.yaml"),
                             "-o", str(work / "output" / "valley.h5"), "--quiet"], cwd=work, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return work


@pytest.mark.parametrize("document,line,code", SNIPPETS, ids=[f"{d}:{n}" for d, n, _ in SNIPPETS])
def test_snippet_runs_as_written(workspace, document, line, code):
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg"}
    result = subprocess.run([PYTHON, "-c", code], cwd=workspace, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, f"{document}:{line}: the snippet fails:\n{code}\n{result.stderr}"


def haven_transcripts(document: str) -> list[tuple[int, str, str]]:
    """(line, command, what it prints) of every ``` block of `document` that starts with `$ haven ...`."""
    text = (ROOT / document).read_text()
    return [(text.count("\n", 0, m.start()) + 2, m.group(1), m.group(2))
            for m in re.finditer(r"^```\n\$ (haven [^\n]*)\n(.*?)^```", text, flags=re.S | re.M)]


def test_the_readmes_transcripts_are_what_haven_prints():
    """A transcript the README shows (`$ haven check docs/examples/bad.yaml` and what it says) is what the built
    haven prints for it, word for word, with exit code 2 for an error."""
    transcripts = haven_transcripts("README.md")
    assert [command for _, command, _ in transcripts] == ["haven check docs/examples/bad.yaml"]
    binary = Path(os.environ.get("HAVEN_BIN") or ROOT / "build" / "default" / "bin" / "haven").resolve()
    for line, command, shown in transcripts:
        result = subprocess.run([str(binary), *command.split()[1:]], cwd=ROOT, capture_output=True, text=True,
                                timeout=60)
        assert result.stdout + result.stderr == shown, f"README.md:{line}: {command}"
        assert result.returncode == (2 if "error:" in shown else 0), f"README.md:{line}: {command}"


def test_the_readmes_run_excerpt_is_what_haven_run_prints(tmp_path):
    """The lines the README shows of `haven run scenarios/examples/valley.yaml` ("..." for lines left out) are lines
    it prints, in that order: a model change that moves a figure moves the README with it."""
    text = (ROOT / "README.md").read_text()
    start = text.index("`haven run` prints what happened:")
    shown = re.search(r"^```\n(.*?)^```", text[start:], flags=re.S | re.M).group(1).splitlines()
    binary = Path(os.environ.get("HAVEN_BIN") or ROOT / "build" / "default" / "bin" / "haven").resolve()
    (tmp_path / "output").mkdir()
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    result = subprocess.run([str(binary), "run", "scenarios/examples/valley.yaml"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    printed = (result.stdout + result.stderr).splitlines()
    at = 0
    for line in (line for line in shown if line.strip() != "..."):
        assert line in printed[at:], f"README.md: '{line}' is not what haven run prints:\n" + "\n".join(printed)
        at = printed.index(line, at) + 1


# The README's list of commands, run as written in a scratch directory laid out like the checkout. Only the
# validation suite is left out: it runs every case 10 times (about a minute); test_suite.cpp runs it shortened.
SLOW_README_COMMANDS = {
    "haven validate --suite scenarios/validation/suite.yaml --runs 10 --csv output/validation.csv --overwrite"}


def readme_commands() -> list[tuple[int, str]]:
    """(line, command) of every `haven ...` line of the README's "Using it" block, its comment left out."""
    text = (ROOT / "README.md").read_text()
    start = text.index("## Using it")
    block = re.search(r"^```sh\n(.*?)^```", text[start:], flags=re.S | re.M)
    first_line = text.count("\n", 0, start + block.start()) + 2
    commands = []
    for k, line in enumerate(block.group(1).splitlines()):
        command = re.sub(r"\s+#.*$", "", line).strip()
        if command.startswith("haven "):
            commands.append((first_line + k, command))
    return commands


def test_the_readmes_commands_run_as_written(tmp_path):
    commands = readme_commands()
    assert len(commands) >= 10 and any(c.startswith("haven run ") for _, c in commands)
    binary = Path(os.environ.get("HAVEN_BIN") or ROOT / "build" / "default" / "bin" / "haven").resolve()
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "haven").symlink_to(binary)
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    (tmp_path / "output").mkdir()
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}", "OMP_NUM_THREADS": "2"}
    for line, command in commands:
        if command in SLOW_README_COMMANDS:
            continue
        result = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, f"README.md:{line}: {command}\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
    # Everything they write is under output/ (the checkout's git-ignored folder), nothing beside the scenarios.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "output", "scenarios"]
