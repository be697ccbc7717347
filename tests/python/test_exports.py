"""`haven export`: CSV tables that round-trip to the run file's values, with a valid HXL hashtag row, and GeoJSON
layers that follow RFC 7946 and open in GDAL (`ogrinfo`, as QGIS reads them).

Run by CTest (test `python_output_tools`) or by hand from the repository root:
  HAVEN_BIN=build/default/bin/haven /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/python/test_exports.py
"""

import csv
import json
import os
import re
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True

from pathlib import Path  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "examples" / "valley.yaml"
# Place codes and admin names given on the command line, so the example scenario stays as it is.
PLACES = {"southtown": ("VL0101", "Southern", "South District"), "northcamp": ("VL0203", "Northern", "Gate District")}
# HXL: '#', a tag (letter, then letters, digits, '_'), then '+attributes' of the same form (HXL 1.1).
HXL_TAG = re.compile(r"^#[a-z][a-z0-9_]*(\+[a-z][a-z0-9_]*)*$")
CSV_FILES = ["nodes_daily.csv", "corridors_daily.csv", "origin_destination.csv", "summary.csv"]


def haven_bin() -> Path:
    path = Path(os.environ.get("HAVEN_BIN") or ROOT / "build" / "default" / "bin" / "haven")
    if not path.is_file():
        pytest.fail(f"haven binary not found at {path}: set HAVEN_BIN (CTest does) or build the default preset")
    return path.resolve()


