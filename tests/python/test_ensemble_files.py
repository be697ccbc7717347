"""ensemble.h5 in Python: a virtual ensemble copied away from its runs/ warns (naming the missing run files)
instead of silently reading every member as NaN; `haven gather --materialize` gives a file that stands alone.

Run by CTest (test `python_output_tools`) or by hand from the repository root:
  HAVEN_BIN=build/default/bin/haven /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/python/test_ensemble_files.py
"""

import os
import shutil
import subprocess
import sys
import warnings

sys.dont_write_bytecode = True

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "python"))
import haven_io  # noqa: E402

SWEEP = """sweep:
  name: py_ensemble
  scenario: {scenario}
  seed: 3
  replicates: 2
  days: 15
design:
  method: list
  points:
    - {{threat_kernel_km: 0.5}}
    - {{threat_kernel_km: 2}}
"""


def haven(*args: str) -> subprocess.CompletedProcess:
    binary = Path(os.environ.get("HAVEN_BIN") or ROOT / "build" / "default" / "bin" / "haven")
    if not binary.is_file():
        pytest.fail(f"haven binary not found at {binary}: set HAVEN_BIN (CTest does) or build the default preset")
    return subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("ensemble")
    (tmp / "sweep.yaml").write_text(SWEEP.format(scenario=ROOT / "scenarios" / "examples" / "valley.yaml"))
    done = haven("sweep", str(tmp / "sweep.yaml"), "-o", str(tmp / "out"), "-q", "-j", "2")
    assert done.returncode == 0, done.stderr
    return tmp / "out"


def gathered_copy(sweep_dir: Path, where: Path, *options: str) -> Path:
    done = haven("gather", *options, str(sweep_dir))
    assert done.returncode == 0, done.stderr
    where.mkdir()
    shutil.copy(sweep_dir / "ensemble.h5", where / "ensemble.h5")
    return where / "ensemble.h5"


def test_copied_virtual_ensemble_warns_naming_the_missing_files(sweep_dir, tmp_path):
    copy = gathered_copy(sweep_dir, tmp_path / "away")
    with pytest.warns(UserWarning, match=r"4 of 4 members' run files are not there \(runs/member_0000.h5"):
        ds = haven_io.open_sweep(copy)
    assert np.isnan(ds.threat.values).all()  # what the warning is about
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # beside its runs/ the same file reads quietly
        ds = haven_io.open_sweep(sweep_dir / "ensemble.h5")
        assert (ds.cumulative_displaced.values >= 0).all()


def test_a_member_file_damaged_after_gather_reads_as_missing_never_as_counts(sweep_dir, tmp_path):
    # Every member there and readable: counts are whole numbers. One damaged since: missing (NaN), said, not -1.
    assert haven_io.open_sweep(sweep_dir / "ensemble.h5").displaced_present.dtype == np.int64
    copy = tmp_path / "copy"
    shutil.copytree(sweep_dir, copy)
    (copy / "runs" / "member_0000.h5").write_bytes(b"not an HDF5 file")
    with pytest.warns(UserWarning, match=r"1 of 4 members' run files cannot be read \(runs/member_0000.h5\)"):
        ds = haven_io.open_sweep(copy / "ensemble.h5")
    assert ds.displaced_present.dtype == np.float64
    assert np.isnan(ds.displaced_present.isel(member=0).values).all()
    assert (ds.displaced_present.isel(member=slice(1, None)).values >= 0).all()


def test_materialized_ensemble_stands_alone(sweep_dir, tmp_path):
    expected = haven_io.open_sweep(sweep_dir / "ensemble.h5").displaced_present.values
    copy = gathered_copy(sweep_dir, tmp_path / "standalone", "--materialize")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = haven_io.open_sweep(copy)
    assert ds.attrs["members_stored"] == "materialized"
    np.testing.assert_array_equal(ds.displaced_present.values, expected)
