"""Sweeps as users run them: a sweep killed mid-way and resumed, gathered, opened with haven_io.open_sweep; and,
when Haven is built with MPI (HAVEN_MPIEXEC set by CTest), the same sweep over two MPI ranks.

Run by CTest (tests `python_output_tools` and `sweep_mpi`) or by hand from the repository root:
  HAVEN_BIN=build/default/bin/haven /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/python/test_sweep.py
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "python"))

import haven_io  # noqa: E402

SWEEP_TEMPLATE = """sweep:
  name: kill_test
  scenario: {scenario}
  seed: 31
  replicates: {replicates}
design:
  method: lhs
  samples: 4
  parameters:
    threat_kernel_km: {{min: 0.5, max: 2.5}}
    max_departure_rate_per_day: {{min: 0.06, max: 0.2}}
"""


def haven_bin() -> Path:
    path = Path(os.environ.get("HAVEN_BIN") or ROOT / "build" / "default" / "bin" / "haven")
    if not path.is_file():
        pytest.fail(f"haven binary not found at {path}: set HAVEN_BIN (CTest does) or build the default preset")
    return path.resolve()


def haven(*args: str, cwd: Path = ROOT, timeout: int = 600, binary: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary or haven_bin()), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def write_sweep(tmp: Path, replicates: int) -> Path:
    path = tmp / "sweep.yaml"
    path.write_text(SWEEP_TEMPLATE.format(scenario=ROOT / "scenarios" / "examples" / "valley.yaml",
                                          replicates=replicates))
    return path


def member_data(path: Path) -> dict:
    """Every dataset and attribute of a member file, except when and how it was written."""
    out = {}
    with h5py.File(path, "r") as f:
        for key, value in f.attrs.items():
            if key not in ("history", "created_utc"):
                out[f"@{key}"] = value
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = obj[()]
        f.visititems(visit)
    return out


def assert_same_members(a: Path, b: Path) -> None:
    names = sorted(p.name for p in (a / "runs").glob("*.h5"))
    assert names == sorted(p.name for p in (b / "runs").glob("*.h5"))
    for name in names:
        left, right = member_data(a / "runs" / name), member_data(b / "runs" / name)
        assert left.keys() == right.keys(), name
        for key in left:
            assert np.array_equal(np.asarray(left[key]), np.asarray(right[key])), (name, key)


def test_killed_sweep_resumes_gathers_and_opens(tmp_path):
    sweep = write_sweep(tmp_path, replicates=15)  # 60 members, about 20 ms each
    out = tmp_path / "killed"
    process = subprocess.Popen([str(haven_bin()), "sweep", str(sweep), "-j", "1", "-o", str(out), "--quiet"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and len(list((out / "runs").glob("*.h5"))) < 8:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished = sorted((out / "runs").glob("*.h5"))
    assert 8 <= len(finished) < 60, "the kill should land mid-sweep"
    for path in finished:  # whatever a kill leaves, no final file is half-written
        with h5py.File(path, "r") as f:
            assert f["cumulative_displaced"].shape[0] == 60

    resumed = haven("sweep", str(sweep), "-j", "2", "-o", str(out), "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    match = re.search(r"60 members, (\d+) already done, ran (\d+), failed 0", resumed.stdout)
    assert match, resumed.stdout
    assert int(match.group(1)) == len(finished)
    assert int(match.group(2)) == 60 - len(finished)
    assert not list((out / "runs").glob("*.partial")) and not list((out / "runs").glob("*.failed"))

    # The resumed sweep is the sweep that was never interrupted.
    fresh = tmp_path / "fresh"
    assert haven("sweep", str(sweep), "-j", "2", "-o", str(fresh), "--quiet").returncode == 0
    assert_same_members(out, fresh)

    gathered = haven("gather", str(out))
    assert gathered.returncode == 0, gathered.stderr
    assert "60 members (60 usable)" in gathered.stdout
    ds = haven_io.open_sweep(out / "ensemble.h5")
    assert ds.sizes["member"] == 60
    assert (ds.status.values == 0).all()
    assert ds.time.dtype.kind == "M" and "North Camp" in list(ds.node.values)
    final = ds.cumulative_displaced.isel(time=-1).values
    assert np.allclose(ds.cumulative_displaced_mean.isel(time=-1), final.mean())
    assert np.allclose(ds.cumulative_displaced_quantiles.sel(quantile=0.5).isel(time=-1), np.median(final))
    # Replicates share their design point's values: 4 LHS points, 15 members each.
    assert len(np.unique(ds.parameter_threat_kernel_km.values)) == 4
    # The fan chart draws.
    import matplotlib
    matplotlib.use("Agg")
    ax = haven_io.fan_chart(ds)
    assert len(ax.collections) >= 1 and ax.get_title().startswith("kill_test")


def test_slurm_shares_from_the_environment(tmp_path):
    sweep = write_sweep(tmp_path, replicates=2)
    whole = tmp_path / "whole"
    assert haven("sweep", str(sweep), "-j", "1", "-o", str(whole), "--quiet").returncode == 0
    shared = tmp_path / "shared"
    for task in (1, 2, 3):  # an array started at 1, as `sbatch --array=1-3` does
        env = {**os.environ, "SLURM_ARRAY_TASK_ID": str(task), "SLURM_ARRAY_TASK_MIN": "1",
               "SLURM_ARRAY_TASK_COUNT": "3"}
        result = subprocess.run([str(haven_bin()), "sweep", str(sweep), "-o", str(shared), "--quiet"], cwd=ROOT,
                                env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr
        assert f"task {task - 1} of 3" in result.stdout
    assert_same_members(whole, shared)


@pytest.mark.skipif(not os.environ.get("HAVEN_MPIEXEC"), reason="needs an MPI build (CTest test sweep_mpi)")
def test_mpi_ranks_give_the_same_members(tmp_path):
    sweep = write_sweep(tmp_path, replicates=3)
    mpi_out = tmp_path / "mpi"
    command = [os.environ["HAVEN_MPIEXEC"], "--allow-run-as-root", "--oversubscribe", "-np", "2",
               str(haven_bin()), "sweep", str(sweep), "-j", "1", "-o", str(mpi_out), "--quiet"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "over 2 ranks: 12 members, 0 already done, ran 12, failed 0" in result.stdout
    serial = tmp_path / "serial"
    assert haven("sweep", str(sweep), "-j", "1", "-o", str(serial), "--quiet").returncode == 0
    assert_same_members(mpi_out, serial)
    assert (mpi_out / "manifest.csv").read_text().count(",done,") == 12


FAKE_SBATCH = r"""#!/usr/bin/env bash
# Stands in for Slurm's sbatch: runs the script at once (each array task in turn) and prints a job id.
set -euo pipefail
array=""; args=()
for a in "$@"; do
  case "$a" in
    --parsable|--dependency=*) ;;
    --array=*) array="${a#--array=}" ;;
    *) args+=("$a") ;;
  esac
