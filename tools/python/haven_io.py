"""Read Haven run files (HDF5 in the netCDF-4/CF layout) into xarray and pandas.

docs/output-format.md describes the file. Typical use::

    import sys; sys.path.insert(0, "tools/python")
    from haven_io import open_run
    ds = open_run("output/valley.h5")
    ds.displaced_present.sel(node="North Camp").plot()

All counts are whole people (int64, CF units ``1``); flows (departures, arrivals, returns, corridor_inflow) are
sums over the recorded day only (``cell_methods: "time: sum"``, bounds in ``time_bnds``); ``time`` labels each
recorded day by its start, and a stock (residents, displaced_present, ...) is the state at that day's end.
"""

from __future__ import annotations

import datetime as _dt
import os
import re

import numpy as np
import pandas as pd
import xarray as xr
import yaml

__all__ = [
    "open_run",
    "open_events",
    "displaced_series",
    "top_destinations",
    "observations",
    "compare_with_observations",
    "open_sweep",
    "fan_chart",
]

# Per-node / per-corridor / per-group metadata that open_run turns into coordinates.
_METADATA = [
    "node_id", "node_name", "node_lat", "node_lon", "node_index", "node_kind",
    "node_pcode", "node_admin1", "node_admin2",
    "corridor_id", "corridor_from", "corridor_to", "corridor_length_km",
    "group_name", "od_origin", "od_destination", "time_bnds",
]


