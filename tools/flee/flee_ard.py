#!/usr/bin/python3
"""Flee's ARD of Haven run files against a Flee conflict folder's UNHCR camp data, as Flee's run.py and
extract-validation-results.py compute it (docs/flee.md, "The Flee rule set against Flee").

    tools/flee/flee_ard.py FLEE_FOLDER RUN.h5 [RUN.h5 ...]

Per run: ARD = mean over days of sum_camps |sim - obs| / max(T, 1), with obs each camp's UNHCR series as Flee
reads it (files summed, registration corrections applied, interpolated linearly and truncated to whole people,
flat outside its points) and T the day's camp total (0 on days Flee's raw UNHCR count is still 0); the rescaled
ARD first scales the day's simulated camps to T. Prints one line per run and the mean, min and max.
"""

import csv
import datetime
import os
import statistics
import sys

import h5py
import numpy as np


def days_between(start, date):
    return (datetime.date.fromisoformat(date) - start).days


def read_table(path, start):
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        for i, row in enumerate(csv.reader(f)):
            if len(row) < 2 or not row[0] or row[0].startswith("#") or row[1] == "":
                continue
            if i == 0 and row[0] in ("DateTime", "Date"):
                continue
            rows.append([days_between(start, row[0].strip()), float(row[1])])
    return rows


def add_tables(t1, t2):
    # Flee's DataTable.AddCSVTables, quirks included.
    out, offset, last = [], 0, [0, 0.0]
    for c2 in t2:
        while c2[0] > t1[offset][0]:
            out.append([t1[offset][0], last[1] + t1[offset][1]])
            if offset < len(t1) - 1:
                offset += 1
            else:
                break
        if c2[0] == t1[offset][0]:
            out.append([c2[0], c2[1] + t1[offset][1]])
            if offset < len(t1) - 1:
                offset += 1
            last = c2
            continue
        if c2[0] < t1[offset][0]:
            out.append([c2[0], c2[1] + t1[offset][1]])
            last = c2
    return out


def interpolated(table, day):
    if day <= table[0][0]:
        return int(table[0][1])
    for i in range(1, len(table)):
        if day < table[i][0]:
            d0, v0 = table[i - 1]
            return int(v0 + (day - d0) / (table[i][0] - d0) * (table[i][1] - v0))
    return int(table[-1][1])


def camp_tables(folder, with_header=False):
    """Each data_layout row's series as Flee's DataTable holds it after ReadL1Corrections: name -> [[day, value]]."""
    inputs = os.path.join(folder, "input_csv")
    source = os.path.join(folder, "source_data")
    with open(os.path.join(inputs, "sim_period.csv"), encoding="utf-8") as f:
        period = {row[0].strip(): row[1].strip() for row in csv.reader(f) if len(row) > 1}
    start = datetime.date.fromisoformat(period["StartDate"])
    tables, header = {}, []
    with open(os.path.join(source, "data_layout.csv"), newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            if len(row) > 1 and not row[0].startswith("#"):
                name = row[0].strip()
                table = read_table(os.path.join(source, row[1].strip()), start)
                for extra in row[2:]:
                    if extra.strip():
                        table = add_tables(table, read_table(os.path.join(source, extra.strip()), start))
                tables[name] = table
                header.append(name)
    corrections = os.path.join(inputs, "registration_corrections.csv")
    if os.path.exists(corrections):
        with open(corrections, newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                if len(row) < 2 or row[0].startswith("#") or row[0].strip() not in tables:
                    continue
                table, day = tables[row[0].strip()], days_between(start, row[1].strip())
                if day < 0:
                    continue
                for i in range(1, len(table)):
                    if int(table[i][0]) == day:
                        factor = table[i][1] / table[i - 1][1]
                        for k in range(i):
                            table[k][1] *= factor
    return (tables, header) if with_header else tables


def flee_observations(folder):
    inputs = os.path.join(folder, "input_csv")
    source = os.path.join(folder, "source_data")
    with open(os.path.join(inputs, "sim_period.csv"), encoding="utf-8") as f:
        period = {row[0].strip(): row[1].strip() for row in csv.reader(f) if len(row) > 1}
    start = datetime.date.fromisoformat(period["StartDate"])
    days = int(period["Length"])
    camps = []
    with open(os.path.join(inputs, "locations.csv"), newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            if row and not row[0].startswith("#") and len(row) > 5 and "camp" in row[5].lower():
                camps.append(row[0].strip())
    tables, header = camp_tables(folder, with_header=True)
    observed = np.array([[interpolated(tables[c], t) for c in camps] for t in range(days)], dtype=float)
    # Flee's "refugees in camps (UNHCR)" column: 0 while its raw count (the summed daily rises of the camps other
    # than the first data_layout row) is still 0.
    raw, totals = 0, []
    for t in range(days):
        if t == 0:
            raw += sum(interpolated(tables[h], 0) for h in header)
        else:
            raw += sum(interpolated(tables[h], t) - interpolated(tables[h], t - 1) for h in header[1:])
        totals.append(float(int(observed[t].sum())) if raw > 0 else 0.0)
    return camps, observed, np.array(totals)


def ard(simulated, observed, totals):
    denominators = np.maximum(totals, 1.0)
    plain = np.abs(simulated - observed).sum(axis=1) / denominators
    sim_totals = simulated.sum(axis=1)
    scale = np.divide(totals, sim_totals, out=np.zeros_like(totals), where=sim_totals > 0)
    rescaled = np.abs(simulated * scale[:, None] - observed).sum(axis=1) / denominators
    return plain.mean(), rescaled.mean()


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    camps, observed, totals = flee_observations(sys.argv[1])
    plain_values, rescaled_values = [], []
    for path in sys.argv[2:]:
        with h5py.File(path, "r") as f:
            names = [n.decode() if isinstance(n, bytes) else n for n in f["node_name"][:]]
            present = f["displaced_present"][:]
            days = f["time"][:]
        column = {name: i for i, name in enumerate(names)}
        missing = [c for c in camps if c not in column]
        if missing:
            sys.exit(f"{path}: no node for the camps {missing}")
        simulated = np.zeros_like(observed)
        n = min(len(days), len(observed))
        simulated[:n] = present[:n][:, [column[c] for c in camps]]
        plain, rescaled = ard(simulated[:n], observed[:n], totals[:n])
        plain_values.append(plain)
        rescaled_values.append(rescaled)
        print(f"{path}: ARD {plain:.3f} rescaled {rescaled:.3f}")
    print(f"runs {len(plain_values)}: ARD mean {statistics.mean(plain_values):.3f} "
          f"(min {min(plain_values):.3f}, max {max(plain_values):.3f}); rescaled mean "
          f"{statistics.mean(rescaled_values):.3f}")


if __name__ == "__main__":
    main()
