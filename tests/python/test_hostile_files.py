"""Damaged and hostile run files: `haven info` and `haven compare` must refuse them with a one-line error naming
the file and the dataset (exit 1), never read out of bounds, wrap a sum or leak. Under the asan preset the same
tests run the sanitized binary, which then also checks that no HDF5 object or string leaks on these error paths
(LeakSanitizer) and that no arithmetic is undefined (UBSan).

Run by CTest (test `python_output_tools`) or by hand from the repository root:
  HAVEN_BIN=build/default/bin/haven /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/python/test_hostile_files.py
"""

import os
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True

from pathlib import Path  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "examples" / "valley.yaml"


def haven_bin() -> Path:
    path = Path(os.environ.get("HAVEN_BIN") or ROOT / "build" / "default" / "bin" / "haven")
    if not path.is_file():
        pytest.fail(f"haven binary not found at {path}: set HAVEN_BIN (CTest does) or build the default preset")
    return path.resolve()


def haven(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(haven_bin()), *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def good_file(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hostile") / "valley.h5"
    done = haven("run", str(SCENARIO), "-o", str(out))
    assert done.returncode == 0, done.stderr
    return out


def damaged(good_file: Path, tmp_path: Path, change) -> Path:
    path = tmp_path / "damaged.h5"
    shutil.copy(good_file, path)
    with h5py.File(path, "r+") as f:
        change(f)
    return path


def replace(f: h5py.File, name: str, data) -> None:
    attrs = dict(f[name].attrs)
    for key in ("DIMENSION_LIST", "REFERENCE_LIST", "CLASS", "NAME"):
        attrs.pop(key, None)
    del f[name]
    f[name] = data
    for key, value in attrs.items():
        f[name].attrs[key] = value


def assert_refused(result: subprocess.CompletedProcess, path: Path, *fragments: str) -> None:
    assert "runtime error" not in result.stderr, result.stderr  # UBSan
    assert "LeakSanitizer" not in result.stderr, result.stderr
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"haven: error: {path}: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


CASES = {
    # name: (change, what the error must say)
    "arrivals of the wrong shape": (
        lambda f: replace(f, "arrivals", f["arrivals"][:, :-1]),
        ["dataset 'arrivals'", "expected shape (60, 9)"]),
    "residents as floating point": (
        lambda f: replace(f, "residents", f["residents"][...].astype(np.float64)),
        ["dataset 'residents'", "floating-point numbers where integers are expected"]),
    "population without its group axis": (
        lambda f: replace(f, "population", f["population"][:, :, 0]),
        ["dataset 'population'", "expected shape (60, 9, 3)"]),
    "time as 64-bit integers": (
        lambda f: replace(f, "time", f["time"][...].astype(np.int64) + 2**40),
        ["dataset 'time'", "64-bit signed integers, which do not fit 32-bit"]),
    "node names as numbers": (
        lambda f: replace(f, "node_name", np.arange(9, dtype=np.int32)),
        ["dataset 'node_name'", "does not hold strings"]),
    "node names in two dimensions": (
        lambda f: replace(f, "node_name", np.array([["a"] * 9, ["b"] * 9], dtype=h5py.string_dtype())),
        ["dataset 'node_name'", "expected shape (9)"]),
    "od_count shorter than the pairs": (
        lambda f: replace(f, "od_count", f["od_count"][:-1]),
        ["dataset 'od_count'", "expected shape"]),
    "seed as an array": (
        lambda f: f.attrs.__setitem__("seed", np.array([1, 2, 3], dtype=np.uint64)),
        ["attribute 'seed' holds 3 values where one is expected"]),
    "seed as text": (
        lambda f: f.attrs.__setitem__("seed", "forty-two"),
        ["attribute 'seed'", "does not hold numbers"]),
    "start date that is not a date": (
        lambda f: f.attrs.__setitem__("start_date", "yesterday"),
        ["attribute 'start_date' is 'yesterday'"]),
    "time beyond the days run": (
        lambda f: f["time"].write_direct(np.append(f["time"][:-1], np.int32(2**31 - 1)).astype(np.int32)),
        ["dataset 'time'", "below the 60 days run"]),
    "time going backwards": (
        lambda f: f["time"].write_direct(f["time"][...][::-1].copy()),
        ["dataset 'time'", "days must increase"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("command", ["info", "compare"])
def test_damaged_file_is_refused_naming_the_dataset(good_file, tmp_path, case, command):
    change, fragments = CASES[case]
    path = damaged(good_file, tmp_path, change)
    result = haven(command, str(path)) if command == "info" else haven(command, str(good_file), str(path))
    assert_refused(result, path, *fragments)


def test_the_good_file_is_accepted(good_file):
    for result in (haven("info", str(good_file)), haven("compare", str(good_file), str(good_file))):
        assert result.returncode == 0, result.stderr
        assert "runtime error" not in result.stderr


def huge_counts(f: h5py.File) -> None:
    # Every node holds 2^62 people on every day: each value fits int64, their sum over the 9 nodes does not.
    for name in ("displaced_present", "unsheltered"):
        values = f[name][...]
        values[:] = 2**62
        f[name].write_direct(values)


def test_info_refuses_counts_whose_total_overflows(good_file, tmp_path):
    path = damaged(good_file, tmp_path, huge_counts)
    result = haven("info", str(path))
    assert_refused(result, path, "'displaced_present'", "too large to add up")


def test_compare_shows_huge_counts_without_wrapping(good_file, tmp_path):
    path = damaged(good_file, tmp_path, huge_counts)
    result = haven("compare", str(good_file), str(path))
    assert "runtime error" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
    row = [line for line in result.stdout.splitlines() if line.startswith("valley") and "e+19" in line]
    assert row, result.stdout  # 9 x 2^62 = 4.15e+19, shown as such, not as a wrapped negative number
    assert "-9,223,372" not in result.stdout


def global_heap_objects(data: bytes) -> list:
    """(offset, size) of each object of the file's first global heap collection ("GCOL": where variable-length
    strings such as node names are kept), as the HDF5 file format specification lays it out."""
    start = data.index(b"GCOL")
    end = start + int.from_bytes(data[start + 8:start + 16], "little")
    objects, at = [], start + 16
    while at + 16 <= end and int.from_bytes(data[at:at + 2], "little") != 0:
        size = int.from_bytes(data[at + 8:at + 16], "little")
        objects.append((at, size))
        at += 16 + (size + 7) // 8 * 8
    return objects


def test_a_damaged_global_heap_is_reported_not_a_crash(good_file, tmp_path):
    # libhdf5 trusts a global heap's object sizes (no checksum): 2**40 there made it read through a wild pointer,
    # and `haven info` died of SIGSEGV inside H5HG_read. The command reads a file in a child process first and
    # reports a crash there as a damaged file (exit 1); it never dies of a signal itself.
    data = good_file.read_bytes()
    objects = global_heap_objects(data)
    assert len(objects) >= 12
    said_damaged = 0
    for at, _ in objects[:12]:
        path = tmp_path / f"heap_{at}.h5"
        changed = bytearray(data)
        changed[at + 8:at + 16] = (1 << 40).to_bytes(8, "little")
        path.write_bytes(bytes(changed))
        for command in (["info", str(path)], ["export", str(path), "-o", str(tmp_path / "export"), "--overwrite"]):
            result = haven(*command)
            assert result.returncode in (0, 1), (command, result.returncode, result.stderr[-500:])
            if result.returncode == 1:
                # (Under ASan the child's own report of the crash comes first.)
                assert f"haven: error: {path}" in result.stderr, result.stderr
            said_damaged += f"{path}: damaged: reading it" in result.stderr
    assert said_damaged > 0, "none of the changes reached the crash this test is about"


def test_a_file_being_written_is_said_to_be_so(good_file, tmp_path):
    # A run writing its file holds HDF5's lock on it; a reader then got only "Resource temporarily unavailable".
    path = tmp_path / "writing.h5"
    shutil.copy(good_file, path)
    partial = tmp_path / "run.h5.partial"
    shutil.copy(good_file, partial)
    with h5py.File(path, "r+"), h5py.File(partial, "r+"):
        for command in (["info", str(path)], ["export", str(path), "-o", str(tmp_path / "out")]):
            result = haven(*command)
            assert result.returncode == 1, (command, result.stderr)
            assert "another process is writing it (the file is locked)" in result.stderr, result.stderr
        result = haven("info", str(partial))
        assert result.returncode == 1, result.stderr
        assert "a .partial file is one a run is still writing" in result.stderr, result.stderr
    # Written and closed, both read as run files.
    assert haven("info", str(path)).returncode == 0
    assert haven("info", str(partial)).returncode == 0


def test_a_file_cut_short_is_said_to_be_cut_short(good_file, tmp_path):
    # A copy that stopped part way: HDF5's own words were "truncated file: eof = 5000, sblock->base_addr = 0, ...".
    path = tmp_path / "cut.h5"
    path.write_bytes(good_file.read_bytes()[:5000])
    size = good_file.stat().st_size
    for command in (["info", str(path)], ["export", str(path), "-o", str(tmp_path / "out")]):
        result = haven(*command)
        assert result.returncode == 1, (command, result.stderr)
        assert f"the file is cut short (5000 of the {size} bytes it was written with)" in result.stderr, result.stderr
        assert "sblock" not in result.stderr
