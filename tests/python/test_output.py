"""The run file as Python users see it: h5py, xarray (both engines), tools/python, the quickstart notebook.

Run by CTest (test `python_output_tools`, which sets HAVEN_BIN to the built binary) or by hand from the
repository root:  HAVEN_BIN=build/default/bin/haven /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/python
"""

import hashlib
import json
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # keep tools/python free of __pycache__ when run by hand

from pathlib import Path  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import xarray as xr  # noqa: E402
import yaml  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "examples" / "valley.yaml"
PYTHON = "/usr/bin/python3"
sys.path.insert(0, str(ROOT / "tools" / "python"))
import haven_io  # noqa: E402

# What the example scenario says, read independently of Haven (so that edits to valley.yaml keep the tests valid).
VALLEY = yaml.safe_load(SCENARIO.read_text())
START = pd.Timestamp(VALLEY["scenario"]["start_date"])
DAYS = int(VALLEY["scenario"]["days"])
NODE_IDS = [n["id"] for n in VALLEY["nodes"]]
NODE_NAMES = [n.get("name", n["id"]) for n in VALLEY["nodes"]]
GROUPS = [g["id"] for g in VALLEY["groups"]]
SIZES = {"time": DAYS, "node": len(NODE_IDS), "corridor": len(VALLEY["corridors"]), "group": len(GROUPS)}

COUNTS = ["population", "residents", "displaced_present", "departures", "arrivals", "returns", "waiting",
          "unsheltered", "corridor_inflow", "in_transit", "cumulative_displaced"]
DIMS = {"population": ("time", "node", "group"), "residents": ("time", "node"),
        "displaced_present": ("time", "node"), "departures": ("time", "node"), "arrivals": ("time", "node"),
        "returns": ("time", "node"), "waiting": ("time", "node"), "unsheltered": ("time", "node"),
        "corridor_inflow": ("time", "corridor"), "in_transit": ("time", "corridor"),
        "cumulative_displaced": ("time",), "threat": ("time", "node"), "od_count": ("od_pair",),
        "od_matrix": ("node", "destination")}


def haven_bin() -> Path:
    path = Path(os.environ.get("HAVEN_BIN") or ROOT / "build" / "default" / "bin" / "haven")
    if not path.is_file():
        pytest.fail(f"haven binary not found at {path}: set HAVEN_BIN (CTest does) or build the default preset")
    return path.resolve()


def child_env() -> dict:
    return {**os.environ, "HAVEN_BIN": str(haven_bin()), "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg"}