def _unique_or(preferred: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    preferred = np.asarray(preferred).astype(str)
    return preferred if len(set(preferred)) == len(preferred) else np.asarray(fallback).astype(str)


def open_run(path: str | os.PathLike, load: bool = True) -> xr.Dataset:
    """Open a Haven run file as an :class:`xarray.Dataset` labelled for humans.

    - ``time``: decoded dates (datetime64), each recorded day's start; stocks hold at the day's end.
    - ``node``: node names (``ds.displaced_present.sel(node="North Camp")``); node ids instead if two
      nodes share a name. ``node_id``, ``node_index`` (index in the scenario's node list), ``node_lat``
      (degrees_north), ``node_lon`` (degrees_east), ``node_kind`` (int8 code), ``node_kind_name`` and, in
      files that have them, ``node_pcode``, ``node_admin1`` and ``node_admin2`` are coordinates on ``node``.
    - ``destination`` (dimension of ``od_matrix``, when present): node names as for ``node``.
    - ``corridor``: corridor ids (``corridor_from``/``corridor_to`` node indices, ``corridor_length_km`` in km).
    - ``group``: group ids.
    - ``od_pair``: integer index; ``od_origin``/``od_destination`` (scenario node indices) are coordinates.

    Data variables keep their ``units`` and ``long_name`` attributes; the root attributes (seed, mode,
    scenario_yaml, ...) are in ``ds.attrs``. With ``load=True`` (the default) everything is read into
    memory and the file is closed at once, so re-running haven over the same path is safe; pass
    ``load=False`` for lazy access to large files (then call ``ds.close()`` when done). A sweep's ``ensemble.h5``
    is refused with a ``ValueError`` that says so: :func:`open_sweep` reads it.
    """
    raw = xr.open_dataset(path, engine="h5netcdf")
    if "scenario_name" not in raw.attrs:
        raw.close()
        raise ValueError(f"{path}: not a Haven run file (no scenario_name attribute)")
    if "sweep_name" in raw.attrs or "member" in raw.dims:
        raw.close()
        raise ValueError(f"{path}: a sweep's ensemble (haven gather), not one run: open it with "
                         f"haven_io.open_sweep, or give one member's run file (runs/member_0000.h5 beside it)")
    if load:
        with raw:
            raw = raw.load()
    ds = raw.set_coords([name for name in _METADATA if name in raw.variables])

    node_labels = _unique_or(ds.node_name.values, ds.node_id.values)
    ds = ds.assign_coords(node=node_labels, corridor=ds.corridor_id.values.astype(str),
                          group=ds.group_name.values.astype(str))
    if "destination" in ds.dims:  # od_matrix: all nodes in scenario order (never a subset)
        ds = ds.assign_coords(destination=node_labels)
    if "node_kind" in ds.coords:
        meanings = str(ds.node_kind.attrs.get("flag_meanings", "")).split()
        codes = ds.node_kind.values.astype(int)
        names = [meanings[c] if 0 <= c < len(meanings) else str(c) for c in codes]
        ds = ds.assign_coords(node_kind_name=("node", np.asarray(names)))
    for name in ("node", "destination", "corridor", "group"):
        if name in ds.coords:
            ds[name].attrs["long_name"] = {"node": "node name", "destination": "destination node name",
                                           "corridor": "corridor id", "group": "demographic group"}[name]
    return ds


def open_events(path: str | os.PathLike) -> xr.Dataset:
    """The ``/events`` group as a Dataset along ``event``.

    Variables: ``time`` (decoded dates; may fall inside a day: the file stores fractional days since
    start_date), ``kind`` (e.g. ``bombardment_start``), ``event_id`` (scenario event id, may be empty),
    ``node``/``corridor`` (scenario indices, -1 for none), ``value`` (intensity, capacity, 1/0 for
    open/closed, or people, depending on ``kind``), plus ``node_name`` and ``corridor_id`` looked up from
    the root datasets ("" for none or for a node outside the recorded subset).
    """
    with xr.open_dataset(path, engine="h5netcdf", group="events") as events, \
            xr.open_dataset(path, engine="h5netcdf") as root:
        events = events.load()
        by_index = dict(zip(root.node_index.values.tolist(), root.node_name.values.astype(str)))
        corridors = root.corridor_id.values.astype(str)
    events["node_name"] = ("event", np.asarray([by_index.get(int(i), "") for i in events.node.values], dtype=object))
    events["corridor_id"] = ("event", np.asarray(
        [corridors[i] if 0 <= i < len(corridors) else "" for i in events.corridor.values.astype(int)], dtype=object))
    return events


def _recorded(ds: xr.Dataset, variable: str) -> xr.DataArray:
    """``ds[variable]``, or an error saying the file does not record it (``--record variables=...``)."""
    if variable not in ds.variables:
        raise ValueError(f"this file does not record {variable!r} (it was run with outputs.variables or --record "
                         f"variables=...); run it again recording it, e.g. --record 'variables=all'")
    return ds[variable]


def displaced_series(ds: xr.Dataset) -> pd.Series:
    """``cumulative_displaced`` (people who have left home since the start, each departure counted; people)
    as a pandas Series indexed by date."""
    return _recorded(ds, "cumulative_displaced").to_series().rename("cumulative_displaced")


def top_destinations(ds: xr.Dataset, n: int = 5, by: str = "present") -> pd.Series:
    """The ``n`` largest destinations as a Series (node label -> people), largest first.

    ``by``:
      - ``"present"`` (default): ``displaced_present`` on the last recorded day (people hosted at the end).
      - ``"arrivals"``: ``arrivals`` (people/day) summed over the recorded days. Only complete when
        ``outputs.interval_days`` is 1: flows are stored for the recorded days only.
      - ``"od"``: the origin-destination triplets (``od_count``) summed by destination: cumulative arrivals
        of people from modelled homes, over the whole run, for every node (even outside a node subset).
    """
    if by == "present":
        values = _recorded(ds, "displaced_present").isel(time=-1).to_series()
    elif by == "arrivals":
        values = _recorded(ds, "arrivals").sum("time").to_series()
    elif by == "od":
        counts = pd.Series(_recorded(ds, "od_count").values, index=ds.od_destination.values).groupby(level=0).sum()
        labels = _node_labels_by_index(ds)
        values = counts.rename(index=lambda i: labels.get(int(i), f"node {int(i)}"))
    else:
        raise ValueError(f"by must be 'present', 'arrivals' or 'od', not {by!r}")
    values = values.astype("int64").sort_values(ascending=False, kind="stable").head(n)
    values.index.name = "node"
    return values.rename(f"top_destinations_{by}")


def _node_labels_by_index(ds: xr.Dataset) -> dict[int, str]:
    """Scenario node index -> node label; nodes outside a recorded subset are named from scenario_yaml."""
    labels = dict(zip(ds.node_index.values.tolist(), ds.node.values.astype(str)))
    if len(labels) < _node_count(ds):
        nodes = _scenario(ds).get("nodes") or []
        for i, node in enumerate(nodes):
            labels.setdefault(i, str(node.get("name", node.get("id"))))
    return labels


def _node_count(ds: xr.Dataset) -> int:
    return int(ds.sizes.get("destination", 0)) or len(_scenario(ds).get("nodes") or [])


class _HavenLoader(yaml.SafeLoader):
    """SafeLoader with Haven's booleans: only ``true``/``false`` (so ids like ``no`` or ``on`` stay text)."""


_HavenLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_HavenLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))


