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
    # As in a run file: the places' ids and positions are coordinates, each series says what a day's value is.
    assert {"node_id", "node_lat", "node_lon"} <= set(ds.coords), list(ds.coords)
    # The names too, so that a selection of series keeps them; and counts stay whole numbers with every member there.
    assert {"node_name", "corridor_id", "group_name"} <= set(ds.coords), list(ds.coords)
    assert list(ds[["displaced_present"]].node_name.values) == list(ds.node_name.values)
    assert ds.cumulative_displaced.dtype == np.int64 and ds.displaced_present.dtype == np.int64
    assert ds.arrivals.attrs["cell_methods"] == "time: sum"
    assert ds.displaced_present.attrs["cell_methods"].startswith("time: point (comment: the state at the end of the day")
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
    # The ensemble is not a run: open_run and plot_run.py say what to open instead (they used to end in a traceback).
    with pytest.raises(ValueError, match="open_sweep"):
        haven_io.open_run(out / "ensemble.h5")
    plotted = subprocess.run(["/usr/bin/python3", str(ROOT / "tools/python/plot_run.py"), str(out / "ensemble.h5"),
                              "-o", str(tmp_path / "ensemble.png")], capture_output=True, text=True, timeout=120)
    assert plotted.returncode == 2 and "a sweep's ensemble" in plotted.stderr, plotted.stderr
    assert "Traceback" not in plotted.stderr and not (tmp_path / "ensemble.png").exists()


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
    # Inside an array, giving one of --tasks and --task-id leaves the other to the array: each task its own share.
    passed = tmp_path / "passed"
    for task in (1, 2, 3):
        env = {**os.environ, "SLURM_ARRAY_TASK_ID": str(task), "SLURM_ARRAY_TASK_MIN": "1",
               "SLURM_ARRAY_TASK_COUNT": "3"}
        result = subprocess.run([str(haven_bin()), "sweep", str(sweep), "-o", str(passed), "--quiet", "--tasks", "3"],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr
        assert f"task {task - 1} of 3" in result.stdout
    assert_same_members(whole, passed)
    # A variable that is not a whole number, or a share outside the array, is said with where it came from.
    for variables, said in (({"SLURM_ARRAY_TASK_ID": "3abc"}, "SLURM_ARRAY_TASK_ID='3abc' is not a whole number"),
                            ({"SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "5"},
                             "the task's share 6 (SLURM_ARRAY_TASK_ID=7 counted from SLURM_ARRAY_TASK_MIN=1) is "
                             "outside 0 to 4 (SLURM_ARRAY_TASK_COUNT=5)")):
        result = subprocess.run([str(haven_bin()), "sweep", str(sweep), "-o", str(tmp_path / "refused"), "--quiet"],
                                cwd=ROOT, env={**os.environ, **variables}, capture_output=True, text=True, timeout=60)
        assert result.returncode == 2 and said in result.stderr, result.stderr
        assert not (tmp_path / "refused").exists()


def mpirun(*args: str, timeout_seconds: int = 120) -> subprocess.CompletedProcess:
    """Two ranks on this machine. One node needs no network: shared memory between the ranks and loopback for the
    launcher keep the test off whatever interfaces the machine has; mpirun's own timeout ends a hung job with the
    ranks' state (a failure to read, not a CTest timeout with nothing to read)."""
    env = {**os.environ, "OMPI_MCA_btl": "self,vader", "OMPI_MCA_oob_tcp_if_include": "lo",
           "OMPI_MCA_btl_vader_single_copy_mechanism": "none"}
    launcher = [os.environ["HAVEN_MPIEXEC"], "--allow-run-as-root", "--oversubscribe", "--report-state-on-timeout",
                "-np", "2"]
    # Can this machine start two ranks at all? If not, nothing below is about Haven: say so and skip.
    try:
        probe = subprocess.run([*launcher, "--timeout", "60", "/bin/true"], env=env, capture_output=True,
                               text=True, timeout=90)
        started = probe.returncode == 0
        why = probe.stderr.strip()[-600:]
    except subprocess.TimeoutExpired:
        started, why = False, "mpirun -np 2 /bin/true did not end within 90 s"
    if not started:
        pytest.skip(f"this machine cannot start two MPI ranks ({why})")
    command = [*launcher, "--timeout", str(timeout_seconds), str(haven_bin()), *args]
    try:
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=timeout_seconds + 60)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"mpirun did not end: {e.stdout!r} {e.stderr!r}")