def haven(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([str(haven_bin()), *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        pytest.fail(f"haven {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def run_file(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export") / "valley.h5"
    sets = []
    for node, (pcode, admin1, admin2) in PLACES.items():
        sets += ["--set", f"nodes.{node}.pcode={pcode}", "--set", f"nodes.{node}.admin1={admin1}",
                 "--set", f"nodes.{node}.admin2={admin2}"]
    haven("run", str(SCENARIO), "--quiet", "-o", str(out), *sets)
    return out


@pytest.fixture(scope="module")
def exported(run_file: Path) -> Path:
    directory = run_file.parent / "exports"
    haven("export", str(run_file), "--format", "csv,geojson", "-o", str(directory))
    return directory


def read_csv(path: Path, hxl: bool = True) -> pd.DataFrame:
    return pd.read_csv(path, skiprows=[1] if hxl else None, keep_default_na=False, na_values=[""], encoding="utf-8")


def test_every_csv_has_a_valid_hxl_row_under_its_header(exported: Path):
    for name in CSV_FILES:
        with open(exported / name, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        header, tags = rows[0], rows[1]
        assert len(tags) == len(header), name
        for column, tag in zip(header, tags):
            assert HXL_TAG.match(tag), f"{name}: column {column} has tag {tag!r}, not HXL syntax"
        # HDX tools key on these; they must sit on the right columns.
    nodes_tags = dict(zip(*list(csv.reader(open(exported / "nodes_daily.csv", encoding="utf-8")))[:2]))
    assert nodes_tags["date"] == "#date"
    assert nodes_tags["node_name"] == "#loc+name"
    assert nodes_tags["pcode"] == "#loc+code"
    assert nodes_tags["admin1"] == "#adm1+name"
    assert nodes_tags["displaced_present"] == "#affected+displaced+ind"


def test_no_hxl_writes_plain_tables(run_file: Path, tmp_path: Path):
    haven("export", str(run_file), "--format", "csv", "--no-hxl", "-o", str(tmp_path))
    with open(tmp_path / "nodes_daily.csv", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert not any(cell.startswith("#") for cell in rows[1])
    assert not (tmp_path / "nodes.geojson").exists()


def test_node_day_csv_round_trips_to_the_run_file(run_file: Path, exported: Path):
    table = read_csv(exported / "nodes_daily.csv")
    with h5py.File(run_file, "r") as f:
        days = f["time"][:]
        ids = [s.decode() for s in f["node_id"][:]]
        assert len(table) == len(days) * len(ids)
        assert list(table["day"]) == list(np.repeat(days, len(ids)))
        assert list(table["node_id"]) == ids * len(days)
        for variable in ["residents", "displaced_present", "arrivals", "returns", "departures", "waiting",
                         "unsheltered"]:
            np.testing.assert_array_equal(table[variable].to_numpy(), f[variable][:].reshape(-1), err_msg=variable)
        # No shelter limit: inf in the file, an empty cell in the CSV.
        capacity = f["capacity"][:].reshape(-1)
        assert np.isinf(capacity).any()
        np.testing.assert_array_equal(table["capacity"].to_numpy(dtype=float),
                                      np.where(np.isinf(capacity), np.nan, capacity))
        start = pd.Timestamp(f.attrs["start_date"])
    assert list(pd.to_datetime(table["date"])) == [start + pd.Timedelta(days=int(d)) for d in table["day"]]
    # The place codes and admin names given to the run reach every row of their node.
    for node, (pcode, admin1, admin2) in PLACES.items():
        rows = table[table["node_id"] == node]
        assert set(rows["pcode"]) == {pcode} and set(rows["admin1"]) == {admin1} and set(rows["admin2"]) == {admin2}


def test_corridor_od_and_summary_csvs_round_trip(run_file: Path, exported: Path):
    corridors = read_csv(exported / "corridors_daily.csv")
    od = read_csv(exported / "origin_destination.csv")
    summary = read_csv(exported / "summary.csv")
    with h5py.File(run_file, "r") as f:
        np.testing.assert_array_equal(corridors["inflow"].to_numpy(), f["corridor_inflow"][:].reshape(-1))
        np.testing.assert_array_equal(corridors["in_transit"].to_numpy(), f["in_transit"][:].reshape(-1))
        ids = [s.decode() for s in f["node_id"][:]]
        assert list(od["origin_id"]) == [ids[i] for i in f["od_origin"][:]]
        assert list(od["destination_id"]) == [ids[i] for i in f["od_destination"][:]]
        np.testing.assert_array_equal(od["arrivals"].to_numpy(), f["od_count"][:])
        assert "VL0101" in set(od["origin_pcode"])
        assert len(summary) == 1
        assert summary["displaced"][0] == f["cumulative_displaced"][-1]
        assert summary["arrivals"][0] == f["arrivals"][:].sum()
        assert summary["returns"][0] == f["returns"][:].sum()
        assert summary["displaced_present_end"][0] == f["displaced_present"][-1].sum()


def decimals(value: float) -> int:
    text = repr(value)
    return len(text.split(".")[1]) if "." in text and "e" not in text else 0


def check_rfc7946(collection: dict, geometry_type: str):
    assert collection["type"] == "FeatureCollection"
    assert "crs" not in collection  # RFC 7946 §4: no crs member
    assert collection["features"]
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        geometry = feature["geometry"]
        assert geometry["type"] == geometry_type
        positions = [geometry["coordinates"]] if geometry_type == "Point" else geometry["coordinates"]
        assert geometry_type != "LineString" or len(positions) >= 2
        for position in positions:
            assert len(position) == 2
            lon, lat = position
            assert -180 <= lon <= 180 and -90 <= lat <= 90
            assert decimals(lon) <= 7 and decimals(lat) <= 7
        assert isinstance(feature["properties"], dict)


def test_geojson_follows_rfc7946_with_lon_lat_order(run_file: Path, exported: Path):
    nodes = json.loads((exported / "nodes.geojson").read_text(encoding="utf-8"))
    corridors = json.loads((exported / "corridors.geojson").read_text(encoding="utf-8"))
    check_rfc7946(nodes, "Point")
    check_rfc7946(corridors, "LineString")
    with h5py.File(run_file, "r") as f:
        lon, lat = f["node_lon"][:], f["node_lat"][:]
        ids = [s.decode() for s in f["node_id"][:]]
        present = f["displaced_present"][:]
        start = pd.Timestamp(f.attrs["start_date"])
        days = f["time"][:]
    by_id = {feature["properties"]["id"]: feature for feature in nodes["features"]}
    for i, node in enumerate(ids):
        feature = by_id[node]
        assert feature["geometry"]["coordinates"] == pytest.approx([lon[i], lat[i]], abs=1e-7)
        props = feature["properties"]
        assert props["displaced_present_final"] == present[-1, i]
        assert props["displaced_present_peak"] == present[:, i].max()
        peak_day = days[int(np.argmax(present[:, i]))]
        if present[:, i].max() > 0:
            assert props["displaced_present_peak_date"] == str((start + pd.Timedelta(days=int(peak_day))).date())
        else:  # never anyone there: no peak day
            assert props["displaced_present_peak_date"] is None
    assert by_id["southtown"]["properties"]["pcode"] == "VL0101"
    assert by_id["northcamp"]["properties"]["admin2"] == "Gate District"
    # A corridor's line runs between its end nodes' coordinates.
    position = {node: [lon[i], lat[i]] for i, node in enumerate(ids)}
    for feature in corridors["features"]:
        props = feature["properties"]
        start_at, end_at = feature["geometry"]["coordinates"]
        assert start_at == pytest.approx(position[props["from_id"]], abs=1e-7)
        assert end_at == pytest.approx(position[props["to_id"]], abs=1e-7)


def test_geojson_series_are_optional(run_file: Path, exported: Path, tmp_path: Path):
    plain = json.loads((exported / "nodes.geojson").read_text(encoding="utf-8"))
    assert "displaced_present" not in plain["features"][0]["properties"]
    haven("export", str(run_file), "--format", "geojson", "--series", "-o", str(tmp_path))
    with_series = json.loads((tmp_path / "nodes.geojson").read_text(encoding="utf-8"))
    with h5py.File(run_file, "r") as f:
        assert len(with_series["features"][0]["properties"]["displaced_present"]) == len(f["time"])
        assert len(with_series["features"][0]["properties"]["dates"]) == len(f["time"])


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="ogrinfo not installed (apt-get install gdal-bin; "
                                                            "tools/setup.sh installs it)")
def test_ogrinfo_opens_the_geojson_layers(exported: Path):
    for name, geometry, count in [("nodes.geojson", "Point", None), ("corridors.geojson", "Line String", None)]:
        result = subprocess.run(["ogrinfo", "-ro", "-al", "-so", str(exported / name)], capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert f"Geometry: {geometry}" in result.stdout, result.stdout
        assert "Feature Count: " in result.stdout
        assert "WGS 84" in result.stdout or "4326" in result.stdout


def test_export_refuses_to_overwrite_and_names_every_file(run_file: Path, exported: Path):
    before = (exported / "summary.csv").read_bytes()
    result = haven("export", str(run_file), "-o", str(exported), check=False)
    assert result.returncode == 2  # the command line's mistake, as for every command that would replace a file
    assert "nodes_daily.csv" in result.stderr and "corridors.geojson" in result.stderr
    assert "--overwrite" in result.stderr
    assert (exported / "summary.csv").read_bytes() == before
    haven("export", str(run_file), "-o", str(exported), "--overwrite")
    assert not list(exported.glob("*.partial")) and not list(exported.glob(".*.partial"))


def test_run_summary_arrivals_agree_with_the_file(run_file: Path):
    """One definition of arrivals: people arriving as displaced; returns home are counted separately."""
    out = haven("run", str(SCENARIO), "--quiet", "--no-output").stdout
    destinations = []
    for line in out.split("top destinations")[1].splitlines()[1:]:
        if not line.startswith("  "):
            break  # the validation table follows
        destinations.append(line)
    assert destinations
    with h5py.File(run_file, "r") as f:
        ids = [s.decode() for s in f["node_name"][:]]
        totals = dict(zip(ids, f["arrivals"][:].sum(axis=0)))
    for line in destinations:
        name, number = line.strip().rsplit(None, 1)
        assert totals[name.strip()] == int(number.replace(",", ""))


# ---- summary.csv per run / variant, and per ensemble member ----

SUMMARY_SWEEP = """sweep:
  name: export_ensemble
  scenario: {scenario}
  seed: 11
  replicates: 2
  days: 30
design:
  method: list
  points:
    - {{threat_kernel_km: 0.5}}
    - {{threat_kernel_km: 2}}
"""


def summary_of(path: Path, member=None) -> dict:
    """The summary.csv figures of a run file, or of one member of an ensemble, read from the HDF5 file."""
    with h5py.File(path, "r") as f:
        pick = (lambda name: f[name][member]) if member is not None else (lambda name: f[name][:])
        return {"displaced": int(pick("cumulative_displaced")[-1]),
                "displaced_present_end": int(pick("displaced_present")[-1].sum()),
                "arrivals": int(pick("arrivals").sum()), "returns": int(pick("returns").sum()),
                "unsheltered_peak": int(pick("unsheltered").sum(axis=1).max()),
                "in_transit_end": int(pick("in_transit")[-1].sum()),
                "waiting_end": int(pick("waiting")[-1].sum())}


def test_several_runs_give_one_summary_row_each_and_a_folder_each(tmp_path: Path):
    files = []
    for variant in [None, "border_open", "bigger_camp"]:
        path = tmp_path / f"valley-{variant or 'base'}.h5"
        haven("run", str(SCENARIO), "--quiet", "-o", str(path), *(["--variant", variant] if variant else []))
        files.append(path)
    out = tmp_path / "exports"
    haven("export", *map(str, files), "-o", str(out))
    summary = read_csv(out / "summary.csv")
    assert list(summary["file"]) == [p.name for p in files]
    assert list(summary["variant"].fillna("")) == ["", "border_open", "bigger_camp"]
    assert summary["member"].isna().all() and summary["design_point"].isna().all()
    assert list(summary.columns)[-1] == "waiting_end"  # no swept keys without an ensemble
    for row, path in zip(summary.to_dict("records"), files):
        for column, value in summary_of(path).items():
            assert row[column] == value, (path.name, column)
        # Each run's own tables and layers, in a folder named after it.
        for name in ["nodes_daily.csv", "corridors_daily.csv", "origin_destination.csv", "nodes.geojson"]:
            assert (out / path.stem / name).is_file()
    with open(out / "summary.csv", newline="", encoding="utf-8") as f:
        header, tags = list(csv.reader(f))[:2]
    assert all(HXL_TAG.match(tag) for tag in tags) and dict(zip(header, tags))["file"] == "#meta+file"
    # --no-hxl: the plain table, the same rows.
    plain = tmp_path / "plain"
    haven("export", *map(str, files), "--format", "csv", "--no-hxl", "-o", str(plain))
    assert read_csv(plain / "summary.csv", hxl=False).equals(summary)
    assert not list(plain.glob("*/*.geojson"))


def test_an_ensemble_gives_a_summary_row_per_member(tmp_path: Path):
    (tmp_path / "sweep.yaml").write_text(SUMMARY_SWEEP.format(scenario=SCENARIO))
    haven("sweep", str(tmp_path / "sweep.yaml"), "-o", str(tmp_path / "sweep"), "-q", "-j", "2")
    haven("gather", str(tmp_path / "sweep"))
    ensemble = tmp_path / "sweep" / "ensemble.h5"
    haven("export", str(ensemble), "-o", str(tmp_path / "out"))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["summary.csv"]  # no per-member tables
    summary = read_csv(tmp_path / "out" / "summary.csv")
    with h5py.File(ensemble, "r") as f:
        seeds = f["seed"][:]
        assert len(summary) == f.attrs["members"] == 4
    assert list(summary["member"]) == [0, 1, 2, 3]
    assert set(summary["file"]) == {"ensemble.h5"}
    # Each member's design point, replicate and swept value, so that rows can be told apart (and pivoted) in Excel.
    assert list(summary["design_point"]) == [0, 0, 1, 1]
    assert list(summary["replicate"]) == [0, 1, 0, 1]
    assert list(summary["threat_kernel_km"]) == [0.5, 0.5, 2, 2]  # named as the sweep file and manifest.csv name it
    for row in summary.to_dict("records"):
        member = row["member"]
        # Seeds above 2^53 as manifest.csv writes them (0x + 16 hex digits), so Excel keeps them.
        seed = int(seeds[member])
        assert str(row["seed"]) == (f"0x{seed:016x}" if seed > 2**53 else str(seed))
        for column, value in summary_of(ensemble, member).items():
            assert row[column] == value, (member, column)
    # Layers need a run file: an ensemble alone with --format geojson is refused, naming what to do.
    refused = haven("export", str(ensemble), "--format", "geojson", "-o", str(tmp_path / "geo"), check=False)
    assert refused.returncode == 2 and "runs/member_NNNN.h5" in refused.stderr
    assert not (tmp_path / "geo").exists()
    # Two sweeps' ensembles, both ensemble.h5: each row names its file by the path given, so they can be told apart.
    shutil.copytree(tmp_path / "sweep", tmp_path / "sweep2")
    other = tmp_path / "sweep2" / "ensemble.h5"
    haven("export", str(ensemble), str(other), "-o", str(tmp_path / "both"))
    both = read_csv(tmp_path / "both" / "summary.csv")
    assert list(both["file"]) == [str(ensemble)] * 4 + [str(other)] * 4


def test_two_runs_of_the_same_name_are_refused(run_file: Path, tmp_path: Path):
    (tmp_path / "elsewhere").mkdir()
    shutil.copy(run_file, tmp_path / "elsewhere" / run_file.name)
    result = haven("export", str(run_file), str(tmp_path / "elsewhere" / run_file.name), "-o", str(tmp_path / "out"),
                   check=False)
    assert result.returncode == 2 and "would both write their tables into" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_stored_scenarios_warnings_are_not_said_again(tmp_path: Path):
    """Said when the scenario ran; export and validate of its file read it again without repeating them."""
    out = tmp_path / "warned.h5"
    ran = haven("run", str(SCENARIO), "--quiet", "--set", "nodes.hilltown.population=0", "-o", str(out))
    assert "warning: nodes.hilltown" in ran.stderr, ran.stderr
    exported_again = haven("export", str(out), "-o", str(tmp_path / "export"))
    assert "warning" not in exported_again.stderr, exported_again.stderr
    validated = haven("validate", str(out))
    assert "warning" not in validated.stderr, validated.stderr
