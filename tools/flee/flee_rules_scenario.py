#!/usr/bin/python3
"""Writes a `rules: flee` Haven scenario for a Flee conflict folder, with departures given as Flee's validation runs
give them (sum_from_camps: the daily rise of the camps' UNHCR series, files summed and registration corrections
applied), for measuring the Flee rule set against Flee's own figures (docs/flee.md). `haven import-flee` is the
importer users run; this script reads only what the Flee rule set needs, in the way Flee's run.py reads it.

    tools/flee/flee_rules_scenario.py FLEE_FOLDER SIMSETTING.yml > scenario.yaml
"""

import csv
import json
import os
import re
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flee_ard  # noqa: E402  (Flee's data tables, shared with the ARD measurement)

SETTINGS = {
    "max_move_speed": "flee_max_move_speed_km_per_day",
    "max_walk_speed": "flee_max_walk_speed_km_per_day",
    "start_on_foot": "flee_start_on_foot",
    "avoid_short_stints": "flee_avoid_short_stints",
    "conflict_movechance": "flee_conflict_movechance",
    "camp_movechance": "flee_camp_movechance",
    "default_movechance": "flee_default_movechance",
    "awareness_level": "flee_awareness_level",
    "softening": "flee_softening_km",
    "weight_softening": "flee_weight_softening",
    "distance_power": "flee_distance_power",
    "weight_power": "flee_weight_power",
    "camp_weight": "flee_camp_weight",
    "conflict_weight": "flee_conflict_weight",
    "foreign_weight": "flee_foreign_weight",
    "capacity_buffer": "flee_capacity_buffer",
    "capacity_scaling": "flee_capacity_scaling",
}


def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            row = [c.strip() for c in row]
            if row and row[0] and not row[0].startswith("#"):
                yield row


def ident(name, used):
    base = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not base[0].isalpha():
        base = "n_" + base
    out, n = base, 2
    while out in used:
        out, n = f"{base}_{n}", n + 1
    used.add(out)
    return out


def main():
    folder, simsetting = sys.argv[1], sys.argv[2]
    inputs = os.path.join(folder, "input_csv")
    period = {r[0]: r[1] for r in rows(os.path.join(inputs, "sim_period.csv")) if len(r) > 1}
    days = int(period["Length"])
    camps, observed, _ = flee_ard.flee_observations(folder)
    tables = flee_ard.camp_tables(folder)
    used, ids, nodes = set(), {}, []
    locations = list(rows(os.path.join(inputs, "locations.csv")))
    home = locations[0][2]
    for name, _region, country, lat, lon, kind, _date, people, *_ in locations:
        ids[name] = ident(name, used)
        node = {"id": ids[name], "name": name, "lat": float(lat or 0), "lon": float(lon or 0), "country": country}
        people = int(people) if people else 0
        if "camp" in kind:
            node["kind"] = "camp"
            if people > 0:
                node["capacity"] = people
            day0 = flee_ard.interpolated(tables[name], 0) if name in tables else 0
            if day0 > 0:
                node["displaced"] = day0
        elif "forward" in kind:
            node.update(kind="transit", capacity="unlimited")
        else:
            node["kind"] = "town"
            if people > 0:
                node["population"] = people
            node["capacity"] = "unlimited"
        nodes.append(node)
    corridors = [{"from": ids[r[0]], "to": ids[r[1]], "length_km": float(r[2]), "kind": "road"}
                 for r in rows(os.path.join(inputs, "routes.csv"))]
    events = []
    header = None
    conflict_rows = []
    with open(os.path.join(inputs, "conflicts.csv"), newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            row = [c.strip() for c in row]
            if not row or not row[0]:
                continue
            if header is None:
                header = [c.lstrip("#").strip() for c in row]
                continue
            conflict_rows.append([float(c) if c else 0.0 for c in row])
    for col, name in enumerate(header[1:], start=1):
        if not name:
            continue
        series = [r[col] if col < len(r) else 0.0 for r in conflict_rows][:days]
        d = 0
        while d < len(series):
            if series[d] <= 1e-6:
                d += 1
                continue
            end = d
            while end + 1 < len(series) and series[end + 1] > 1e-6:
                end += 1
            events.append({"kind": "armed_conflict", "node": ids[name], "day": d, "until": end,
                           "intensity": series[d]})
            d = end + 1
    for kind, name1, name2, start, end, *_ in rows(os.path.join(inputs, "closures.csv")):
        start, end = int(start), int(end or 0)
        if start >= days or start == end:
            continue
        window = {"day": start}
        if start < end < days:
            window["until"] = end - 1
        if kind == "country":
            events.append({"kind": "country_closure", "countries": [name1, name2], **window})
        elif kind == "location":  # every link of the location, both ways
            for r in corridors:
                if ids[name1] in (r["from"], r["to"]):
                    events.append({"kind": "corridor_closure", "corridor": f"{r['from']}-{r['to']}", **window})
        elif kind in ("camp", "idpcamp"):
            events.append({"kind": "camp_closure", "node": ids[name1], **window})
        elif kind == "link":
            for r in corridors:
                if {r["from"], r["to"]} == {ids[name1], ids[name2]}:
                    events.append({"kind": "corridor_closure", "corridor": f"{r['from']}-{r['to']}", **window})
    layout = [r[0] for r in rows(os.path.join(folder, "source_data", "data_layout.csv")) if len(r) > 1]
    summed = [sum(flee_ard.interpolated(tables[h], d) for h in layout[1:]) for d in range(days)]
    with open(simsetting, encoding="utf-8") as f:
        settings = yaml.safe_load(f)
    parameters = {}
    for key, value in (settings.get("move_rules") or {}).items():
        if key in SETTINGS:
            parameters[SETTINGS[key]] = float(value)
    spawn = settings.get("spawn_rules") or {}
    if "conflict_spawn_decay_interval" in spawn:
        parameters["spawn_decay_interval_days"] = float(spawn["conflict_spawn_decay_interval"])
    decay = spawn.get("conflict_spawn_decay") or []
    for k in range(5):
        if decay:
            parameters[f"spawn_decay_{k + 1}"] = float(decay[min(k, len(decay) - 1)])
    if "insert_day0" in spawn:
        parameters["flee_insert_day0"] = 1.0 if spawn["insert_day0"] else 0.0
    name = os.path.basename(os.path.normpath(folder))
    scenario = {
        "scenario": {"name": ident(name, set()) + "_flee_rules", "start_date": period["StartDate"], "days": days},
        "nodes": nodes,
        "home_country": home,
        "corridors": corridors,
        "events": events,
        "observations": [{"id": "unhcr_camps", "variable": "displaced_present",
                          "nodes": [ids[c] for c in camps if c in ids],
                          "source": {"publisher": "UNHCR via FabFlee", "note": "sum of the camps' series, as Flee"},
                          "points": [{"day": d, "value": v} for d, v in enumerate(summed)]}],
        "departures": {"mode": "given", "observation": "unhcr_camps"},
        "rules": "flee",
        "parameters": parameters,
        "outputs": {"interval_days": 1, "variables": ["displaced_present", "in_transit", "cumulative_displaced"]},
    }
    print(f"# Written by tools/flee/flee_rules_scenario.py from {folder} and {simsetting}")
    # `unlimited` is a plain scalar in the format, not a quoted string.
    print(json.dumps(scenario, indent=1).replace('"capacity": "unlimited"', "\"capacity\": unlimited"))


if __name__ == "__main__":
    main()