def _scenario(ds: xr.Dataset) -> dict:
    """The resolved scenario (root attribute ``scenario_yaml``) as a dict."""
    return yaml.load(ds.attrs["scenario_yaml"], Loader=_HavenLoader) or {}


def _as_date(value) -> _dt.date:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    return _dt.date.fromisoformat(str(value))


def observations(ds: xr.Dataset) -> pd.DataFrame:
    """The scenario's observation points (from the ``scenario_yaml`` root attribute), one row per point.

    Columns: ``series`` (observation id), ``variable`` (cumulative_displaced, displaced_present or arrivals),
    ``node`` (node id, or None for the whole network or a set of nodes), ``nodes`` (the node ids of an
    observation over a set of nodes, whose sum it observes; else None), ``day`` (days since start_date), ``date``
    (Timestamp; points given by ``day`` get their date and vice versa), ``value`` (people; for arrivals the
    people arrived since day 0), ``weight`` (0..1, default 1) and ``note``.
    """
    start = _as_date(ds.attrs["start_date"])
    rows = []
    for series in _scenario(ds).get("observations") or []:
        for point in series.get("points") or []:
            if "day" in point:
                day = int(float(point["day"]))
            else:
                day = (_as_date(point["date"]) - start).days
            rows.append({
                "series": str(series["id"]),
                "variable": str(series["variable"]),
                "node": None if series.get("node") is None else str(series["node"]),
                "nodes": None if not series.get("nodes") else [str(n) for n in series["nodes"]],
                "day": day,
                "date": pd.Timestamp(start + _dt.timedelta(days=day)),
                "value": float(point["value"]),
                "weight": float(point.get("weight", 1.0)),
                "note": str(point.get("note", "")),
            })
    columns = ["series", "variable", "node", "nodes", "day", "date", "value", "weight", "note"]
    return pd.DataFrame(rows, columns=columns)


