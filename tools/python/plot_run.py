#!/usr/bin/python3
"""Plot a Haven run file: displaced over time, top destinations, and a map of the nodes.

    /usr/bin/python3 tools/python/plot_run.py output/valley.h5            # writes output/valley.png
    /usr/bin/python3 tools/python/plot_run.py output/valley.h5 -o fig.png
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import matplotlib

if __name__ == "__main__":
    # The script only writes a PNG: no window. Imported (a notebook, a user's script) it keeps the caller's
    # backend, or Jupyter's inline figures would all come out empty; without a display matplotlib itself falls
    # back to Agg.
    matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import haven_io  # noqa: E402

KIND_COLOURS = {"town": "tab:blue", "city": "tab:purple", "camp": "tab:green", "border_crossing": "tab:red",
                "transit": "tab:gray", "external": "tab:orange"}


def plot_run(ds, path: Path, top: int = 8, labels: int = 6) -> None:
    """Draw the three panels of `ds` (from haven_io.open_run) into the PNG file `path`."""
    fig, (ax_time, ax_bar, ax_map) = plt.subplots(1, 3, figsize=(17, 5.2), constrained_layout=True)
    title = ds.attrs.get("title") or ds.attrs.get("scenario_name", "")
    variant = ds.attrs.get("variant", "")
    fig.suptitle(f"{title}{f' ({variant})' if variant else ''}: {ds.attrs.get('mode', '')} run, "
                 f"seed {ds.attrs.get('seed', '?')}")

    # (a) displaced over time, with the scenario's observations.
    if "cumulative_displaced" in ds:
        series = haven_io.displaced_series(ds)
        ax_time.plot(series.index, series.values, label="left home (cumulative_displaced)")
    if "displaced_present" in ds:
        present = ds.displaced_present.sum("node").to_series()
        ax_time.plot(present.index, present.values, label="displaced present (recorded nodes)")
    # Observations of the plotted lines only (network-wide); node-level series belong to other plots.
    obs = haven_io.observations(ds)
    obs = obs[obs.node.isna() & obs.variable.isin(["cumulative_displaced", "displaced_present"])]
    for series_id, points in obs.groupby("series", sort=False):
        ax_time.scatter(points.date, points.value, s=30 + 50 * points.weight, zorder=3, edgecolor="k",
                        label=f"observed {series_id} ({points.variable.iloc[0]})")
    ax_time.set_title("Displaced over time")
    ax_time.set_ylabel("people")
    ax_time.legend(fontsize="small")
    ax_time.grid(alpha=0.3)
    ax_time.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax_time.xaxis.get_major_locator()))

    # (b) top destinations.
    by = "present" if "displaced_present" in ds else "od"
    dest = haven_io.top_destinations(ds, n=top, by=by)
    dest = dest[dest > 0]
    ax_bar.barh(list(dest.index)[::-1], dest.values[::-1], color="tab:green")
    ax_bar.set_title("Top destinations: " + ("displaced present at the end" if by == "present"
                                             else "cumulative arrivals (origin-destination)"))
    ax_bar.set_xlabel("people")
    ax_bar.grid(axis="x", alpha=0.3)

    # (c) nodes on a map, sized by displaced present at the end.
    lon, lat = ds.node_lon.values, ds.node_lat.values
    end = ds.displaced_present.isel(time=-1).values if "displaced_present" in ds else 0 * lon
    biggest = max(float(end.max()), 1.0) if len(end) else 1.0
    sizes = 15 + 600 * end / biggest
    kinds = ds.node_kind_name.values
    for kind in dict.fromkeys(kinds):
        mask = kinds == kind
        ax_map.scatter(lon[mask], lat[mask], s=sizes[mask], c=KIND_COLOURS.get(kind, "k"), alpha=0.6,
                       edgecolor="k")
    handles = [Line2D([], [], ls="", marker="o", mec="k", alpha=0.6, mfc=KIND_COLOURS.get(kind, "k"), label=kind)
               for kind in dict.fromkeys(kinds)]
    for i in sorted(range(len(end)), key=lambda k: -end[k])[:labels]:
        if end[i] > 0:
            ax_map.annotate(str(ds.node.values[i]), (lon[i], lat[i]), xytext=(5, 5), textcoords="offset points",
                            fontsize="small")
    ax_map.set_title("Displaced present at the end (area) by node kind")
    ax_map.set_xlabel("longitude (degrees east)")
    ax_map.set_ylabel("latitude (degrees north)")
    ax_map.set_aspect("equal", adjustable="datalim")
    ax_map.legend(handles=handles, fontsize="small")
    ax_map.grid(alpha=0.3)

    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Plot a Haven run file (HDF5): displaced over time with the scenario's observations, "
                    "the top destinations, and a map of the nodes sized by displaced people at the end.")
    parser.add_argument("file", help="Haven output file (.h5) written by `haven run`")
    parser.add_argument("-o", "--output", help="PNG file to write (default: FILE with the suffix .png)")
    parser.add_argument("--top", type=int, default=8, help="how many destinations in the bar chart (default 8)")
    args = parser.parse_args(argv)

    source = Path(args.file)
    if not source.is_file():
        parser.exit(2, f"plot_run.py: error: {source}: no such file\n")
    try:
        ds = haven_io.open_run(source)
    except ValueError as error:  # an HDF5/netCDF file without Haven's attributes
        parser.exit(2, f"plot_run.py: error: {error}\n")
    except (OSError, KeyError, AttributeError) as error:
        parser.exit(2, f"plot_run.py: error: {source}: not a Haven run file ({error})\n")
    output = Path(args.output) if args.output else source.with_suffix(".png")
    plot_run(ds, output, top=args.top)
    print(f"wrote {os.fspath(output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