@pytest.mark.skipif(not os.environ.get("HAVEN_MPIEXEC"), reason="needs an MPI build (CTest test sweep_mpi)")
def test_mpi_ranks_give_the_same_members(tmp_path):
    sweep = write_sweep(tmp_path, replicates=3)
    mpi_out = tmp_path / "mpi"
    result = mpirun("sweep", str(sweep), "-j", "1", "-o", str(mpi_out), "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "over 2 ranks: 12 members, 0 already done, ran 12, failed 0" in result.stdout
    serial = tmp_path / "serial"
    assert haven("sweep", str(sweep), "-j", "1", "-o", str(serial), "--quiet").returncode == 0
    assert_same_members(mpi_out, serial)
    assert (mpi_out / "manifest.csv").read_text().count(",done,") == 12


@pytest.mark.skipif(not os.environ.get("HAVEN_MPIEXEC"), reason="needs an MPI build (CTest test sweep_mpi)")
def test_mpi_sweep_refused_on_one_rank_stops_every_rank(tmp_path):
    # A directory that is not a sweep's but holds a manifest.csv: rank 0 refuses it. Before, the other rank waited
    # for rank 0 in MPI forever; now every rank stops, the refusal is printed once, and nothing is written.
    sweep = write_sweep(tmp_path, replicates=1)
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "manifest.csv").write_text("a user's own file\n")
    result = mpirun("sweep", str(sweep), "-j", "1", "-o", str(taken), "--quiet", timeout_seconds=60)
    assert result.returncode != 0, result.stdout + result.stderr
    assert result.stderr.count("holds no sweep (no .haven-sweep) but has manifest.csv") == 1, result.stderr
    assert sorted(p.name for p in taken.iterdir()) == ["manifest.csv"]
    assert (taken / "manifest.csv").read_text() == "a user's own file\n"


FAKE_SBATCH = r"""#!/usr/bin/env bash
# Stands in for Slurm's sbatch: logs its command line, runs the script at once (each array task in turn, except
# those listed in FAKE_FAILED_TASKS, as if their node died) and prints a job id.
set -euo pipefail
array=""; cpus=1
echo "sbatch $*" >> "$FAKE_SLURM_LOG"
while [[ "$1" == -* ]]; do
  case "$1" in
    --array=*) array="${1#--array=}" ;;
    --cpus-per-task=*) cpus="${1#--cpus-per-task=}" ;;
  esac
  shift
done
export SLURM_SUBMIT_DIR="$PWD" SLURM_CPUS_PER_TASK="$cpus"
if [[ -n "$array" ]]; then
  first="${array%-*}"; last="${array#*-}"
  for ((i = first; i <= last; i++)); do
    if [[ " ${FAKE_FAILED_TASKS:-} " == *" $i "* ]]; then continue; fi
    SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_MIN=$first SLURM_ARRAY_TASK_COUNT=$((last - first + 1)) \
      bash "$@" >> "$FAKE_SLURM_LOG" 2>&1
  done
else
  bash "$@" >> "$FAKE_SLURM_LOG" 2>&1 || echo "job exit $?" >> "$FAKE_SLURM_LOG"
fi
echo 4242
"""

FAKE_SRUN = r"""#!/usr/bin/env bash
# Stands in for srun: logs its command line, drops its own options and runs the command.
echo "srun $*" >> "$FAKE_SLURM_LOG"
while [[ "$1" == --* ]]; do shift; done
exec "$@"
"""


def fake_slurm(tmp_path: Path, haven_on_path: bool) -> Path:
    """A folder with stand-ins for sbatch and srun (and a link to the built haven if haven_on_path)."""
    fake = tmp_path / "bin"
    fake.mkdir()
    for name, text in (("sbatch", FAKE_SBATCH), ("srun", FAKE_SRUN)):
        (fake / name).write_text(text)
        (fake / name).chmod(0o755)
    if haven_on_path:
        (fake / "haven").symlink_to(haven_bin())
    return fake