def run_haven(out: Path, *extra: str) -> Path:
    result = subprocess.run([str(haven_bin()), "run", str(SCENARIO), "-o", str(out), "--overwrite", "--quiet",
                             *extra], cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert out.is_file() and not Path(f"{out}.partial").exists()
    return out


@pytest.fixture(scope="session")
def run_file(tmp_path_factory) -> Path:
    return run_haven(tmp_path_factory.mktemp("run") / "valley.h5")


@pytest.fixture(scope="session")
def congested_file(tmp_path_factory) -> Path:
    # A narrow highway to the camp: people queue (waiting > 0), which conservation must count.
    return run_haven(tmp_path_factory.mktemp("congested") / "valley.h5",
                     "--set", "corridors.midcity-northcamp.capacity_people_per_day=300")


@pytest.fixture(scope="session")
def subset_file(tmp_path_factory) -> Path:
    return run_haven(tmp_path_factory.mktemp("subset") / "valley.h5", "--mode", "expected",
                     "--set", "outputs.interval_days=7", "--set", "outputs.nodes=[hillcamp, northcamp]")


@pytest.fixture(scope="session")
def raw(run_file):
    """Everything read with h5py, as plain numpy arrays and Python strings."""
    with h5py.File(run_file, "r") as f:
        def text(value):
            return value.decode() if isinstance(value, bytes) else str(value)

        data = {name: f[name][()] for name in f if isinstance(f[name], h5py.Dataset)}
        for name in ("node_name", "node_id", "corridor_id", "group_name"):
            data[name] = np.array([text(v) for v in data[name]])
        data["attrs"] = {key: (text(v) if isinstance(v, (bytes, str)) else v) for key, v in f.attrs.items()}
        return data


def scenario_people() -> int:
    nodes = yaml.safe_load(SCENARIO.read_text())["nodes"]
    return sum(int(n.get("population", 0)) + int(n.get("displaced", 0)) for n in nodes)


# ---- the file itself -----------------------------------------------------------------------------------------

def test_opens_with_h5py(run_file):
    with h5py.File(run_file, "r") as f:
        for name in [*COUNTS, "time", "node", "corridor", "group", "node_name", "od_origin", "od_matrix", "threat"]:
            assert name in f, name
        assert isinstance(f["events"], h5py.Group)
        assert isinstance(f.attrs["mode"], str)  # text attributes read as str, not bytes
        assert f["population"].shape == (DAYS, len(NODE_IDS), len(GROUPS))
        for dim, name in enumerate(DIMS["population"]):  # dimension scales attached, named like the dimension
            scale = f["population"].dims[dim][0]
            assert scale.name == f"/{name}"


@pytest.mark.filterwarnings("ignore:numpy.ndarray size changed")
@pytest.mark.parametrize("engine", ["h5netcdf", "netcdf4"])
def test_xarray_engines(run_file, engine):
    with xr.open_dataset(run_file, engine=engine) as ds:
        assert dict(ds.sizes) == {**SIZES, "od_pair": int(ds.sizes["od_pair"]), "destination": len(NODE_IDS), "nv": 2}
        for name, dims in DIMS.items():
            assert ds[name].dims == dims, name
        assert not [d for d in ds.dims if str(d).startswith("phony_dim")]
        assert np.issubdtype(ds.time.dtype, np.datetime64)
        assert pd.Timestamp(ds.time.values[0]) == START == pd.Timestamp("2024-03-01")
        assert pd.Timestamp(ds.time.values[-1]) == START + pd.Timedelta(days=DAYS - 1)
        assert (np.diff(ds.time.values) == np.timedelta64(1, "D")).all()
        assert ds.node_name.values.astype(str).tolist() == NODE_NAMES
        assert ds.attrs["Conventions"] == "CF-1.8"


def test_root_attributes(raw):
    attrs = raw["attrs"]
    assert attrs["Conventions"] == "CF-1.8"
    assert attrs["scenario_name"] == "valley"
    assert attrs["mode"] == "stochastic"
    assert int(attrs["seed"]) == 42
    assert attrs["start_date"] == "2024-03-01"
    assert int(attrs["days"]) == DAYS
    assert attrs["source"].startswith("Haven ")
    assert "haven run" in attrs["history"]
    yaml_text = attrs["scenario_yaml"]
    assert yaml.safe_load(yaml_text)["scenario"]["name"] == "valley"
    assert attrs["scenario_sha256"] == hashlib.sha256(yaml_text.encode("utf-8")).hexdigest()


def test_units_and_long_names(run_file):
    with xr.open_dataset(run_file, engine="h5netcdf") as ds:
        for name, var in ds.data_vars.items():
            assert var.attrs.get("long_name"), name
        for name in DIMS:  # every quantity (counts, threat, origin-destination)
            assert ds[name].attrs.get("units"), name
        assert ds.population.attrs["units"] == "1"
        assert ds.arrivals.attrs["units"] == "1"
    ds = haven_io.open_run(run_file)
    for name, var in ds.data_vars.items():  # after open_run the metadata are coordinates
        assert var.attrs.get("units") and var.attrs.get("long_name"), name


FLOWS = ["departures", "arrivals", "returns", "corridor_inflow"]


def test_cf_attributes(run_file):
    """CF-1.8 as cfchecks would check it (cfchecks is not installed here): UDUNITS units, a timeSeries feature
    with its id, lat/lon, cell methods and time bounds."""
    with h5py.File(run_file, "r") as f:
        assert f.attrs["featureType"] == "timeSeries"
        assert f["node_id"].attrs["cf_role"] == "timeseries_id"
        for name, standard, units in [("node_lat", "latitude", "degrees_north"),
                                      ("node_lon", "longitude", "degrees_east")]:
            assert f[name].attrs["standard_name"] == standard
            assert f[name].attrs["units"] == units
        for name in [*COUNTS, "od_count", "od_matrix"]:  # counts are dimensionless in UDUNITS, never "people"
            assert f[name].attrs["units"] == "1", name
            assert f[name].attrs["long_name"], name
        for name in COUNTS:
            # A stock is the state at the end of its day: its point is time_bnds' upper bound, not `time`.
            expected = "time: sum" if name in FLOWS else \
                "time: point (comment: the state at the end of the day, the upper bound of time_bnds)"
            assert f[name].attrs["cell_methods"] == expected, name
        for name in [*COUNTS, "threat"]:
            if "node" in DIMS[name]:
                assert f[name].attrs["coordinates"] == "node_id node_lat node_lon", name
        assert f["time"].attrs["bounds"] == "time_bnds"
        bounds = f["time_bnds"][...]
        assert bounds.shape == (DAYS, 2)
        assert (bounds[:, 0] == f["time"][...]).all() and (bounds[:, 1] == f["time"][...] + 1).all()
        assert f["od_pair"].attrs["long_name"]
    with xr.open_dataset(run_file, engine="h5netcdf") as ds:  # xarray decodes the bounds as dates too
        assert pd.Timestamp(ds.time_bnds.values[0, 1]) == START + pd.Timedelta(days=1)
        assert "node_lat" in ds.arrivals.coords


def test_counts_are_integers(raw):
    for name in [*COUNTS, "od_count", "od_matrix"]:
        assert np.issubdtype(raw[name].dtype, np.integer), name
    assert np.issubdtype(raw["threat"].dtype, np.floating)


@pytest.mark.parametrize("which", ["run_file", "congested_file"])
def test_conservation(request, which):
    with h5py.File(request.getfixturevalue(which), "r") as f:
        total = (f["population"][()].sum(axis=(1, 2)) + f["in_transit"][()].sum(axis=1)
                 + f["waiting"][()].sum(axis=1))
        if which == "congested_file":
            assert f["waiting"][()].sum() > 0
        assert (f["residents"][()] + f["displaced_present"][()] == f["population"][()].sum(axis=2)).all()
        assert (np.diff(f["cumulative_displaced"][()]) >= 0).all()
    assert (total == total[0]).all(), total
    assert total[0] == scenario_people()


def test_expected_mode_subset_and_interval(subset_file):
    with xr.open_dataset(subset_file, engine="h5netcdf") as ds:
        assert ds.attrs["mode"] == "expected"
        days = (ds.time.values - ds.time.values[0]) // np.timedelta64(1, "D")
        assert days.tolist() == sorted({*range(0, DAYS, 7), DAYS - 1})  # every 7th and the last
        wanted = sorted([NODE_IDS.index("hillcamp"), NODE_IDS.index("northcamp")])  # scenario order
        assert ds.node_index.values.tolist() == wanted
        assert ds.node_name.values.astype(str).tolist() == [NODE_NAMES[i] for i in wanted]
        assert "od_matrix" not in ds and "destination" not in ds.dims  # no dense matrix with a node subset
        assert np.issubdtype(ds.displaced_present.dtype, np.integer)
    run = haven_io.open_run(subset_file)
    assert run.displaced_present.sel(node="Hill Camp").dims == ("time",)
    # od destinations outside the subset still get names (from the scenario).
    assert "Mid City" in haven_io.top_destinations(run, n=9, by="od").index


@pytest.mark.filterwarnings("ignore:numpy.ndarray size changed")
def test_events_group(run_file):
    for engine in ("h5netcdf", "netcdf4"):
        with xr.open_dataset(run_file, engine=engine, group="events") as events:
            assert events.time.dims == ("event",)
            assert np.issubdtype(events.time.dtype, np.datetime64)
            rows = list(zip(events.event_id.values.astype(str), events.kind.values.astype(str),
                            events.time.values, events.node.values.tolist()))
            matched = 0
            for event in VALLEY["events"]:  # each scenario event starts on its day, at its node
                start = START + pd.Timedelta(days=event["day"]) if "day" in event else pd.Timestamp(event["date"])
                for event_id, kind, time, node in rows:
                    if event_id == event["id"] and kind == f"{event['kind']}_start":
                        assert pd.Timestamp(time) == start, event_id
                        if "node" in event:
                            assert node == NODE_IDS.index(event["node"]), event_id
                        matched += 1
            assert matched >= 3


@pytest.mark.filterwarnings("ignore:numpy.ndarray size changed")
def test_utf8_names_round_trip(tmp_path):
    name = "Ḩamāh Süd"
    path = run_haven(tmp_path / "utf8.h5", "--set", f"nodes.southtown.name={name}")
    for engine in ("h5netcdf", "netcdf4"):
        with xr.open_dataset(path, engine=engine) as ds:
            assert ds.node_name.values[NODE_IDS.index("southtown")] == name
            assert name in ds.attrs["scenario_yaml"]
            assert ds.attrs["scenario_sha256"] == hashlib.sha256(ds.attrs["scenario_yaml"].encode()).hexdigest()
    assert haven_io.open_run(path).displaced_present.sel(node=name).dims == ("time",)


# ---- tools/python/haven_io.py ---------------------------------------------------------------------------------

def test_open_run(run_file, raw):
    ds = haven_io.open_run(run_file)
    assert ds.node.values.tolist() == raw["node_name"].tolist()
    assert ds.corridor.values.tolist() == raw["corridor_id"].tolist()
    assert ds.group.values.tolist() == GROUPS
    camp, city = NODE_NAMES.index("North Camp"), NODE_NAMES.index("Mid City")
    assert (ds.displaced_present.sel(node="North Camp").values == raw["displaced_present"][:, camp]).all()
    elderly = GROUPS.index("elderly")
    assert ds.population.sel(node="Mid City", group="elderly").values[0] == raw["population"][0, city, elderly]
    assert ds.time.values[0] == np.datetime64("2024-03-01")
    assert ds.attrs["scenario_sha256"] == raw["attrs"]["scenario_sha256"]
    assert ds.attrs["seed"] == 42
    assert ds.node_kind_name.sel(node="North Camp") == "camp"
    south = NODE_NAMES.index("South Town")
    assert ds.od_matrix.sel(node="South Town", destination="North Camp") == raw["od_matrix"][south, camp]
    events = haven_io.open_events(run_file)
    strikes = events.where(events.event_id == "strikes_south", drop=True)
    assert strikes.node_name.values.tolist()[0] == "South Town"
    with pytest.raises(ValueError, match="not a Haven run file"):
        empty = run_file.parent / "empty.h5"
        h5py.File(empty, "w").close()
        haven_io.open_run(empty)


def test_displaced_series(run_file, raw):
    series = haven_io.displaced_series(haven_io.open_run(run_file))
    assert isinstance(series.index, pd.DatetimeIndex)
    assert series.index[0] == START and len(series) == DAYS
    assert (series.to_numpy() == raw["cumulative_displaced"]).all()


def test_a_variable_not_recorded_is_said_by_name(tmp_path):
    path = run_haven(tmp_path / "two.h5", "--record", "variables=departures,arrivals")
    ds = haven_io.open_run(path)
    with pytest.raises(ValueError, match="does not record 'cumulative_displaced'"):
        haven_io.displaced_series(ds)
    with pytest.raises(ValueError, match="does not record 'displaced_present'"):
        haven_io.top_destinations(ds)
    assert len(haven_io.top_destinations(ds, by="arrivals")) == 5


def test_top_destinations(run_file, raw):
    ds = haven_io.open_run(run_file)
    names = raw["node_name"]
    end = raw["displaced_present"][-1]
    top = haven_io.top_destinations(ds, n=3)
    order = np.argsort(-end, kind="stable")[:3]
    assert top.index.tolist() == names[order].tolist()
    assert top.tolist() == end[order].tolist()

    arrivals = raw["arrivals"].sum(axis=0)
    assert haven_io.top_destinations(ds, n=1, by="arrivals").iloc[0] == arrivals.max()

    od = pd.Series(raw["od_count"]).groupby(raw["od_destination"]).sum().sort_values(ascending=False)
    top_od = haven_io.top_destinations(ds, n=2, by="od")
    assert top_od.index.tolist() == [names[i] for i in od.index[:2]]
    assert top_od.tolist() == od.iloc[:2].tolist()
    assert (raw["od_matrix"].sum(axis=0)[od.index[:2]] == od.iloc[:2].to_numpy()).all()


def expected_points(yaml_text: str) -> list[dict]:
    """The observation points of a scenario, worked out independently of haven_io."""
    import datetime

    scenario = yaml.safe_load(yaml_text)
    start = scenario["scenario"]["start_date"]
    points = []
    for series in scenario.get("observations") or []:
        for point in series["points"]:
            day = point["day"] if "day" in point else (point["date"] - start).days
            points.append({"series": series["id"], "variable": series["variable"], "node": series.get("node"),
                           "nodes": series.get("nodes") or None, "day": day, "date": pd.Timestamp(start + datetime.timedelta(days=day)),
                           "value": float(point["value"]), "weight": float(point.get("weight", 1.0))})
    return points


def test_observations(run_file, raw):
    expected = expected_points(SCENARIO.read_text())
    assert expected, "the example scenario should have observations"
    assert expected == expected_points(raw["attrs"]["scenario_yaml"])
    obs = haven_io.observations(haven_io.open_run(run_file))
    for column in ("series", "variable", "day", "date", "value", "weight"):
        assert obs[column].tolist() == [p[column] for p in expected], column
    assert obs.node.tolist() == [p["node"] for p in expected]
    assert obs.nodes.tolist() == [p["nodes"] for p in expected]


def by_hand(f: h5py.File, point: dict) -> float:
    """What an observation point is compared with, from the raw datasets (every day recorded, all nodes)."""
    day = point["day"]
    assert f["time"][day] == day
    if point["variable"] == "cumulative_displaced":
        return float(f["cumulative_displaced"][day])
    columns = slice(None)
    ids = [v.decode() for v in f["node_id"][()]]
    if point["node"] is not None:
        columns = ids.index(point["node"])
    elif point["nodes"]:
        columns = [ids.index(n) for n in point["nodes"]]  # an observation over a set of nodes: their sum
    if point["variable"] == "displaced_present":
        return float(np.sum(f["displaced_present"][day, columns]))
    return float(np.sum(f["arrivals"][: day + 1, columns]))  # arrivals: cumulative since day 0


EXTRA_OBSERVATIONS = """\
  - id: camp_count
    variable: displaced_present
    node: northcamp
    source: {publisher: test}
    points: [{day: 10, value: 30000}, {date: 2024-04-10, value: 70000, weight: 0.25}]
  - id: camp_arrivals
    variable: arrivals
    node: northcamp
    source: {publisher: test}
    points: [{day: 12, value: 12000}]
  - id: hosted_everywhere
    variable: displaced_present
    source: {publisher: test}
    points: [{day: 20, value: 100000}]
  - id: both_camps
    variable: displaced_present
    nodes: [northcamp, hillcamp]
    source: {publisher: test}
    points: [{day: 25, value: 40000}]
  - id: both_camps_arrivals
    variable: arrivals
    nodes: [northcamp, hillcamp]
    source: {publisher: test}
    points: [{day: 15, value: 20000}]
"""


@pytest.fixture(scope="session")
def observed_file(tmp_path_factory) -> Path:
    """The example with observations of every kind (node-level, network-wide, cumulative arrivals)."""
    text = SCENARIO.read_text()
    marker = "\nobservations:\n"
    if marker not in text:
        pytest.skip("the example scenario no longer has a block-style observations section")
    folder = tmp_path_factory.mktemp("observed")
    scenario = folder / "valley_observed.yaml"
    scenario.write_text(text.replace(marker, marker + EXTRA_OBSERVATIONS, 1))
    out = folder / "valley.h5"
    result = subprocess.run([str(haven_bin()), "run", str(scenario), "-o", str(out), "--quiet"], cwd=ROOT,
                            env=child_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.parametrize("which", ["run_file", "observed_file"])
def test_compare_with_observations(request, which):
    path = request.getfixturevalue(which)
    with h5py.File(path, "r") as f:
        points = expected_points(f.attrs["scenario_yaml"])
        simulated = np.array([by_hand(f, p) for p in points])
    observed = np.array([p["value"] for p in points])
    table = haven_io.compare_with_observations(haven_io.open_run(path))
    assert table.series.tolist() == [p["series"] for p in points]
    assert table.date.tolist() == [p["date"] for p in points]
    assert table.observed.tolist() == observed.tolist()
    assert table.simulated.tolist() == simulated.tolist()
    np.testing.assert_allclose(table.relative_error, (simulated - observed) / observed)
    if which == "observed_file":
        assert set(table.variable) == {"cumulative_displaced", "displaced_present", "arrivals"}
        assert table.nodes.notna().sum() == 2  # the two observations over a set of nodes
        # The same simulated values as `haven validate` prints, row for row (rounded as it prints them).
        result = subprocess.run([str(haven_bin()), "validate", str(path)], cwd=ROOT, env=child_env(),
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        printed = re.findall(r"^\s+(\d{4}-\d\d-\d\d)\s+(\S+)\s+([\d,]+)\s+([\d,]+)\s", result.stdout, re.M)
        assert len(printed) == len(table)
        for (date, series, _, simulated), row in zip(printed, table.itertuples()):
            assert (date, series) == (row.date.strftime("%Y-%m-%d"), row.series)
            assert int(simulated.replace(",", "")) == round(row.simulated), series


def test_compare_where_the_file_cannot_tell(subset_file):
    # Every 7th day and two nodes recorded: only recorded days compare; network-wide totals cannot.
    table = haven_io.compare_with_observations(haven_io.open_run(subset_file))
    recorded = table.day % 7 == 0
    assert table.simulated[~recorded].isna().all()
    with h5py.File(subset_file, "r") as f:
        for row in table[recorded].itertuples():
            assert row.simulated == f["cumulative_displaced"][row.day // 7]


# ---- tools/python/plot_run.py and the notebook ----------------------------------------------------------------

def test_plot_run(run_file, tmp_path):
    png = tmp_path / "figure.png"
    script = ROOT / "tools" / "python" / "plot_run.py"
    # As the README runs it: the script itself (executable, #!/usr/bin/python3), with no backend chosen.
    assert os.access(script, os.X_OK), f"{script} is not executable (git update-index --chmod=+x)"
    assert script.read_text().startswith("#!/usr/bin/python3\n")
    env = {key: value for key, value in child_env().items() if key not in ("MPLBACKEND", "DISPLAY")}
    result = subprocess.run([str(script), str(run_file), "-o", str(png)], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000

    missing = subprocess.run([PYTHON, str(script), str(tmp_path / "missing.h5")], env=child_env(),
                             capture_output=True, text=True, timeout=300)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    not_hdf5 = tmp_path / "notes.h5"
    not_hdf5.write_text("not HDF5")
    bad = subprocess.run([PYTHON, str(script), str(not_hdf5)], env=child_env(), capture_output=True, text=True,
                         timeout=300)
    assert bad.returncode == 2 and "not a Haven run file" in bad.stderr


def test_importing_plot_run_keeps_the_backend(run_file, tmp_path):
    # A notebook's inline backend must survive `import plot_run` (it switched to Agg: every later figure was empty).
    code = f"""
import sys
import matplotlib
matplotlib.use("module://matplotlib_inline.backend_inline")
sys.path.insert(0, {str(ROOT / "tools" / "python")!r})
import haven_io, plot_run
assert matplotlib.get_backend() == "module://matplotlib_inline.backend_inline", matplotlib.get_backend()
plot_run.plot_run(haven_io.open_run({str(run_file)!r}), {str(tmp_path / "figure.png")!r})
assert matplotlib.get_backend() == "module://matplotlib_inline.backend_inline", matplotlib.get_backend()
"""
    env = {key: value for key, value in child_env().items() if key != "MPLBACKEND"}
    result = subprocess.run([PYTHON, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "figure.png").stat().st_size > 10_000


NOTEBOOK = ROOT / "tools" / "notebooks" / "haven_quickstart.ipynb"


def test_notebook_is_committed_without_outputs():
    notebook = json.loads(NOTEBOOK.read_text())
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
    # nbformat 4.5 wants an id on every cell: without, running it warns (MissingIDFieldWarning), later refuses.
    assert (notebook["nbformat"], notebook["nbformat_minor"]) >= (4, 5)
    ids = [cell.get("id") for cell in notebook["cells"]]
    assert None not in ids and len(set(ids)) == len(ids), ids


def path_with_haven(tmp_path: Path) -> str:
    """A PATH whose only `haven` is a link to the built binary (in tmp_path/bin)."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    if not (folder / "haven").exists():
        (folder / "haven").symlink_to(haven_bin())
    return f"{folder}:/usr/bin:/bin"


def notebook_env(**changes: str | None) -> dict:
    """The environment Jupyter would give the kernel: no Haven variables, no MPLBACKEND, then `changes`."""
    env = {key: value for key, value in child_env().items()
           if key not in ("HAVEN", "HAVEN_BIN", "HAVEN_ROOT", "MPLBACKEND")}
    env.update({key: value for key, value in changes.items() if value is not None})
    return env


def notebook_haven(tmp_path: Path, env: dict) -> subprocess.CompletedProcess:
    """Runs the notebook's first code cell (which finds haven) as a script from tmp_path."""
    first = next(c for c in json.loads(NOTEBOOK.read_text())["cells"] if c["cell_type"] == "code")
    return subprocess.run([PYTHON, "-c", "".join(first["source"])], env={**env, "HAVEN_ROOT": str(ROOT)},
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)


def test_notebook_finds_haven_in_the_environment_then_on_path_then_in_the_build_tree(tmp_path):
    on_path = path_with_haven(tmp_path)
    other = tmp_path / "other-haven"
    other.symlink_to(haven_bin())
    chosen = notebook_haven(tmp_path, notebook_env(PATH=on_path, HAVEN=str(other)))
    assert chosen.returncode == 0, chosen.stderr
    assert f"haven:      {other}" in chosen.stdout
    chosen = notebook_haven(tmp_path, notebook_env(PATH=on_path))
    assert chosen.returncode == 0, chosen.stderr
    assert f"haven:      {tmp_path / 'bin' / 'haven'}" in chosen.stdout
    build_tree = ROOT / "build" / "default" / "bin" / "haven"
    if build_tree.is_file():
        chosen = notebook_haven(tmp_path, notebook_env(PATH="/usr/bin:/bin"))
        assert chosen.returncode == 0, chosen.stderr
        assert f"haven:      {build_tree}" in chosen.stdout
    missing = notebook_haven(tmp_path, notebook_env(PATH="/usr/bin:/bin", HAVEN=str(tmp_path / "nowhere")))
    assert missing.returncode != 0 and "nowhere" in missing.stderr


def test_notebook_executes(tmp_path):
    # As a user runs it: haven on PATH (no HAVEN variable), Jupyter's own matplotlib backend.
    result = subprocess.run(
        [PYTHON, "-m", "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=300",
         "--output-dir", str(tmp_path), str(NOTEBOOK)],
        env=notebook_env(PATH=path_with_haven(tmp_path)), cwd=tmp_path, capture_output=True, text=True,
        timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    executed = json.loads((tmp_path / NOTEBOOK.name).read_text())
    code_cells = [cell for cell in executed["cells"] if cell["cell_type"] == "code"]
    outputs = [o for cell in code_cells for o in cell["outputs"]]
    assert outputs and not [o for o in outputs if o["output_type"] == "error"]
    assert "".join(code_cells[0]["outputs"][0]["text"]).count(str(tmp_path / "bin" / "haven")) == 1
    # Every figure shows, the fan chart after `import plot_run` included.
    showing = [cell for cell in code_cells if "plt.show()" in "".join(cell["source"])]
    assert len(showing) >= 3
    for cell in showing:
        assert any("image/png" in o.get("data", {}) for o in cell["outputs"]), "".join(cell["source"])


def test_under_flees_rules_the_people_who_flee_are_added(tmp_path):
    """Flee's rules take nobody from a place's population (take_from_population: false): every recorded day the
    people hold the scenario's total plus those who fled so far, as docs/output-format.md says."""
    out = tmp_path / "flee.h5"
    subprocess.run([str(haven_bin()), "run", str(ROOT / "tests" / "data" / "flee" / "good"), "-o", str(out),
                    "--quiet"], check=True, capture_output=True, env=child_env(), cwd=ROOT)
    with h5py.File(out, "r") as f:
        total = (f["population"][()].sum(axis=(1, 2)) + f["in_transit"][()].sum(axis=1)
                 + f["waiting"][()].sum(axis=1))
        fled = f["cumulative_displaced"][()]
        assert fled[-1] > 0
        assert (total - fled == total[0] - fled[0]).all(), (total, fled)