def _simulated(ds: xr.Dataset, variable: str, node: str | None, day: int, nodes: list | None = None) -> float:
    """The quantity an observation refers to on `day`, as `haven validate` computes it from a file; NaN when
    the file cannot give it (variable, node or day not recorded). An observation over a set of `nodes` is of
    their sum."""
    start = np.datetime64(_as_date(ds.attrs["start_date"]), "ns")
    days = ((ds.time.values - start) // np.timedelta64(1, "D")).astype(int).tolist()
    if variable not in ds or day not in days:
        return float("nan")
    series = ds[variable]
    if "node" in series.dims:
        if node is None and nodes:
            recorded = ds.node_id.values.astype(str).tolist()
            if any(n not in recorded for n in nodes):
                return float("nan")  # a node of the set not recorded (outputs.nodes)
            series = series.isel(node=[recorded.index(n) for n in nodes]).sum("node")
        elif node is None:
            if ds.sizes["node"] < _node_count(ds):
                return float("nan")  # a node subset was recorded: no network-wide total
            series = series.sum("node")
        else:
            match = np.flatnonzero(ds.node_id.values.astype(str) == node)
            if len(match) == 0:
                return float("nan")  # node not recorded (outputs.nodes)
            series = series.isel(node=int(match[0]))
    t = days.index(day)
    if variable == "arrivals":  # cumulative since day 0: needs every day recorded
        if days[: t + 1] != list(range(day + 1)):
            return float("nan")
        return float(series.values[: t + 1].sum())
    return float(series.values[t])


def compare_with_observations(ds: xr.Dataset) -> pd.DataFrame:
    """Simulated values at the observation dates next to the observed ones (as ``haven validate`` does).

    One row per observation point (see :func:`observations`), with ``observed`` and ``simulated`` (people;
    float) and ``relative_error`` = (simulated - observed) / observed (NaN when observed is 0).
    ``cumulative_displaced`` is compared with ``ds.cumulative_displaced``; ``displaced_present`` with the
    node's value, the sum over the observation's ``nodes``, or the sum over all nodes; ``arrivals`` with the
    arrivals of displaced people (returns home are not arrivals) summed from day 0 to the observation's day, at
    the node, over its nodes, or everywhere. ``simulated`` is NaN when the file cannot give
    the value: the day was not recorded (``outputs.interval_days`` > 1; cumulative arrivals need every day), or
    the variable or node was not recorded (``outputs.variables``, ``outputs.nodes``).
    """
    obs = observations(ds)
    simulated = [_simulated(ds, row.variable, row.node, row.day, row.nodes) for row in obs.itertuples()]
    out = obs.rename(columns={"value": "observed"})
    out["simulated"] = np.asarray(simulated, dtype=float)
    observed = out["observed"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["relative_error"] = np.where(observed != 0, (out["simulated"] - observed) / observed, np.nan)
    return out[["series", "variable", "node", "nodes", "date", "day", "observed", "simulated", "relative_error",
                "weight"]]


# ---- sweeps -----------------------------------------------------------------------------------------------------

def _opens(path: str) -> bool:
    """Whether HDF5 opens the file at `path` (a run file damaged or cut short does not)."""
    import h5py

    try:
        with h5py.File(path, "r"):
            return True
    except OSError:
        return False


def open_sweep(path: str | os.PathLike, usable_only: bool = False) -> xr.Dataset:
    """Open a sweep's ``ensemble.h5`` (written by ``haven gather``) as one xarray Dataset.

    The per-member series (``cumulative_displaced``, ``displaced_present``, ...) are HDF5 virtual datasets over the
    run files in ``runs/``: nothing was copied, and they are read lazily from those files. ``member`` carries the
    seed, design point, replicate, status and every swept value (``parameter_<name>``) as coordinates; ``time``
    holds dates; ``node`` node names. ``<series>_mean`` and ``<series>_quantiles`` (over ``quantile`` = 0.05, 0.5,
    0.95) are summaries over the usable members. With ``usable_only``, members whose status is not ``done`` are
    dropped (gather writes them only with ``--allow-missing``; their values read as missing).

    A virtual ensemble copied away from its ``runs/`` reads every member as missing (HDF5 fills them in
    silently); this warns (``UserWarning``) naming the run files that are not there, or that HDF5 cannot open.
    ``haven gather --materialize`` writes an ensemble that stands alone. With every member there and usable, counts
    are int64; otherwise float64, NaN where missing.
    """
    import warnings

    path = os.fspath(path)
    ds = xr.open_dataset(path, engine="h5netcdf")
    status = ds["status"].values if "status" in ds else np.zeros(ds.sizes["member"], int)
    missing = []
    if ds.attrs.get("members_stored", "virtual") == "virtual" and "path" in ds:
        here = os.path.dirname(os.path.abspath(path))
        names = [v.decode() if isinstance(v, bytes) else str(v) for v in ds["path"].values]
        missing = [name for name, s in zip(names, status)
                   if s == 0 and not os.path.exists(os.path.join(here, name))]
        if missing:
            shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            warnings.warn(f"{path}: {len(missing)} of {len(names)} members' run files are not there ({shown}, "
                          f"looked for in {here}); their series read as missing. Keep ensemble.h5 beside the "
                          "sweep's runs/, or gather with --materialize for a file that stands alone.",
                          UserWarning, stacklevel=2)
        # A run file there that HDF5 cannot open (damaged since gather) is filled in silently too.
        unreadable = [name for name, s in zip(names, status) if s == 0 and name not in missing
                      and not _opens(os.path.join(here, name))]
        if unreadable:
            shown = ", ".join(unreadable[:5]) + (f" and {len(unreadable) - 5} more" if len(unreadable) > 5 else "")
            warnings.warn(f"{path}: {len(unreadable)} of {len(names)} members' run files cannot be read ({shown}); "
                          "their series read as missing. Run the sweep again to write them anew, then gather.",
                          UserWarning, stacklevel=2)
        missing += unreadable
    # Counts are whole people: with every member there, none is missing, and they stay integers (xarray's masking
    # of the fill value, -1, would make every count a float).
    if not missing and (status == 0).all():
        raw = xr.open_dataset(path, engine="h5netcdf", mask_and_scale=False)
        whole = {}
        for name in ds.data_vars:
            if raw[name].dtype.kind == "i" and ds[name].dtype.kind == "f":
                variable = raw[name]
                fill = variable.attrs.pop("_FillValue", None)
                if fill is not None:
                    variable.encoding["_FillValue"] = fill  # where xarray keeps it, for to_netcdf
                whole[name] = variable
        ds = ds.assign(whole)
    member_vars = [name for name in ds.data_vars
                   if ds[name].dims == ("member",) and name in ("seed", "design_point", "replicate", "status", "path")
                   or name.startswith("parameter_")]
    ds = ds.set_coords(member_vars)
    # The names are coordinates, as in a run file (open_run), so that a selection of series keeps them.
    labels = [n for n in ("node_name", "corridor_id", "group_name") if n in ds]
    ds = ds.set_coords(labels)
    for label in labels:
        dim = ds[label].dims[0]
        values = np.array([v.decode() if isinstance(v, bytes) else str(v) for v in ds[label].values])
        if len(set(values)) == len(values):
            ds = ds.assign_coords({dim: values})
    if usable_only and "status" in ds.coords:
        ds = ds.isel(member=np.flatnonzero(ds.status.values == 0))
    return ds


def fan_chart(ds: xr.Dataset, series: str = "cumulative_displaced", ax=None, label: str | None = None):
    """Draw a sweep's fan chart: the 5-95% band and median of ``series`` over members, and its mean.

    ``series`` is one of the summaries gather writes (``cumulative_displaced``, ``displaced_present_total``,
    ``unsheltered_total``, ``departures_total``, ``in_transit_total``, ``returns_total``). The scenario's
    network-wide observations of cumulative displacement are drawn on its chart. Returns the axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    quantiles = ds[f"{series}_quantiles"]
    time = ds["time"].values
    ax.fill_between(time, quantiles.sel(quantile=0.05), quantiles.sel(quantile=0.95), alpha=0.3,
                    label="5-95% of members")
    ax.plot(time, quantiles.sel(quantile=0.5), lw=1, ls="--", label="median")
    ax.plot(time, ds[f"{series}_mean"], lw=2, label=label or "mean")
    if series == "cumulative_displaced" and "scenario_yaml" in ds.attrs:
        obs = observations(ds)
        obs = obs[(obs.variable == "cumulative_displaced") & obs.node.isna()]
        if len(obs):
            ax.scatter(obs.date, obs.value, color="black", s=14, zorder=3, label="observed")
    ax.set_ylabel(f"{series.replace('_', ' ')} (people)")
    ax.figure.autofmt_xdate()
    ax.set_title(f"{ds.attrs.get('sweep_name', 'sweep')}: {int(ds.attrs.get('usable_members', 0))} members")
    ax.legend(loc="upper left")
    return ax