def submit(tmp_path: Path, *args: str, haven_on_path: bool = False, **env: str) -> tuple:
    """Runs tools/slurm/submit.sh with the stand-ins; returns (the result, what sbatch/srun/the jobs logged)."""
    fake = tmp_path / "bin" if (tmp_path / "bin").is_dir() else fake_slurm(tmp_path, haven_on_path)
    log = tmp_path / "slurm.log"
    log.unlink(missing_ok=True)
    log.touch()
    environment = {key: value for key, value in os.environ.items() if key not in ("HAVEN", "HAVEN_BIN")}
    environment.update(PATH=f"{fake}:/usr/bin:/bin", FAKE_SLURM_LOG=str(log), **env)
    result = subprocess.run(["bash", str(ROOT / "tools" / "slurm" / "submit.sh"), *args], cwd=ROOT,
                            env=environment, capture_output=True, text=True, timeout=600)
    return result, log.read_text()


def test_slurm_templates_submit_the_array_and_the_gather(tmp_path):
    sweep = write_sweep(tmp_path, replicates=2)
    out = tmp_path / "slurm_out"
    result, submitted = submit(tmp_path, "--cpus", "2", "--mem", "1G", "--time=00:10:00", "--partition", "debug",
                               "--account", "proj42", "--sbatch", "--qos=short --mail-type=NONE", str(sweep), "3",
                               str(out), HAVEN=str(haven_bin()))
    assert result.returncode == 0, result.stderr + submitted
    sbatch = [line for line in submitted.splitlines() if line.startswith("sbatch ")]
    assert len(sbatch) == 2, submitted
    array, gather = sbatch
    for option in ("--array=0-2", "--cpus-per-task=2", "--mem=1G", "--time=00:10:00", "--partition=debug",
                   "--account=proj42", "--qos=short", "--mail-type=NONE"):
        assert option in array.split(), (option, array)
    # The gather runs however the array ended (afterok left it pending for ever after one failed task), where the
    # array ran, with its own resources.
    assert "--dependency=afterany:4242" in gather.split(), gather
    for option in ("--partition=debug", "--account=proj42", "--qos=short"):
        assert option in gather.split(), (option, gather)
    assert "--cpus-per-task=2" not in gather and "--mem=1G" not in gather
    for task in range(3):
        assert f"task {task} of 3" in submitted
    srun = [line for line in submitted.splitlines() if line.startswith("srun ")]
    assert len(srun) == 3 and all("--cpus-per-task=2" in line and line.endswith(" -j 2 -o " + str(out))
                                  for line in srun), srun
    assert f"haven: {haven_bin()}" in submitted  # $HAVEN, handed to the jobs
    assert (out / "ensemble.h5").is_file(), submitted
    assert len(list((out / "runs").glob("*.h5"))) == 8


def test_slurm_submit_finds_haven_on_path_then_in_the_build_tree(tmp_path):
    sweep = write_sweep(tmp_path, replicates=1)
    result, submitted = submit(tmp_path, str(sweep), "2", str(tmp_path / "on_path"), haven_on_path=True)
    assert result.returncode == 0, result.stderr + submitted
    assert f"haven: {tmp_path / 'bin' / 'haven'}" in result.stdout
    assert f"haven: {tmp_path / 'bin' / 'haven'} (haven " in submitted  # the jobs log the binary they run
    assert "--cpus-per-task=1" in submitted.splitlines()[0]  # the default: one CPU fits any node
    assert (tmp_path / "on_path" / "ensemble.h5").is_file()

    (tmp_path / "bin" / "haven").unlink()
    build_tree = ROOT / "build" / "default" / "bin" / "haven"
    if build_tree.is_file():
        result, submitted = submit(tmp_path, str(sweep), "2", str(tmp_path / "build_tree"))
        assert result.returncode == 0, result.stderr + submitted
        assert f"haven: {build_tree}" in result.stdout and f"haven: {build_tree} (haven " in submitted

    missing, submitted = submit(tmp_path, str(sweep), "2", HAVEN=str(tmp_path / "nowhere" / "haven"))
    assert missing.returncode == 2 and "no haven binary at" in missing.stderr and not submitted