done
echo "$*" >> "$FAKE_SLURM_LOG"
if [[ -n "$array" ]]; then
  first="${array%-*}"; last="${array#*-}"
  for ((i = first; i <= last; i++)); do
    SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_MIN=$first SLURM_ARRAY_TASK_COUNT=$((last - first + 1)) \
      SLURM_CPUS_PER_TASK=1 bash "${args[@]}" >> "$FAKE_SLURM_LOG" 2>&1
  done
else
  bash "${args[@]}" >> "$FAKE_SLURM_LOG" 2>&1
fi
echo 4242
"""

FAKE_SRUN = r"""#!/usr/bin/env bash
# Stands in for srun: drops its own options and runs the command.
while [[ "$1" == --* ]]; do shift; done
exec "$@"
"""


def test_slurm_templates_submit_the_array_and_the_gather(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    for name, text in (("sbatch", FAKE_SBATCH), ("srun", FAKE_SRUN)):
        (fake / name).write_text(text)
        (fake / name).chmod(0o755)
    sweep = write_sweep(tmp_path, replicates=2)
    out = tmp_path / "slurm_out"
    log = tmp_path / "slurm.log"
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}", "HAVEN": str(haven_bin()),
           "FAKE_SLURM_LOG": str(log)}
    result = subprocess.run(["bash", str(ROOT / "tools" / "slurm" / "submit.sh"), str(sweep), "3", str(out)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr + log.read_text()
    submitted = log.read_text()
    assert "--array=0-2" in submitted and "--dependency=afterok:4242" in submitted
    for task in range(3):
        assert f"task {task} of 3" in submitted
    assert (out / "ensemble.h5").is_file(), submitted
    assert len(list((out / "runs").glob("*.h5"))) == 8
