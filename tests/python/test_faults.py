"""Faults as a user meets them: a full disk, a read-only output directory, an output path that is a directory, and
`kill -9` at random moments of a run and of a sweep. The promise each test holds (docs/reliability.md): never a
half-written final file, one clear line and exit code 1 (2 for a path the user got wrong), no crash, and no
`.partial` file left once the next run or sweep has finished.

Full and read-only disks are small tmpfs mounts: those tests need root (mount) and skip with a message otherwise.
Run by CTest (test `python_output_tools`) or by hand from the repository root:
  HAVEN_BIN=build/default/bin/haven /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/python/test_faults.py
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
VALLEY = ROOT / "scenarios" / "examples" / "valley.yaml"
IDLIB = ROOT / "scenarios" / "idlib_2018.yaml"

SWEEP = """sweep:
  name: fault_test
  scenario: {scenario}
  seed: 7
  replicates: 3
  days: 60
design:
  method: grid
  parameters:
    threat_kernel_km: [0.5, 2.0]
"""


def haven_bin() -> Path:
    path = Path(os.environ.get("HAVEN_BIN") or ROOT / "build" / "default" / "bin" / "haven")
    if not path.is_file():
        pytest.fail(f"haven binary not found at {path}: set HAVEN_BIN (CTest does) or build the default preset")
    return path.resolve()


def haven(*args: str | Path, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(haven_bin()), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env=env)


def full_disk_env() -> dict:
    """HDF5 1.10 cannot close a file whose flush failed: Haven then leaves the library's memory to the exiting
    process instead of crashing in HDF5's exit handler (sim/io/hdf5.cpp). In an ASan build that memory is reported
    as leaked, so leak detection is off for the full-disk runs only."""
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS", ""), "detect_leaks=0"]))
    return env


def partials(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if ".partial" in p.name or ".tmp" in p.name)


def assert_clean_failure(result: subprocess.CompletedProcess, message: str, code: int = 1) -> None:
    """Exit code `code` (never a signal), and stderr is exactly one line: `haven: error: ...message...`."""
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("haven: error: ") and message in lines[0], lines[0]


@contextlib.contextmanager
def tmpfs(directory: Path, size: str, read_only: bool = False):
    """A tmpfs of `size` mounted at `directory` for the test, unmounted afterwards; skips when mount is refused."""
    directory.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a small tmpfs (a full or read-only disk); run the suite as root to include it")
    options = f"size={size}" + (",ro" if read_only else "")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(directory)], capture_output=True,
                             text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}); a container without CAP_SYS_ADMIN?")
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], check=False)


def fill(directory: Path, leave_bytes: int = 4096) -> None:
    """Fills the file system holding `directory`, leaving about `leave_bytes` free."""
    free = shutil.disk_usage(directory).free
    if free > leave_bytes:
        with open(directory / "filler", "wb") as out:
            out.write(b"\0" * (free - leave_bytes))


def series(path: Path) -> np.ndarray:
    with h5py.File(path, "r") as f:
        return f["cumulative_displaced"][...]


# --- a full disk -------------------------------------------------------------------------------------------------


def test_full_disk_run_gives_one_line_and_leaves_nothing(tmp_path):
    with tmpfs(tmp_path / "disk", "64k") as disk:
        result = haven("run", VALLEY, "-o", disk / "x.h5", "--quiet", env=full_disk_env())
        assert_clean_failure(result, f"cannot write {disk / 'x.h5'}: No space left on device")
        assert list(disk.iterdir()) == []


def test_standard_output_that_cannot_be_written_is_an_error(tmp_path):
    """`haven schema > FILE` or `import-flee DIR -o -` on a full disk: said, and not a success."""
    for args in (["schema"], ["import-flee", str(ROOT / "tests" / "data" / "flee" / "good"), "-o", "-"], ["params"]):
        with open("/dev/full", "w") as full:
            result = subprocess.run([str(haven_bin()), *args], stdout=full, stderr=subprocess.PIPE, text=True,
                                    timeout=60)
        assert result.returncode == 1, (args, result.stderr)
        assert "haven: error: cannot write standard output" in result.stderr, (args, result.stderr)


def test_full_disk_run_overwrite_keeps_the_old_file(tmp_path):
    with tmpfs(tmp_path / "disk", "1m") as disk:
        target = disk / "x.h5"
        assert haven("run", VALLEY, "-o", target, "--quiet", "--days", "30").returncode == 0
        before = target.read_bytes()
        fill(disk)
        result = haven("run", VALLEY, "-o", target, "--quiet", "--overwrite", env=full_disk_env())
        assert_clean_failure(result, f"cannot write {target}: No space left on device")
        assert target.read_bytes() == before
        assert partials(disk) == []


def test_full_disk_sweep_records_failures_without_a_crash_or_an_hdf5_stack(tmp_path):
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(SWEEP.format(scenario=VALLEY))
    with tmpfs(tmp_path / "disk", "256k") as disk:
        result = haven("sweep", sweep, "-o", disk / "s", "-q", "-j", "2", env=full_disk_env())
        assert result.returncode == 1, result.stderr
        assert "HDF5" not in result.stderr
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert partials(disk) == []
        for note in (disk / "s" / "runs").glob("*.failed"):
            text = note.read_text()
            assert text == "" or "No space left on device" in text, text


def test_full_disk_gather_leaves_no_partial_ensemble(tmp_path):
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(SWEEP.format(scenario=VALLEY))
    with tmpfs(tmp_path / "disk", "2m") as disk:
        assert haven("sweep", sweep, "-o", disk / "s", "-q", "-j", "2").returncode == 0
        fill(disk, leave_bytes=8192)
        result = haven("gather", disk / "s", env=full_disk_env())
        assert_clean_failure(result, f"cannot write {disk / 's' / 'ensemble.h5'}: No space left on device")
        assert not (disk / "s" / "ensemble.h5").exists()
        assert partials(disk) == []


# --- a read-only output directory, an output path that is a directory -------------------------------------------------


def test_read_only_directory_is_refused_before_the_run(tmp_path):
    with tmpfs(tmp_path / "ro", "64k", read_only=True) as ro:
        result = haven("run", IDLIB, "-o", ro / "x.h5")
        assert_clean_failure(result, f"cannot write {ro / 'x.h5'}: Read-only file system")
        assert result.stdout == ""  # refused before simulating: no summary
        sweep = tmp_path / "sweep.yaml"
        sweep.write_text(SWEEP.format(scenario=VALLEY))
        assert_clean_failure(haven("sweep", sweep, "-o", ro / "s", "-q"), "Read-only file system")


def test_output_path_that_is_a_directory_is_refused_before_the_run(tmp_path):
    (tmp_path / "out.h5").mkdir()
    result = haven("run", IDLIB, "-o", tmp_path / "out.h5", "--overwrite")
    assert_clean_failure(result, "is a directory", code=2)
    assert result.stdout == ""
    assert list((tmp_path / "out.h5").iterdir()) == []
    # gather: ensemble.h5 in the way as a directory is refused before any member is read.
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(SWEEP.format(scenario=VALLEY))
    assert haven("sweep", sweep, "-o", tmp_path / "s", "-q").returncode == 0
    (tmp_path / "s" / "ensemble.h5").mkdir()
    assert_clean_failure(haven("gather", tmp_path / "s"), "is a directory")


# --- kill -9 at random moments -------------------------------------------------------------------------------------


def kill_after(args: list, delay_s: float, cwd: Path) -> int:
    process = subprocess.Popen([str(haven_bin()), *map(str, args)], cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    time.sleep(delay_s)
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    return process.wait(timeout=60)


def test_kill_9_during_a_run_never_leaves_a_half_written_file(tmp_path):
    reference = tmp_path / "reference.h5"
    durations = []
    for _ in range(2):  # the second, warm run is the one the kills are timed against
        started = time.monotonic()
        assert haven("run", IDLIB, "-o", reference, "--quiet", "--overwrite").returncode == 0
        durations.append(time.monotonic() - started)
    duration = min(durations)
    rng = random.Random(20261201)
    killed = 0
    for attempt in range(6):
        target = tmp_path / f"try{attempt}" / "x.h5"
        code = kill_after(["run", IDLIB, "-o", target, "--quiet"], rng.uniform(0.0, duration), tmp_path)
        killed += code == -signal.SIGKILL
        if target.exists():  # finished before the kill: complete
            assert np.array_equal(series(target), series(reference))
        # The next run writing the same file finishes it and leaves no partial file.
        assert haven("run", IDLIB, "-o", target, "--quiet", "--overwrite").returncode == 0
        assert np.array_equal(series(target), series(reference))
        assert partials(target.parent) == []
    assert killed >= 2, "the run was too quick to be killed mid-way: the test proves nothing"


def test_two_runs_writing_one_file_do_not_break_each_other(tmp_path):
    """Runs started together on one -o (a notebook's loop): each writes a partial file of its own. With --overwrite
    both finish and the file is a whole run; without, a run whose file another process put there meanwhile leaves
    that file alone and says so in one line (before, one's FILE.partial was truncated and removed under the other:
    both failed and no file was written)."""
    target = tmp_path / "same.h5"
    runs = [subprocess.Popen([str(haven_bin()), "run", str(IDLIB), "-o", str(target), "--quiet", "--overwrite",
                              "--seed", str(seed)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            for seed in (1, 2)]
    for run in runs:
        assert run.wait(timeout=120) == 0, run.stderr.read()
    with h5py.File(target, "r") as f:
        assert int(f.attrs["seed"]) in (1, 2)
    assert partials(tmp_path) == []
    # Without --overwrite: another process's file appears while the run writes its own partial file.
    target.unlink()
    for attempt in range(5):  # a run too quick to be caught mid-way is tried again
        run = subprocess.Popen([str(haven_bin()), "run", str(IDLIB), "-o", str(target), "--quiet"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while run.poll() is None and not list(tmp_path.glob("same.h5.*.partial")) and time.monotonic() < deadline:
            time.sleep(0.001)
        caught = run.poll() is None
        if caught:
            target.write_text("another process's run")
        code = run.wait(timeout=120)
        if caught and code != 0:
            break
        caught = False  # it finished before the other file was there: not the case this is about
        target.unlink(missing_ok=True)
    assert caught, "the run was too quick to be caught writing: the test proves nothing"
    assert code == 1
    assert_clean_failure(subprocess.CompletedProcess([], code, "", run.stderr.read()),
                         "same.h5 appeared while this run went on (another process wrote it)")
    assert target.read_text() == "another process's run"
    assert partials(tmp_path) == []


def test_a_sweep_going_on_removes_the_temporaries_of_dead_processes_of_its_host_only(tmp_path):
    """A kill -9 between a temporary manifest's writing and its rename leaves manifest.csv.tmp.HOST.PID behind: the
    sweep going on in that directory removes it when PID is no process of this host, and leaves one of another host,
    or of a process alive, which may be being written."""
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(SWEEP.format(scenario=VALLEY))
    out = tmp_path / "out"
    assert haven("sweep", sweep, "-o", out, "-q", "-j", "2").returncode == 0
    host = re.sub(r"[/.\s]", "_", socket.gethostname()) or "host"
    finished = subprocess.Popen(["true"])
    finished.wait()  # its id is no process now (unless the system gives it again, which it does not at once)
    alive = subprocess.Popen(["sleep", "30"])
    try:
        dead_one = out / f"manifest.csv.tmp.{host}.{finished.pid}"
        kept = [out / f"manifest.csv.tmp.another-host.{finished.pid}", out / f"manifest.csv.tmp.{host}.{alive.pid}",
                out / f".haven-sweep.tmp.{host}.{alive.pid}"]
        for path in [dead_one, *kept]:
            path.write_text("half")
        assert haven("sweep", sweep, "-o", out, "-q", "-j", "2").returncode == 0
        assert not dead_one.exists()
        assert all(path.exists() for path in kept)
    finally:
        alive.kill()
        alive.wait()


def test_kill_9_during_a_sweep_then_resume_gives_every_member_complete(tmp_path):
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(SWEEP.format(scenario=IDLIB))
    reference = tmp_path / "reference"
    started = time.monotonic()
    assert haven("sweep", sweep, "-o", reference, "-q", "-j", "2").returncode == 0
    duration = time.monotonic() - started
    expected = {p.name: series(p) for p in (reference / "runs").glob("member_*.h5")}
    assert len(expected) == 6
    rng = random.Random(17)
    killed = 0
    for attempt in range(4):
        out = tmp_path / f"try{attempt}"
        code = kill_after(["sweep", sweep, "-o", out, "-q", "-j", "2"], rng.uniform(0.0, 0.9 * duration), tmp_path)
        killed += code == -signal.SIGKILL
        if (out / "runs").is_dir():
            for member in (out / "runs").glob("member_*.h5"):  # whatever is there is complete
                assert np.array_equal(series(member), expected[member.name])
        resumed = haven("sweep", sweep, "-o", out, "-q", "-j", "2")
        assert resumed.returncode == 0, resumed.stderr
        assert {p.name for p in (out / "runs").glob("member_*.h5")} == set(expected)
        for name, values in expected.items():
            assert np.array_equal(series(out / "runs" / name), values)
        assert partials(out) == []
        assert "failed" not in (out / "manifest.csv").read_text()
    assert killed >= 2, "the sweep was too quick to be killed mid-way: the test proves nothing"


def test_ctrl_c_or_sigterm_during_a_run_leaves_no_partial_file(tmp_path):
    """Ctrl-C (SIGINT) or SIGTERM while the run file is being written: the process stops as the signal says, no final
    file, and the `.partial` file is removed with it (before, it stayed until a later run wrote the same path)."""
    scenario = tmp_path / "big.yaml"
    assert haven("generate", "--nodes", "3000", "--corridors", "9000", "--people", "2e6", "-o", scenario).returncode == 0
    for sig in (signal.SIGINT, signal.SIGTERM):
        target = tmp_path / sig.name / "run.h5"
        process = subprocess.Popen([str(haven_bin()), "run", str(scenario), "-o", str(target), "--quiet"], cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not partials(tmp_path / sig.name) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        if process.poll() is not None:
            pytest.fail("the run ended before its partial file could be seen: the test proves nothing")
        process.send_signal(sig)
        assert process.wait(timeout=30) == -sig
        assert not target.exists()
        assert partials(tmp_path / sig.name) == [], partials(tmp_path / sig.name)