def test_slurm_submit_gathers_where_the_sweep_file_says(tmp_path):
    # The directory is the sweep's own `output:`, as haven reads the file (a quoted name in flow style too): the
    # gather was queued for output/<name> read by sed, after the whole array had run elsewhere.
    out = tmp_path / "from_the_file"
    sweep = tmp_path / "flow.yaml"
    sweep.write_text('sweep: {name: "flow_style", scenario: %s, seed: 3, days: 10, output: %s}\n'
                     % (ROOT / "scenarios" / "examples" / "valley.yaml", out))
    result, submitted = submit(tmp_path, str(sweep), "2", HAVEN=str(haven_bin()))
    assert result.returncode == 0, result.stderr + submitted
    assert f"for {out}" in result.stdout, result.stdout
    assert (out / "ensemble.h5").is_file(), submitted


def test_slurm_submit_refuses_bad_options_before_queueing(tmp_path):
    sweep = write_sweep(tmp_path, replicates=1)
    for args, message in ((["--cpus", "0", str(sweep), "2"], "--cpus 0"),
                          (["--partiton", "debug", str(sweep), "2"], "unknown option --partiton"),
                          (["--account"], "--account needs a value"),
                          ([str(sweep), "two"], "TASKS two")):
        result, submitted = submit(tmp_path, *args, HAVEN=str(haven_bin()))
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr)
        assert not submitted, args
    assert submit(tmp_path, "--help")[0].stdout.startswith("usage: submit.sh")


def test_slurm_gather_reports_failed_tasks(tmp_path):
    sweep = write_sweep(tmp_path, replicates=2)
    out = tmp_path / "failed"
    # Task 1 of 3 dies: members 1, 4 and 7 are missing. The gather still runs, lists them and fails.
    result, submitted = submit(tmp_path, str(sweep), "3", str(out), HAVEN=str(haven_bin()), FAKE_FAILED_TASKS="1")
    assert result.returncode == 0, result.stderr + submitted
    for member in (1, 4, 7):
        assert f"member {member}: missing" in submitted
    assert "not gathered" in submitted and "job exit 1" in submitted and not (out / "ensemble.h5").exists()
    # --allow-missing gathers what finished.
    result, submitted = submit(tmp_path, "--allow-missing", str(sweep), "3", str(out), HAVEN=str(haven_bin()),
                               FAKE_FAILED_TASKS="1")
    assert result.returncode == 0, result.stderr + submitted
    assert "8 members (5 usable)" in submitted and "job exit" not in submitted
    assert (out / "ensemble.h5").is_file()


def test_slurm_mpi_template_starts_the_ranks_through_pmix(tmp_path):
    sweep = write_sweep(tmp_path, replicates=1)
    fake = fake_slurm(tmp_path, haven_on_path=False)
    log = tmp_path / "slurm.log"
    env = {**os.environ, "PATH": f"{fake}:/usr/bin:/bin", "FAKE_SLURM_LOG": str(log), "HAVEN": str(haven_bin()),
           "SLURM_CPUS_PER_TASK": "1"}
    # One "rank" (the stand-in srun starts one process): it runs the whole sweep.
    result = subprocess.run(["bash", str(ROOT / "tools" / "slurm" / "sweep_mpi.sbatch"), str(sweep), "-o",
                             str(tmp_path / "mpi"), "--quiet"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    srun = log.read_text().splitlines()
    assert len(srun) == 1 and srun[0].startswith("srun --mpi=pmix "), srun
    assert len(list((tmp_path / "mpi" / "runs").glob("*.h5"))) == 4


def test_slurm_templates_have_partition_and_account_placeholders():
    for name in ("sweep_array.sbatch", "gather.sbatch", "sweep_mpi.sbatch"):
        text = (ROOT / "tools" / "slurm" / name).read_text()
        assert "##SBATCH --partition=PARTITION" in text and "##SBATCH --account=ACCOUNT" in text, name
        assert "#SBATCH --cpus-per-task=1\n" in text, name  # fits the smallest node; raise it with --cpus
