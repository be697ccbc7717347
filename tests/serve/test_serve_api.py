"""`haven serve`'s HTTP API: edits checked by the loader (bad ones answered with located messages), runs, undo,
sessions kept apart, limits, headers, saving only under --output-dir, a clean stop on SIGTERM.

Run by CTest (test `serve_api`) or by hand from the repository root:
    HAVEN_BIN=build/default/bin/haven /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/serve/test_serve_api.py
"""

import http.client
import json
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import sys
import threading

sys.dont_write_bytecode = True

import pytest  # noqa: E402

from serve_helpers import IDLIB, IDLIB_2018, FLEE_FOLDER, ROOT, VALLEY, Serve, haven, haven_bin  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    out = tmp_path_factory.mktemp("saved")
    # A generous run limit: the limit itself is tested on a server of its own (below), and an Idlib band under
    # ASan on a loaded 2-core machine takes longer than the default 20 s a run.
    serve = Serve(VALLEY, IDLIB, "--output-dir", out, "--max-run-seconds", "600")
    serve.output_dir = out
    yield serve
    code, stdout, _ = serve.stop()
    assert code == 0
    assert "stopped" in stdout


def edit(server, session, payload):
    return server.json("POST", f"/api/sessions/{session}/edits", payload)


def test_starts_on_loopback_and_prints_the_url(server):
    assert f"http://127.0.0.1:{server.port}/" in server.stdout
    status, headers, body = server.call("GET", "/")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "Access-Control-Allow-Origin" not in headers  # no cross-origin access without --allow-origin
    assert b'id="serve-config"' in body and b"window.havenReport" in body


def test_a_second_server_on_a_port_in_use_is_refused(server):
    # Sharing the port (SO_REUSEPORT) would send some of a page's requests to a server without its session.
    result = subprocess.run([str(haven_bin()), "serve", VALLEY, "--port", str(server.port)], capture_output=True,
                            text=True, cwd=ROOT, timeout=60)
    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{server.port}" in result.stderr
    status, answer = server.json("POST", "/api/sessions", {})  # scenario 0 when not named
    assert status == 201, answer


def test_api_headers(server):
    status, headers, body = server.call("GET", "/api/scenarios")
    assert status == 200
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "Access-Control-Allow-Origin" not in headers
    names = [s["name"] for s in json.loads(body)["scenarios"]]
    assert names == ["valley.yaml", "idlib_2019_2020.yaml"]  # names only, never paths on the server


def test_nothing_is_compressed_for_a_loopback_client(server):
    # A browser asks for brotli and gzip; httplib would compress the 1.8 MB Idlib page with brotli at its highest
    # quality (3.3 s) for a transfer of milliseconds. The page and a run's answer come as they are, the same bytes.
    status, _, plain = server.call("GET", "/?scenario=1")
    assert status == 200
    status, headers, body = server.call("GET", "/?scenario=1", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert status == 200 and "Content-Encoding" not in headers
    assert body == plain
    session = server.session(1)
    status, headers, body = server.call("POST", f"/api/sessions/{session}/run",
                                        headers={"Accept-Encoding": "gzip, deflate, br"})
    assert status == 200 and "Content-Encoding" not in headers and json.loads(body)["data"]["runs"]


def test_a_range_is_ignored_and_the_whole_answer_sent(server):
    # httplib built every range asked for: 200 overlapping ranges of the 1.5 MB page made a 313 MB answer.
    status, _, plain = server.call("GET", "/")
    assert status == 200
    many = "bytes=" + ",".join(["0-"] * 200)
    for asked in (many, "bytes=0-10"):
        status, headers, body = server.call("GET", "/", headers={"Range": asked})
        assert status == 200 and "Content-Range" not in headers
        assert body == plain


def test_other_host_names_are_refused(server):
    # A page elsewhere reaching the port through a DNS name that points at 127.0.0.1 (DNS rebinding).
    status, _, body = server.call("GET", "/api/scenarios", headers={"Host": f"evil.example:{server.port}"})
    assert status == 403
    assert b"only to 127.0.0.1, localhost and [::1]" in body
    # Host names are case-insensitive.
    status, _, _ = server.call("GET", "/api/scenarios", headers={"Host": f"LocalHost:{server.port}"})
    assert status == 200


def test_a_page_elsewhere_changes_nothing(server):
    # A page elsewhere may send a POST (a form, a fetch with a text body) without the browser asking the server
    # first: 64 new sessions pushed a planner's out, its edits unsaved. Refused before anything is made or changed.
    mine = server.session(0)
    status, before = edit(server, mine, {"kind": "toggle_event", "id": "strikes_south", "enabled": False})
    assert status == 200, before
    elsewhere = {"Origin": "https://evil.example", "Content-Type": "text/plain"}
    for method, path, payload in [("POST", "/api/sessions", {}),
                                  ("POST", f"/api/sessions/{mine}/undo", {}),
                                  ("POST", f"/api/sessions/{mine}/edits",
                                   {"kind": "toggle_event", "id": "strikes_south", "enabled": True}),
                                  ("DELETE", f"/api/sessions/{mine}", None)]:
        status, answer = server.json(method, path, payload, headers=elsewhere)
        assert status == 403, (method, path, answer)
        assert "--allow-origin https://evil.example" in answer["error"], answer
    for origin in ["null", f"http://127.0.0.1:{server.port}.evil.example", f"https://127.0.0.1:{server.port}"]:
        status, answer = server.json("POST", "/api/sessions", {}, headers={"Origin": origin})
        assert status == 403, origin
        # Letting "null" in would let every sandboxed frame and file in: not offered.
        assert ("--allow-origin" in answer["error"]) == (origin != "null"), answer
    # A browser that leaves the Origin out still says the request is another site's.
    status, _ = server.json("POST", "/api/sessions", {}, headers={"Sec-Fetch-Site": "cross-site"})
    assert status == 403
    status, now = server.json("GET", f"/api/sessions/{mine}")
    assert status == 200 and [e["description"] for e in now["edits"]] == [e["description"] for e in before["edits"]]
    # The server's own page (its Origin is the address it was sent to, in any case) and a program without an Origin.
    for origin in [f"http://127.0.0.1:{server.port}", f"http://LOCALHOST:{server.port}"]:
        host = origin.removeprefix("http://")
        status, _ = server.json("POST", "/api/sessions", {}, headers={"Origin": origin, "Host": host})
        assert status == 201, origin
    # What a GET reads is the browser's to keep from the page (no Access-Control-Allow-Origin); it changes nothing.
    status, _, _ = server.call("GET", "/api/scenarios", headers=elsewhere)
    assert status == 200


def test_a_route_that_does_not_exist_is_answered_in_json(server):
    for method, path in [("GET", "/nothing"), ("GET", "/api/sessions"), ("PUT", "/api/sessions")]:
        status, headers, body = server.call(method, path)
        assert status in (404, 405), (method, path, status)
        assert headers["Content-Type"].startswith("application/json"), (method, path, headers)
        assert json.loads(body)["error"], body


def test_session_lists_events_places_roads_and_parameters(server):
    status, info = server.json("POST", "/api/sessions", {"scenario": 0})
    assert status == 201
    assert [e["id"] for e in info["events"]][:2] == ["strikes_south", "strikes_river"]
    assert all(e["enabled"] for e in info["events"])
    assert {"southtown", "northcamp", "border"} <= {n["id"] for n in info["nodes"]}
    assert info["corridors"] and info["variants"] == ["border_open", "camp_built", "ceasefire_holds"] or info["variants"]
    kernel = next(p for p in info["parameters"] if p["name"] == "threat_kernel_km")
    assert (kernel["units"], kernel["minimum"], kernel["maximum"]) == ("km", 0.1, 500.0)
    # Only the parameters Haven's rules read: none of the flee_* ones, and no spawn decay without given departures.
    names = {p["name"] for p in info["parameters"]}
    assert {"threat_kernel_km", "onward_base_rate_per_day", "armed_conflict_strikes_per_day"} <= names
    assert not any(name.startswith(("flee_", "spawn_decay_")) for name in names), sorted(names)
    assert info["edits"] == []
    assert {"bombardment", "ceasefire", "capacity_change", "armed_conflict"} <= set(info["event_kinds"])
    # Only kinds an add_event takes: a country closure (its countries typed) and a redirection's end are a file's.
    assert not {"country_closure", "redirection_end"} & set(info["event_kinds"]), info["event_kinds"]
    for kind in info["event_kinds"]:
        status, answer = edit(server, info["session"], {"kind": "add_event", "event": {"kind": kind}})
        assert status in (200, 422), (kind, answer)  # read as an edit; what it lacks is the loader's to say


def test_edit_runs_and_undo_restores(server):
    session = server.session(0)
    status, base = server.json("POST", f"/api/sessions/{session}/run")
    assert status == 200
    base_left = base["data"]["runs"][0]["cumulative_displaced"][-1]
    assert base["timing_ms"]["run"] == 0  # no edits: the base run, kept from the start, is sent again
    status, answer = edit(server, session, {"kind": "toggle_event", "id": "strikes_south", "enabled": False})
    assert status == 200, answer
    assert [e["description"] for e in answer["edits"]] == ["event strikes_south off"]
    # With its parts, which the page words: the event and whether it is on.
    assert {k: answer["edits"][0].get(k) for k in ("kind", "id", "enabled")} == \
        {"kind": "toggle_event", "id": "strikes_south", "enabled": False}, answer["edits"]
    assert not next(e for e in answer["events"] if e["id"] == "strikes_south")["enabled"]
    run = answer["data"]["runs"][0]
    assert "strikes_south" not in [e["id"] for e in run["events"]]
    assert run["cumulative_displaced"][-1] < base_left  # fewer strikes, fewer people leave
    assert len(answer["ghost"]["newly_away"]) == len(run["time"])
    assert answer["timing_ms"]["run"] > 0
    assert answer["timing_ms"]["queue"] == 0  # no other run: it went in at once (test_serve_load sees runs wait)
    status, answer = edit(server, session, {"kind": "set", "path": "parameters.threat_kernel_km", "value": 2.5})
    assert status == 200 and len(answer["edits"]) == 2
    assert next(p for p in answer["parameters"] if p["name"] == "threat_kernel_km")["value"] == 2.5
    status, answer = server.json("POST", f"/api/sessions/{session}/undo")
    status, answer = server.json("POST", f"/api/sessions/{session}/undo")
    assert status == 200 and answer["edits"] == [] and answer["undone"]
    assert answer["data"]["runs"][0]["cumulative_displaced"][-1] == base_left  # the same seed, the same run
    assert answer["timing_ms"]["run"] == 0  # back to no edits: the kept base run


def test_an_event_switched_off_shows_the_edits_it_keeps(server):
    # Its row shows what it will be when switched on again, not the scenario's values.
    session = server.session(0)
    event = lambda answer: next(e for e in answer["events"] if e["id"] == "strikes_south")  # noqa: E731
    for payload in [{"kind": "set", "path": "events.strikes_south.intensity", "value": 40},
                    {"kind": "set", "path": "events.strikes_south.date", "value": "2024-03-10"},
                    {"kind": "set", "path": "events.strikes_south.until", "value": 20},
                    {"kind": "toggle_event", "id": "strikes_south", "enabled": False},
                    {"kind": "move_event", "id": "strikes_south", "lat": 35.42, "lon": 36.61}]:
        status, answer = edit(server, session, payload)
        assert status == 200, answer
    off = event(answer)
    assert not off["enabled"]
    # Moved while off: the point it will be centred on, with the 5 km a place's event gets there.
    assert (off["lat"], off["lon"], off["radius_km"]) == (35.42, 36.61, 5.0) and "node" not in off, off
    assert (off["intensity"], off["start_date"], off["start_day"]) == (40, "2024-03-10", 9), off
    assert (off["until_date"], off["end_day"]) == ("2024-03-21", 21), off
    status, answer = edit(server, session, {"kind": "toggle_event", "id": "strikes_south", "enabled": True})
    on = event(answer)
    assert on["enabled"] and {k: on[k] for k in off if k != "enabled"} == {k: off[k] for k in off if k != "enabled"}
    for _ in range(6):
        assert server.json("POST", f"/api/sessions/{session}/undo")[0] == 200
    status, answer = server.json("GET", f"/api/sessions/{session}")
    assert event(answer)["intensity"] == 60 and answer["edits"] == []
    # An event that lasts a number of days (strikes_river: day 15, 20 days) ends later when it starts later, off as on.
    river = lambda answer: next(e for e in answer["events"] if e["id"] == "strikes_river")  # noqa: E731
    status, answer = edit(server, session, {"kind": "set", "path": "events.strikes_river.date", "value": "2024-03-20"})
    on = river(answer)
    assert (on["start_date"], on["until_date"]) == ("2024-03-20", "2024-04-08"), on
    status, answer = edit(server, session, {"kind": "toggle_event", "id": "strikes_river", "enabled": False})
    off = river(answer)
    assert {k: off[k] for k in off if k != "enabled"} == {k: on[k] for k in on if k != "enabled"}, (off, on)
    for _ in range(2):
        assert server.json("POST", f"/api/sessions/{session}/undo")[0] == 200


def test_a_value_set_on_an_event_switched_off_says_what_it_replaced(server):
    # The list of edits says what the event holds when on, as for an event that is on: its file's value, or the
    # value an edit made before; and again after a variant switch, which words every edit afresh.
    session = server.session(0)
    descriptions = lambda answer: [e["description"] for e in answer["edits"]]  # noqa: E731
    assert edit(server, session, {"kind": "toggle_event", "id": "strikes_south", "enabled": False})[0] == 200
    status, answer = edit(server, session, {"kind": "set", "path": "events.strikes_south.intensity", "value": 45})
    assert status == 200 and descriptions(answer)[-1] == "events.strikes_south.intensity = 45 (was 60)", answer["edits"]
    status, answer = edit(server, session, {"kind": "set", "path": "events.strikes_south.intensity", "value": 30})
    assert descriptions(answer)[-1] == "events.strikes_south.intensity = 30 (was 45)", answer["edits"]
    status, answer = edit(server, session, {"kind": "set", "path": "events.strikes_south.date", "value": "2024-03-05"})
    assert descriptions(answer)[-1] == "events.strikes_south.date = 2024-03-05 (unchanged)", answer["edits"]
    # (border_open: the first ask of bigger_camp is another test's, and a variant's run is kept for every session.)
    status, answer = server.json("POST", f"/api/sessions/{session}/variant", {"variant": "border_open"})
    assert status == 200 and descriptions(answer)[1:] == [
        "events.strikes_south.intensity = 45 (was 60)", "events.strikes_south.intensity = 30 (was 45)",
        "events.strikes_south.date = 2024-03-05 (unchanged)"], answer["edits"]
    while server.json("POST", f"/api/sessions/{session}/undo")[1].get("edits"):
        pass


def test_a_scenario_seen_before_is_answered_with_its_kept_run(server):
    """Undo back to an edited scenario, or an edit that changes nothing (the strength of an event switched off),
    answers with the run made for that scenario before: the same data, bit for bit, and no run."""
    session = server.session(0)
    status, first = edit(server, session, {"kind": "set", "path": "parameters.threat_kernel_km", "value": 2.25})
    assert status == 200 and first["run_reused"] is False and first["timing_ms"]["run"] > 0
    status, second = edit(server, session, {"kind": "set", "path": "parameters.threat_kernel_km", "value": 4})
    assert status == 200 and second["run_reused"] is False
    assert second["data"]["runs"][0]["cumulative_displaced"] != first["data"]["runs"][0]["cumulative_displaced"]
    status, undone = server.json("POST", f"/api/sessions/{session}/undo")
    assert status == 200 and undone["run_reused"] is True and undone["timing_ms"]["run"] == 0
    assert undone["data"] == first["data"]
    # Another session reaching the same scenario runs it itself (kept runs are a session's own: its answers tell
    # nothing of what others tried), and gets the same run: what makes keeping them exact.
    other = server.session(0)
    status, again = edit(server, other, {"kind": "set", "path": "parameters.threat_kernel_km", "value": 2.25})
    assert status == 200 and again["run_reused"] is False and again["data"] == first["data"]
    # A variant asked for the first time is run, and says so; asked for again, its run is the one kept.
    third = server.session(0)
    status, variant = server.json("POST", f"/api/sessions/{third}/variant", {"variant": "bigger_camp"})
    assert status == 200 and variant["run_reused"] is False
    status, variant = server.json("POST", f"/api/sessions/{server.session(0)}/variant", {"variant": "bigger_camp"})
    assert status == 200 and variant["run_reused"] is True and variant["timing_ms"]["run"] == 0
    # The strength of an event switched off waits until it is on again: the scenario, and its run, are as before.
    status, off = edit(server, session, {"kind": "toggle_event", "id": "strikes_south", "enabled": False})
    assert status == 200 and off["run_reused"] is False
    status, stronger = edit(server, session, {"kind": "set", "path": "events.strikes_south.intensity", "value": 90})
    assert status == 200 and stronger["run_reused"] is True
    assert stronger["data"]["runs"][0]["cumulative_displaced"] == off["data"]["runs"][0]["cumulative_displaced"]
    # Switched on again, it has the new strength: a new scenario, a new run.
    status, on = edit(server, session, {"kind": "toggle_event", "id": "strikes_south", "enabled": True})
    assert status == 200 and on["run_reused"] is False
    # A value set to what it holds changes nothing: listed as an edit, answered with the run just made.
    status, same = edit(server, session, {"kind": "set", "path": "events.strikes_south.intensity", "value": 90.0})
    assert status == 200 and same["run_reused"] is True and same["timing_ms"]["run"] == 0
    series = lambda answer: {k: v for k, v in answer["data"]["runs"][0].items() if isinstance(v, list)}  # noqa: E731
    assert series(same) == series(on)
    assert same["edits"][-1]["description"].endswith("(unchanged)"), same["edits"][-1]
    # Edits that bring the scenario back to the base one are answered with the base's run.
    fresh = server.session(0)
    status, info = server.json("GET", f"/api/sessions/{fresh}")
    held = next(p["value"] for p in info["parameters"] if p["name"] == "threat_kernel_km")
    assert held != 2.25
    status, moved = edit(server, fresh, {"kind": "set", "path": "parameters.threat_kernel_km", "value": 2.25})
    assert status == 200 and series(moved) == series(first)
    status, back = edit(server, fresh, {"kind": "set", "path": "parameters.threat_kernel_km", "value": held})
    assert status == 200 and back["run_reused"] is True and back["timing_ms"]["run"] == 0
    for _ in range(2):
        status, start = server.json("POST", f"/api/sessions/{fresh}/undo")
    assert status == 200 and start["edits"] == [] and series(back) == series(start)


def series(answer):
    """A run's series in an answer (its label names the edits, which differ between sessions)."""
    return {k: v for k, v in answer["data"]["runs"][0].items() if isinstance(v, list)}


def whole_run_series(*starting):
    """The series of Idlib 2019-20 run from day 0 with `starting` edits: the base run of a server started with them."""
    serve = Serve(IDLIB, *[a for edit in starting for a in ("--set", edit)])
    try:
        status, answer = serve.json("POST", f"/api/sessions/{serve.session(0)}/run")
        assert status == 200 and answer["run_from_day"] == 0
        return series(answer)
    finally:
        serve.stop()


def test_an_edit_of_an_event_goes_on_from_the_day_it_changed(server):
    """A session's first edit of an event goes on from the latest day the base run saved before it; an edit's run
    saves its state on the first day the edit changed, and the next edit of the same event goes on from there
    (`run_from_day`). Each answers what a run from day 0 gives, bit for bit (the base run of a server started with
    the same edits)."""
    session = server.session(1)  # Idlib 2019-20: Zarbah's strikes start on day 62, between the base's 54 and 63
    status, info = server.json("GET", f"/api/sessions/{session}")
    zarbah = next(e for e in info["events"] if e["id"] == "b_alep_zarbah")
    assert zarbah["start_day"] == 62
    strength = "events.b_alep_zarbah.intensity"
    status, first = edit(server, session, {"kind": "set", "path": strength, "value": 9})
    assert status == 200 and first["run_reused"] is False and first["run_from_day"] == 54
    # On two cores when the machine has them and no other run holds one (docs/serve.md, "Runs at once"); a run's
    # series are the same at any thread count (tests/engine/test_resume.cpp holds the engine to it).
    assert first["run_cores"] == min(2, len(os.sched_getaffinity(0))), first["run_cores"]
    assert series(first) == whole_run_series(f"{strength}=9")
    status, second = edit(server, session, {"kind": "set", "path": strength, "value": 13})
    assert status == 200 and second["run_reused"] is False and second["run_from_day"] == 62
    assert series(second) == whole_run_series(f"{strength}=13")
    # Another session's first edit goes on from the base's day, not from the first session's day 62.
    other = server.session(1)
    status, fresh = edit(server, other, {"kind": "set", "path": strength, "value": 13})
    assert status == 200 and fresh["run_from_day"] == 54
    assert series(fresh) == series(second)
    # A parameter changes every day: run from day 0, and the next strength edit runs whole too (it differs from
    # every saved run before day 62), then saves day 62 again.
    status, kernel = edit(server, session, {"kind": "set", "path": "parameters.threat_kernel_km", "value": 2.25})
    assert status == 200 and kernel["run_from_day"] == 0
    status, third = edit(server, session, {"kind": "set", "path": strength, "value": 11})
    assert status == 200 and third["run_from_day"] == 0
    status, fourth = edit(server, session, {"kind": "set", "path": strength, "value": 12})
    assert status == 200 and fourth["run_from_day"] == 62
    assert series(fourth) == whole_run_series("parameters.threat_kernel_km=2.25", f"{strength}=12")


def test_an_edit_of_an_events_end_goes_on_from_the_earlier_end(server):
    """An event whose end alone is edited runs alike until the earlier of its ends: Ariha's strikes, until 5 Mar
    (their end on day 96), stopped after 20 Feb (day 82) go on from the base's day 77 (from their start, day 54,
    before), and then stopped after 23 Feb (day 85) from the day 82 the first edit saved; each the run from day 0,
    bit for bit, and not the run before."""
    session = server.session(1)
    status, base = server.json("POST", f"/api/sessions/{session}/run")
    assert status == 200 and base["run_reused"] is True
    until = "events.b_idl_ariha.until"
    status, first = edit(server, session, {"kind": "set", "path": until, "value": "2020-02-20"})
    assert status == 200 and first["run_reused"] is False and first["run_from_day"] == 77, first.get("run_from_day")
    assert series(first) == whole_run_series(f"{until}=2020-02-20")
    people = lambda answer: answer["data"]["runs"][0]["displaced_present"]  # noqa: E731 (the people, not the event list)
    assert people(first) != people(base)
    status, second = edit(server, session, {"kind": "set", "path": until, "value": "2020-02-23"})
    assert status == 200 and second["run_from_day"] == 82, second.get("run_from_day")
    assert series(second) == whole_run_series(f"{until}=2020-02-23") and people(second) != people(first)


def test_switching_idlibs_border_closure_off_opens_the_border(server):
    """Bab al-Hawa is closed by the event border_closed alone (not written closed as a place too, which the end of a
    closure does not open): switched off on the page, the border opens and people reach Turkey."""
    session = server.session(1)
    status, base = server.json("POST", f"/api/sessions/{session}/run")
    assert status == 200
    turkey = [n["id"] for n in base["data"]["nodes"]].index("turkey")
    in_turkey = lambda answer: answer["data"]["runs"][0]["displaced_present"][-1][turkey]  # noqa: E731
    assert in_turkey(base) == 0
    status, off = edit(server, session, {"kind": "toggle_event", "id": "border_closed", "enabled": False})
    assert status == 200 and in_turkey(off) > 100_000, in_turkey(off)
    # Closed until 30 Dec instead (open from day 30): its end alone differs, so from the base's saved day 22.
    session = server.session(1)
    status, day_30 = edit(server, session, {"kind": "set", "path": "events.border_closed.until", "value": "2019-12-30"})
    assert status == 200 and day_30["run_from_day"] == 22, day_30.get("run_from_day")
    assert 0 < in_turkey(day_30) < in_turkey(off)


def test_each_edit_kind(server):
    session = server.session(0)
    for payload in [
        {"kind": "set", "path": "events.strikes_south.intensity", "value": 90},
        {"kind": "set", "path": "events.strikes_south.date", "value": "2024-03-02"},
        {"kind": "set", "path": "events.strikes_river.radius_km", "value": 8},
        {"kind": "set", "path": "events.strikes_river.lat", "value": 35.56},
        {"kind": "set", "path": "corridors.midcity-northcamp.capacity_people_per_day", "value": 5000},
        {"kind": "set", "path": "corridors.midcity-northcamp.closed", "value": True},
        {"kind": "set", "path": "nodes.hillcamp.capacity", "value": 50000},
        {"kind": "move_event", "id": "strikes_south", "lat": 35.42, "lon": 36.61},
        {"kind": "add_event", "event": {"kind": "border_opening", "node": "border", "day": 20}},
        {"kind": "add_event", "event": {"kind": "bombardment", "lat": 35.8, "lon": 36.6, "radius_km": 4,
                                        "date": "2024-03-10", "until": "2024-03-20", "intensity": 25}},
    ]:
        status, answer = edit(server, session, payload)
        assert status == 200, (payload, answer)
    status, answer = server.json("POST", f"/api/sessions/{session}/variant", {"variant": "border_open"})
    assert status == 200 and answer["variant"] == "border_open"
    assert len(answer["edits"]) == 10  # the edits still apply on top of the variant
    moved = next(e for e in answer["events"] if e["id"] == "strikes_south")
    assert (moved["lat"], moved["lon"]) == (35.42, 36.61) and "node" not in moved
    # The place the panel's row names it by: the list of edits' own test (within 15 km, great-circle).
    assert moved["near"] == "South Town"
    # Every event centred on a point says what it is near ("" for nowhere within 15 km); one on a place does not.
    assert all(("near" in e) == ("lat" in e) for e in answer["events"]), answer["events"]
    assert any("node" in e and "near" not in e for e in answer["events"])


def test_an_edit_answers_the_warnings_it_brought_and_each_place_its_capacity_now(server):
    session = server.session(0)
    status, info = server.json("GET", f"/api/sessions/{session}")
    now = {n["id"]: n["capacity_now"] for n in info["nodes"]}
    # Given (North Camp 40,000), by default (a share of River Town's 45,000 people), none (beyond the border).
    assert now["northcamp"] == 40000 and now["abroad"] == "unlimited", now
    assert 0 < now["rivertown"] and isinstance(now["rivertown"], int), now
    status, answer = edit(server, session, {"kind": "set", "path": "parameters.threat_kernel_km", "value": 2})
    assert status == 200 and answer["warnings"] == [], answer["warnings"]
    status, answer = edit(server, session, {"kind": "set", "path": "nodes.hilltown.population", "value": 0})
    assert status == 200, answer
    assert [w["severity"] for w in answer["warnings"]] == ["warning"], answer["warnings"]
    assert "nodes.hilltown" in answer["warnings"][0]["message"], answer["warnings"]
    assert "can shelter nobody" in answer["warnings"][0]["message"], answer["warnings"]
    assert answer["edits"][-1]["description"] == "nodes.hilltown.population = 0 (was 30000)"
    assert {k: answer["edits"][-1].get(k) for k in ("path", "value", "was")} == \
        {"path": "nodes.hilltown.population", "value": "0", "was": " (was 30000)"}, answer["edits"]
    # Valid, but read by no rule of the scenario's: said, since the run cannot change.
    status, answer = edit(server, session, {"kind": "set", "path": "parameters.flee_awareness_level", "value": 2})
    assert status == 200, answer
    assert [w["message"] for w in answer["warnings"]] == [
        "parameters.flee_awareness_level: Haven's rules do not read this parameter; the run does not change"]
    # A capacity change from day 0 is what the place shelters on day 0; one from a later day is not.
    for day, capacity in ((5, 300), (0, 100)):
        status, answer = edit(server, session, {"kind": "add_event", "event": {
            "kind": "capacity_change", "node": "northcamp", "day": day, "capacity": capacity}})
        assert status == 200, answer
        status, info = server.json("GET", f"/api/sessions/{session}")
        assert {n["id"]: n["capacity_now"] for n in info["nodes"]}["northcamp"] == (40000 if day else 100)
        assert ("capacity_by" in next(n for n in info["nodes"] if n["id"] == "northcamp")) == (day == 0)
    # The place's own capacity under that change is set, and said to hold only once the change ends.
    status, answer = edit(server, session, {"kind": "set", "path": "nodes.northcamp.capacity", "value": 50000})
    assert status == 200, answer
    assert any("sets this place's shelter capacity from day 0 (100); this value holds only once that event ends"
               in w["message"] for w in answer["warnings"]), answer["warnings"]


def test_an_edit_that_flees_rules_do_not_act_on_says_so(tmp_path):
    serve = Serve(FLEE_FOLDER)
    try:
        session = serve.session(0)
        # The kinds the page may offer to add are those the rules act on.
        status, info = serve.json("GET", f"/api/sessions/{session}")
        assert status == 200
        assert "armed_conflict" in info["event_kinds"] and "bombardment" not in info["event_kinds"], info["event_kinds"]
        assert "country_closure" not in info["event_kinds"], info["event_kinds"]
        status, answer = edit(serve, session, {"kind": "add_event", "event": {
            "kind": "bombardment", "node": "Delta", "date": "2020-01-02", "intensity": 5}})
        assert status == 200, answer
        assert [w["message"] for w in answer["warnings"]] == [
            "Flee's rules do not act on a bombardment (they read armed conflicts, closures and openings); the run "
            "does not change"]
        status, answer = edit(serve, session, {"kind": "set", "path": "parameters.threat_kernel_km", "value": 2})
        assert status == 200
        assert "Flee's rules do not read this parameter" in answer["warnings"][0]["message"]
        status, answer = edit(serve, session, {"kind": "add_event", "event": {
            "kind": "armed_conflict", "node": "Delta", "date": "2020-01-02", "intensity": 1}})
        assert status == 200 and answer["warnings"] == [], answer["warnings"]
        assert answer["run_cores"] == 1  # Flee's step has no threads: the run holds one core, not two
        # A camp's capacity under Flee's rules, scaled: the place's figure now, and the camp's own in the edit list.
        assert edit(serve, session, {"kind": "set", "path": "parameters.flee_capacity_scaling", "value": 2})[0] == 200
        status, answer = edit(serve, session, {"kind": "set", "path": "nodes.Camp_One.capacity", "value": 35000})
        assert status == 200
        assert answer["edits"][-1]["description"] == "nodes.Camp_One.capacity = 35000 (was 30000)"
        assert next(n for n in answer["nodes"] if n["id"] == "Camp_One")["capacity_now"] == 70000
    finally:
        code, _, _ = serve.stop()
    assert code == 0


def test_bad_edits_come_back_located(server):
    session = server.session(0)
    status, answer = edit(server, session, {"kind": "set", "path": "events.strikes_south.intensity", "value": -3})
    assert status == 422
    [problem] = answer["diagnostics"]
    assert problem["where"] == "edit 1 (events.strikes_south.intensity = -3)"
    assert "events.strikes_south.intensity" in problem["message"] and "-3" in problem["message"]
    assert answer["edits"] == []  # not applied
    status, answer = edit(server, session, {"kind": "set", "path": "nodes.southtwn.capacity", "value": 5})
    assert status == 422 and "did you mean 'southtown'" in answer["diagnostics"][0]["message"]
    status, answer = edit(server, session, {"kind": "set", "path": "parameters.threat_kernel_km", "value": 9999})
    assert status == 422 and "threat_kernel_km" in answer["diagnostics"][0]["message"]
    status, answer = edit(server, session, {"kind": "toggle_event", "id": "no_such_event", "enabled": False})
    assert status == 422 and "no event with id 'no_such_event'" in answer["diagnostics"][0]["message"]
    status, answer = edit(server, session, {"kind": "add_event", "event": {"kind": "bombardment", "node": "atlantis",
                                                                            "day": 3, "intensity": 5}})
    assert status == 422 and "atlantis" in answer["diagnostics"][0]["text"]
    # Malformed requests: not the loader's business, answered 400.
    for payload in [{"kind": "set", "path": "outputs.path", "value": "/etc/passwd"},
                    {"kind": "set", "path": "scenario.days", "value": 5},
                    {"kind": "set", "path": "../x", "value": 1},
                    {"kind": "add_event", "event": {"kind": "bombardment", "path": "/tmp/x"}},
                    {"kind": "launch"}]:
        status, answer = edit(server, session, payload)
        assert status == 400, payload
        assert answer["error"]
    status, _, body = server.call("POST", f"/api/sessions/{session}/edits", raw=b"{not json")
    assert status == 400
    # Bytes that are not UTF-8, a name cut inside a character, a session asked for by a string: 400, never 500.
    status, _, body = server.call("POST", f"/api/sessions/{session}/edits",
                                  raw=b'{"kind": "set", "path": "\xff\xfe", "value": 1}')
    assert status == 400, body
    status, answer = edit(server, session, {"kind": "a" * 39 + "\u00e9"})
    assert status == 400 and answer["error"].startswith("unknown edit kind"), answer
    status, answer = server.json("POST", "/api/sessions", {"scenario": "0"})
    assert status == 400 and "'scenario' must be the index" in answer["error"], answer
    status, answer = server.json("POST", f"/api/sessions/{session}/save", {"form": 3, "name": "x"})
    assert status in (400, 403), answer
    status, info = server.json("GET", f"/api/sessions/{session}")
    assert info["edits"] == []


def test_dragged_centre_is_checked_like_any_edit(server):
    # The page sends a dragged handle's new centre as a move_event; the loader checks the point.
    session = server.session(1)  # Idlib
    status, info = server.json("GET", f"/api/sessions/{session}")
    ceasefire = next(e for e in info["events"] if e["id"] == "ceasefire_jan")
    assert ceasefire["node"] == "maarat_al_numan" and ceasefire["radius_km"] == 35  # ceasefires have a centre too
    for lat, lon, key, shown in [(123.0, 36.6, "lat", "123"), (35.9, -400.0, "lon", "-400")]:
        status, answer = edit(server, session, {"kind": "move_event", "id": "b_idl_ariha", "lat": lat, "lon": lon})
        assert status == 422, answer
        [problem] = answer["diagnostics"]
        assert problem["where"].startswith("edit 1 (move event b_idl_ariha to ")
        assert problem["message"].startswith(f"events.b_idl_ariha.{key}: must be between") and shown in problem["message"]
        assert answer["edits"] == []  # not applied
    status, answer = edit(server, session, {"kind": "move_event", "id": "b_idl_ariha", "lat": 35.9, "lon": 36.7})
    assert status == 200, answer
    moved = next(e for e in answer["events"] if e["id"] == "b_idl_ariha")
    assert (moved["lat"], moved["lon"]) == (35.9, 36.7) and "node" not in moved
    drawn = next(e for e in answer["data"]["runs"][0]["events"] if e["id"] == "b_idl_ariha")
    assert (drawn["lat"], drawn["lon"]) == (35.9, 36.7)  # the map's area is drawn at the new centre


def test_two_sessions_do_not_see_each_others_edits(server):
    first, second = server.session(0), server.session(0)
    assert first != second
    status, _ = edit(server, first, {"kind": "toggle_event", "id": "road_cut", "enabled": False})
    assert status == 200
    status, info = server.json("GET", f"/api/sessions/{second}")
    assert info["edits"] == [] and all(e["enabled"] for e in info["events"])
    status, info = server.json("GET", f"/api/sessions/{first}")
    assert [e["description"] for e in info["edits"]] == ["event road_cut off"]
    assert server.call("GET", "/api/sessions/" + "0" * 32)[0] == 404


def test_limits(server):
    session = server.session(0)
    # Request size.
    status, answer = server.json("POST", f"/api/sessions/{session}/edits", raw=b"{" + b" " * 70000 + b"}")
    assert status == 413 and "larger than the server takes (65536 bytes)" in answer["error"]
    # A body in chunks has no length to check before it is read: refused at once, whatever follows.
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.putrequest("POST", f"/api/sessions/{session}/edits")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.putheader("Content-Type", "application/json")
    connection.endheaders()
    chunk = b'{"kind":"set","path":"x","value":"' + b"a" * 65536
    connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    answer = connection.getresponse()
    assert answer.status == 411, answer.status
    assert "send the request with a Content-Length (at most 65536 bytes)" in json.loads(answer.read())["error"]
    connection.close()
    assert server.json("GET", f"/api/sessions/{session}")[0] == 200  # the server goes on
    # A variant named by anything but text is refused, not taken as no variant.
    for variant in (["border_open"], 3, {"name": "border_open"}):
        status, answer = server.json("POST", "/api/sessions", {"scenario": 0, "variant": variant})
        assert status == 400 and "a variant's name" in answer["error"], (variant, answer)
    status, answer = server.json("POST", "/api/sessions", {"scenario": 0, "variant": None})
    assert status == 201 and answer["variant"] == "", answer
    # Ensemble size.
    status, answer = server.json("POST", f"/api/sessions/{session}/ensemble", {"members": 1000})
    assert status == 400 and "from 2 to 50" in answer["error"]
    # Events added in one session.
    for k in range(50):
        status, answer = edit(server, session, {"kind": "add_event",
                                                "event": {"kind": "capacity_change", "node": "hillcamp", "day": k,
                                                          "capacity": 15000 + k}})
        assert status == 200, answer
    status, answer = edit(server, session, {"kind": "add_event",
                                            "event": {"kind": "capacity_change", "node": "hillcamp", "day": 51,
                                                      "capacity": 1}})
    assert status == 422 and "at most 50 events may be added" in answer["diagnostics"][0]["message"]


def test_a_run_past_its_time_limit_is_cancelled_and_the_server_stays_up():
    serve = Serve(IDLIB_2018, "--max-run-seconds", "0.01")
    try:
        session = serve.session(0)
        status, answer = serve.json("POST", f"/api/sessions/{session}/edits",
                                    {"kind": "set", "path": "parameters.threat_kernel_km", "value": 2})
        assert status == 503
        assert answer["cancelled"] and "cancelled" in answer["error"] and "limited to 0.01 s" in answer["error"]
        # The edit whose run was cancelled is not kept: the session is as before it (the page says it was refused).
        assert answer["error"].endswith("; the edit was not kept") and answer["edits"] == [], answer
        status, info = serve.json("GET", f"/api/sessions/{session}")
        assert info["edits"] == [] and info["undo"] == "", info
        assert serve.call("GET", "/api/scenarios")[0] == 200
        # The scenario as written runs (its run was made at start, without the limit).
        status, answer = serve.json("POST", f"/api/sessions/{session}/run")
        assert status == 200 and answer["edits"] == []
        # A variant without edits is its base run, made the first time it is asked for, without the limit.
        status, answer = serve.json("POST", f"/api/sessions/{session}/variant", {"variant": "full_offensive"})
        assert status == 200 and answer["variant"] == "full_offensive"
        # A band of the scenario as written: member 0 is the base run on the page (made at start, unlimited), sent
        # as it is; member 1 runs and is cancelled. The band says how far it got, then why it stopped.
        fresh = serve.session(0)
        status, _, body = serve.call("POST", f"/api/sessions/{fresh}/ensemble", {"members": 2})
        lines = [json.loads(line) for line in body.decode().splitlines()]
        assert status == 200 and lines[-1]["finished"] and lines[-1]["cancelled"], lines
        assert lines[-1]["error"].startswith("member 1: the run was cancelled"), lines[-1]
        assert [line["done"] for line in lines[:-1]] in ([], [1])
    finally:
        assert serve.stop()[0] == 0


def test_ensemble_streams_bands(server):
    session = server.session(0)
    status, headers, body = server.call("POST", f"/api/sessions/{session}/ensemble", {"members": 4})
    assert status == 200 and headers["Content-Type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in body.decode().splitlines()]
    done = [line["done"] for line in lines]  # a line as members finish (several may finish together)
    assert done == sorted(set(done)) and done[-1] == 4 and all(line["total"] == 4 for line in lines)
    assert [line["finished"] for line in lines] == [False] * (len(lines) - 1) + [True]
    assert lines[-1]["finished"] and lines[-1]["bands"]["members"] == 4
    band = lines[-1]["bands"]["newly_away"]
    assert all(lo <= mid <= hi for lo, mid, hi in zip(band["p5"], band["p50"], band["p95"]))
    assert any(lo < hi for lo, hi in zip(band["p5"], band["p95"]))  # seeds differ


def test_a_bands_first_member_is_the_run_on_screen(server):
    # Member 0 has the run's seed and run index: the server sends the run it made for the page instead of making it
    # again. With two members, p5 and p95 give back both members' values each day: one of them is the page's run.
    session = server.session(0)
    status, answer = edit(server, session, {"kind": "toggle_event", "id": "strikes_south", "enabled": False})
    assert status == 200, answer
    shown = answer["data"]["runs"][0]["cumulative_displaced"]
    band = final_band(server, session, {"members": 2})["bands"]["left_home"]
    matched = 0
    for day, (p5, p95, value) in enumerate(zip(band["p5"], band["p95"], shown)):
        spread = (p95 - p5) / 0.9  # type-7 quantiles of two values a <= b: p5 = a + 0.05 (b - a), p95 = a + 0.95 (b - a)
        low = p5 - 0.05 * spread
        members = (low, low + spread)
        assert min(abs(m - value) for m in members) <= 1e-5 * max(1.0, value), (day, members, value)
        matched += 1
    assert matched == len(shown) > 10
    base = server.json("POST", f"/api/sessions/{server.session(0)}/run")[1]["data"]["runs"][0]["cumulative_displaced"]
    assert base != shown  # the edit changed the run: the band's member is the edited run, not the base's


def final_band(server, session, payload):
    status, _, body = server.call("POST", f"/api/sessions/{session}/ensemble", payload)
    assert status == 200, body
    last = [json.loads(line) for line in body.decode().splitlines()][-1]
    assert last["finished"] and "error" not in last, last
    return last


def test_band_with_parameter_uncertainty(server):
    # scenarios/sweeps/idlib_sensitivity.yaml gives Latin-hypercube ranges for Idlib: the band may draw from them.
    session = server.session(1)
    status, info = server.json("GET", f"/api/sessions/{session}")
    assert info["uncertainty"]["sweep"] == "idlib_sensitivity.yaml" and info["uncertainty"]["method"] == "lhs"
    kernel = next(p for p in info["uncertainty"]["parameters"] if p["name"] == "threat_kernel_km")
    assert (kernel["minimum"], kernel["maximum"], kernel["held"]) == (0.5, 2.0, False)
    seeds = final_band(server, session, {"members": 6})
    varied = final_band(server, session, {"members": 6, "parameters": True})
    again = final_band(server, session, {"members": 6, "parameters": True})
    assert seeds["parameters"] is None
    assert varied["parameters"]["sweep"] == "idlib_sensitivity.yaml" and "threat_kernel_km" in varied["parameters"]["varied"]
    assert varied["bands"] == again["bands"]  # the same design and seeds, the same band
    for series in ["newly_away", "left_home"]:
        width = [hi - lo for lo, hi in zip(seeds["bands"][series]["p5"], seeds["bands"][series]["p95"])]
        wider = [hi - lo for lo, hi in zip(varied["bands"][series]["p5"], varied["bands"][series]["p95"])]
        assert sum(wider) >= sum(width) and max(wider) >= max(width), series
        assert max(wider) > 10 * max(width)  # the parameters matter far more than chance here
    # A parameter set by an edit is held at the edited value, and the band says so.
    assert edit(server, session, {"kind": "set", "path": "parameters.threat_kernel_km", "value": 1.5})[0] == 200
    held = final_band(server, session, {"members": 3, "parameters": True})
    assert held["parameters"]["held"] == ["threat_kernel_km"] and "threat_kernel_km" not in held["parameters"]["varied"]
    status, info = server.json("GET", f"/api/sessions/{session}")
    assert next(p for p in info["uncertainty"]["parameters"] if p["name"] == "threat_kernel_km")["held"]
    # The valley has no sweep with ranges: seeds only.
    valley = server.session(0)
    assert server.json("GET", f"/api/sessions/{valley}")[1]["uncertainty"] is None
    status, answer = server.json("POST", f"/api/sessions/{valley}/ensemble", {"members": 3, "parameters": True})
    assert status == 400 and "no sweep file gives parameter ranges for valley.yaml" in answer["error"]
    status, answer = server.json("POST", f"/api/sessions/{valley}/ensemble", {"members": 3, "parameters": "yes"})
    assert status == 400


CAMP_RANGES = Path(__file__).resolve().parents[1] / "data" / "serve" / "valley_camp_ranges.yaml"


def test_whole_and_switch_parameters_say_so_and_refuse_fractions(tmp_path):
    # A Flee folder is served as `haven run` reads it, with Flee's rules, so the page shows Flee's settings: a count
    # of links and switches, which take no fractions.
    # Given with the trailing slash a shell's completion adds: named by the folder all the same.
    folder = f"{FLEE_FOLDER}/"
    serve = Serve(folder, "--output-dir", tmp_path)
    try:
        session = serve.session(0)
        status, info = serve.json("GET", f"/api/sessions/{session}")
        assert status == 200 and info["scenario"] == "good", info["scenario"]
        kinds = {p["name"]: p["kind"] for p in info["parameters"]}
        assert kinds["flee_awareness_level"] == "whole" and kinds["flee_start_on_foot"] == "on_off"
        assert kinds["flee_conflict_weight"] == "real"
        # An armed conflict's intensity is sent for its row (under Flee's rules, how strongly it repels).
        assert next(e for e in info["events"] if e["id"] == "conflict_2")["intensity"] == 0.5
        status, answer = edit(serve, session, {"kind": "set", "path": "parameters.flee_awareness_level", "value": 2.5})
        assert status == 422
        [problem] = answer["diagnostics"]
        assert problem["message"].endswith("expected a whole number in [0, 4] (links), got 2.5"), problem
        status, answer = edit(serve, session, {"kind": "set", "path": "parameters.flee_start_on_foot", "value": 0.5})
        assert status == 422 and "a switch: expected 0 or 1" in answer["diagnostics"][0]["message"]
        status, answer = edit(serve, session, {"kind": "set", "path": "parameters.flee_start_on_foot", "value": 1})
        assert status == 200
        assert next(p for p in answer["parameters"] if p["name"] == "flee_start_on_foot")["value"] == 1
        # An imported event starts on a `day`; the page moves its start with a `date`, which takes its place.
        status, answer = edit(serve, session, {"kind": "set", "path": "events.conflict_2.date", "value": "2020-01-06"})
        assert status == 200, answer
        assert next(e for e in answer["events"] if e["id"] == "conflict_2")["start_date"] == "2020-01-06"
        # The what-if saved from a Flee folder runs on the folder, as the answer says.
        status, answer = serve.json("POST", f"/api/sessions/{session}/save", {"form": "overlay", "name": "on-foot"})
        assert status == 201
        overlay = tmp_path / "on-foot.yaml"
        assert answer["run"] == f"haven run {folder} --set-file {overlay} -o {overlay.with_suffix('.h5')}"
        assert "parameters.flee_start_on_foot: 1" in overlay.read_text()
        result = haven(*answer["run"].split()[1:], "--quiet")
        assert result.returncode == 0, result.stderr
    finally:
        code, _, _ = serve.stop()
    assert code == 0


def test_sweep_option_picks_the_band_ranges():
    # --sweep names the sweep whose ranges the band draws from (the valley has none beside it).
    serve = Serve(VALLEY, "--sweep", CAMP_RANGES)
    try:
        session = serve.session(0)
        status, info = serve.json("GET", f"/api/sessions/{session}")
        assert status == 200
        assert info["uncertainty"]["sweep"] == "valley_camp_ranges.yaml" and info["uncertainty"]["method"] == "lhs"
        names = sorted(p["name"] for p in info["uncertainty"]["parameters"])
        assert names == ["nodes.northcamp.capacity", "threat_kernel_km"]
        varied = final_band(serve, session, {"members": 3, "parameters": True})
        assert varied["parameters"]["sweep"] == "valley_camp_ranges.yaml"
        assert "nodes.northcamp.capacity" in varied["parameters"]["varied"]
    finally:
        code, _, _ = serve.stop()
    assert code == 0


def test_a_sweeps_set_section_is_left_out_of_the_band_and_said_to_be(tmp_path):
    # A band varies the sweep's ranges around the run on the page (its first member is that run); the values the
    # sweep's set: gives all its runs would move the band off it without the page saying so.
    sweep = tmp_path / "fixed.yaml"
    sweep.write_text(f"""sweep:
  name: fixed
  scenario: {VALLEY}
  seed: 5
  set:
    parameters.max_departure_rate_per_day: 0.01
design:
  method: lhs
  samples: 4
  parameters:
    threat_onset_days: {{min: 4, max: 12}}
""")
    serve = Serve(VALLEY, "--sweep", sweep)
    try:
        session = serve.session(0)
        status, run = serve.json("POST", f"/api/sessions/{session}/run", {})
        assert status == 200
        left_home = run["data"]["runs"][0]["cumulative_displaced"][-1]
        band = final_band(serve, session, {"members": 3, "parameters": True})
        assert band["parameters"]["varied"] == ["threat_onset_days"], band["parameters"]
        # Around the run on the page; the set: section's departure rate would have left a fraction at home.
        assert 0.75 * left_home <= band["bands"]["left_home"]["p50"][-1] <= 1.25 * left_home, (band, left_home)
        status, slow = edit(serve, serve.session(0),
                            {"kind": "set", "path": "parameters.max_departure_rate_per_day", "value": 0.01})
        assert status == 200
        assert slow["data"]["runs"][0]["cumulative_displaced"][-1] < 0.5 * left_home
    finally:
        code, _, err = serve.stop()
    assert code == 0
    assert (f"haven serve: note: the band takes only the ranges of {sweep}, not its set: section "
            "(parameters.max_departure_rate_per_day=0.01)") in err, err


def test_a_band_holds_what_the_variant_sets_and_skips_an_event_switched_off(tmp_path):
    sweep = tmp_path / "ranges.yaml"
    sweep.write_text(f"""sweep: {{name: ranges, scenario: {VALLEY}, seed: 5}}
design:
  method: lhs
  samples: 4
  parameters:
    attractiveness_camp: {{min: 1, max: 20}}
    nodes.hillcamp.capacity: {{min: 10000, max: 20000}}
    events.strikes_south.intensity: {{min: 30, max: 90}}
""")
    serve = Serve(VALLEY, "--sweep", sweep)
    try:
        # bigger_camp sets Hill Camp's capacity and the camps' attractiveness: its band is a band of the bigger camp.
        status, info = serve.json("POST", "/api/sessions", {"scenario": 0, "variant": "bigger_camp"})
        assert status == 201
        held = {p["name"]: p["held"] for p in info["uncertainty"]["parameters"]}
        assert held == {"attractiveness_camp": True, "nodes.hillcamp.capacity": True,
                        "events.strikes_south.intensity": False}, held
        because = {p["name"]: p["held_because"] for p in info["uncertainty"]["parameters"]}
        assert because == {"attractiveness_camp": "variant", "nodes.hillcamp.capacity": "variant",
                           "events.strikes_south.intensity": None}, because
        # An edit of a value the variant sets: held as edited.
        status, answer = edit(serve, info["session"], {"kind": "set", "path": "nodes.hillcamp.capacity", "value": 15000})
        assert status == 200
        because = {p["name"]: p["held_because"] for p in answer["uncertainty"]["parameters"]}
        assert because["nodes.hillcamp.capacity"] == "edited" and because["attractiveness_camp"] == "variant", because
        band = final_band(serve, info["session"], {"members": 3, "parameters": True})
        assert band["parameters"]["varied"] == ["events.strikes_south.intensity"], band["parameters"]
        assert sorted(band["parameters"]["held"]) == ["attractiveness_camp", "nodes.hillcamp.capacity"]
        # The strikes switched off: their strength has no value to draw, and the band still runs.
        session = serve.session(0)
        status, answer = edit(serve, session, {"kind": "toggle_event", "id": "strikes_south", "enabled": False})
        assert status == 200
        assert next(p for p in answer["uncertainty"]["parameters"]
                    if p["name"] == "events.strikes_south.intensity")["held_because"] == "not_in_run"
        band = final_band(serve, session, {"members": 3, "parameters": True})
        assert band["parameters"]["held"] == ["events.strikes_south.intensity"], band["parameters"]
        assert band["done"] == 3
    finally:
        code, _, _ = serve.stop()
    assert code == 0


def test_sweep_option_refuses_a_file_without_ranges_or_for_another_scenario():
    # Ranges for the valley's camps name no node of Idlib: a located error, exit 2, no server started.
    result = haven("serve", IDLIB, "--sweep", CAMP_RANGES, "--port", "0")
    assert result.returncode == 2 and result.stdout == ""
    assert ("valley_camp_ranges.yaml:12:5: error: --sweep, for idlib_2019_2020.yaml: nodes.northcamp.capacity: "
            "'northcamp' names no item of 'nodes'") in result.stderr
    result = haven("serve", VALLEY, "--sweep", "scenarios/sweeps/valley_grid.yaml", "--port", "0")
    assert result.returncode == 2 and "valley_grid.yaml:10:11: error: --sweep: design.method is grid" in result.stderr
    result = haven("serve", VALLEY, "--sweep", "no/such/sweep.yaml", "--port", "0")
    assert result.returncode == 2 and "no/such/sweep.yaml: error: cannot open the file" in result.stderr


def test_set_file_and_set_start_every_session_and_the_page_edits_over_them(tmp_path):
    # A calibrated overlay (haven calibrate writes one) and a --set are the starting point of every session: the
    # page shows their values, its own edits go over them, a band holds them, and what it saves runs with them.
    fit = tmp_path / "fit.yaml"
    fit.write_text("parameters:\n  threat_kernel_km: 1.5\n")
    serve = Serve(VALLEY, "--sweep", CAMP_RANGES, "--set-file", fit, "--set", "nodes.northcamp.capacity=5000",
                  "--output-dir", tmp_path)
    try:
        session = serve.session(0)
        status, info = serve.json("GET", f"/api/sessions/{session}")
        assert status == 200
        assert info["starting_arguments"] == ["--set-file", str(fit), "--set", "nodes.northcamp.capacity=5000"]
        kernel = lambda answer: next(p for p in answer["parameters"] if p["name"] == "threat_kernel_km")["value"]
        assert kernel(info) == 1.5 and info["edits"] == []
        assert next(n for n in info["nodes"] if n["id"] == "northcamp")["capacity"] == 5000
        assert all(p["held"] for p in info["uncertainty"]["parameters"])
        assert {p["held_because"] for p in info["uncertainty"]["parameters"]} == {"started_with"}
        status, answer = edit(serve, session, {"kind": "set", "path": "parameters.threat_kernel_km", "value": 1.2})
        assert status == 200 and kernel(answer) == 1.2
        status, answer = serve.json("POST", f"/api/sessions/{session}/undo", {})
        assert status == 200 and kernel(answer) == 1.5
        assert edit(serve, session, {"kind": "set", "path": "parameters.threat_kernel_km", "value": 1.2})[0] == 200
        status, answer = serve.json("POST", f"/api/sessions/{session}/save", {"form": "overlay", "name": "what-if"})
        assert status == 201
        overlay = tmp_path / "what-if.yaml"
        # `haven run` applies --set after every --set-file: the command names the starting overlay, and the saved
        # overlay carries the --set value (under the page's own edits).
        assert answer["run"] == (f"haven run {VALLEY} --set-file {fit} --set-file {overlay} "
                                 f"-o {overlay.with_suffix('.h5')}")
        text = overlay.read_text()
        assert f"from valley.yaml with --set-file {fit} --set nodes.northcamp.capacity=5000." in text
        assert "# Given to haven serve with --set:\nnodes.northcamp.capacity: 5000\n# The page's edits:\n" in text
        assert "parameters.threat_kernel_km: 1.2\n" in text
        result = haven(*answer["run"].split()[1:], "--quiet")
        assert result.returncode == 0, result.stderr
        status, answer = serve.json("POST", f"/api/sessions/{session}/save", {"form": "scenario", "name": "whole"})
        assert status == 201
        whole = (tmp_path / "whole.yaml").read_text()
        assert "threat_kernel_km: 1.2" in whole and "capacity: 5000" in whole
        # The overlay's command and the saved scenario run the same scenario: the same summary, figure for figure.
        by_overlay = haven("run", VALLEY, "--set-file", fit, "--set-file", overlay, "--no-output", "--quiet")
        by_scenario = haven("run", tmp_path / "whole.yaml", "--no-output", "--quiet")
        assert by_overlay.returncode == 0 and by_scenario.returncode == 0, by_overlay.stderr + by_scenario.stderr
        figures = lambda out: out.split("\n", 1)[1]  # past the first line, which names the scenario
        assert figures(by_overlay.stdout) == figures(by_scenario.stdout)
    finally:
        code, _, _ = serve.stop()
    assert code == 0


def test_the_docs_calibrate_then_serve_commands_work_as_written(tmp_path):
    # docs/serve.md shows a fit served as the starting point: its two commands, run from a scratch copy of the
    # layout (scenarios/ linked, output/ empty), so nothing is written into the checkout.
    text = (ROOT / "docs" / "serve.md").read_text()
    block = re.search(r"A calibrated fit is served as\n\n```\n(.*?)```", text, flags=re.S).group(1)
    calibrate, serve_command = block.strip().split("\n")
    assert calibrate.startswith("haven calibrate ") and serve_command.startswith("haven serve ")
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    (tmp_path / "output").mkdir()
    result = subprocess.run([str(haven_bin()), *calibrate.split()[1:], "--quiet"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    serve = Serve(*serve_command.split()[2:], cwd=tmp_path)
    try:
        status, info = serve.json("GET", f"/api/sessions/{serve.session(0)}")
        assert status == 200 and info["starting_arguments"] == ["--set-file", "output/valley-fit.yaml"]
    finally:
        code, _, _ = serve.stop()
    assert code == 0


def test_set_file_and_set_problems_stop_the_server_all_at_once(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("parameters:\n  threat_kernel_km: -1\n")
    result = haven("serve", VALLEY, "--set-file", "no/such/fit.yaml", "--set", "nonsense", "--port", "0")
    assert result.returncode == 2 and result.stdout == ""
    assert "no/such/fit.yaml: error: cannot open the file" in result.stderr
    assert "command line (--set nonsense): error: expected --set path.to.key=value" in result.stderr
    # A value out of range is the loader's located message, at the line of the overlay that gives it.
    result = haven("serve", VALLEY, "--set-file", bad, "--port", "0")
    assert result.returncode == 2 and result.stdout == ""
    assert (f"{bad}:2:3: error: parameters.threat_kernel_km: must be between 0.1 and 500, got -1"
            in result.stderr), result.stderr
    # A starting point that breaks a variant the page offers (an event the variant removes) is said at once, as
    # `haven check --set-file` says it, not when a planner picks the variant.
    removed = tmp_path / "removed.yaml"
    removed.write_text("events:\n  border_stays_closed:\n    day: 5\n")
    result = haven("serve", VALLEY, "--set-file", removed, "--port", "0")
    assert result.returncode == 2 and result.stdout == ""
    assert (f"{removed}:3:5: error: in variant 'border_open': events.border_stays_closed.day: 'border_stays_closed' "
            "names no item of 'events'") in result.stderr, result.stderr
    # An error at a line of the scenario that only the starting edits bring names them, as `haven check` does: the
    # file alone is fine.
    checked = haven("check", VALLEY, "--set", "scenario.days=30")
    served = haven("serve", VALLEY, "--set", "scenario.days=30", "--port", "0")
    assert served.returncode == 2 and served.stdout == ""
    problems = [line for line in checked.stderr.splitlines() if ": error: " in line]
    assert problems and all(line.endswith("(with --set scenario.days=30)") for line in problems), checked.stderr
    for line in problems:  # the server names the file by its name, check by the path given
        assert line.split(": error: ", 1)[1] in served.stderr, served.stderr


def test_saves_only_under_output_dir_and_haven_check_accepts_them(server, tmp_path):
    session = server.session(0)
    for payload in [{"kind": "toggle_event", "id": "border_stays_closed", "enabled": False},
                    {"kind": "set", "path": "parameters.return_rate_per_day", "value": 0.02},
                    {"kind": "add_event", "event": {"kind": "bombardment", "node": "hilltown", "day": 5,
                                                    "duration_days": 10, "intensity": 30}}]:
        assert edit(server, session, payload)[0] == 200
    status, answer = server.json("POST", f"/api/sessions/{session}/save", {"form": "overlay", "name": "what-if"})
    assert status == 201 and answer["saved"] == "what-if.yaml"
    overlay = server.output_dir / "what-if.yaml"
    text = overlay.read_text()
    assert "#   1. event border_stays_closed off" in text and "#   2. parameters.return_rate_per_day = 0.02" in text
    result = haven("check", VALLEY, "--set-file", overlay)
    assert result.returncode == 0, result.stderr
    # Its events list, an event left out and one added, is what the check's warning of a list that replaces the
    # scenario's is not for: it is said as an edit, not warned of.
    assert "warning" not in result.stderr, result.stderr
    # The answer says where it went and how to run it, from where the server was started (the repository root).
    assert answer["path"] == str(server.output_dir / "what-if.yaml"), answer
    assert answer["run"] == f"haven run {VALLEY} --set-file {overlay} -o {overlay.with_suffix('.h5')}", answer
    assert f"# Check it: haven check {VALLEY} --set-file THIS_FILE\n" in text
    # Run as given, its run file beside it, whatever run of the scenario's own name is already there.
    result = haven(*answer["run"].split()[1:], "--quiet")
    assert result.returncode == 0, result.stderr
    assert overlay.with_suffix(".h5").is_file()
    status, answer = server.json("POST", f"/api/sessions/{session}/save", {"form": "scenario", "name": "edited"})
    assert status == 201
    result = haven("check", server.output_dir / "edited.yaml")
    assert result.returncode == 0, result.stderr
    edited = server.output_dir / "edited.yaml"
    assert answer["run"] == f"haven run {edited} -o {edited.with_suffix('.h5')}", answer
    # The report downloaded sets the scenario as written beside the edited one, which lists its edits.
    status, headers, body = server.call("GET", f"/api/sessions/{session}/report.html")
    html = body.decode()
    assert status == 200 and "attachment" in headers["Content-Disposition"]
    # In a planner's words, as the page lists them (the saved overlay's comments give them exactly, above).
    assert "the scenario as written" in html and "the scenario with 3 edits: 1. border closure · North Gate: off" in html
    # The overlay downloaded is the one saved.
    status, headers, body = server.call("GET", f"/api/sessions/{session}/overlay.yaml")
    assert status == 200 and body.decode() == text and "attachment" in headers["Content-Disposition"]
    assert headers["Content-Disposition"] == 'attachment; filename="valley-overlay.yaml"'
    for route, named in [("scenario.yaml", "valley-scenario.yaml"), ("report.html", "valley-report.html")]:
        status, headers, _ = server.call("GET", f"/api/sessions/{session}/{route}")
        assert status == 200 and headers["Content-Disposition"] == f'attachment; filename="{named}"', headers
    # Named by the page's Name as Save names its files; a name Save would refuse is refused.
    for route, named in [("overlay.yaml", "plan_2-overlay.yaml"), ("scenario.yaml", "plan_2-scenario.yaml"),
                         ("report.html", "plan_2-report.html")]:
        status, headers, _ = server.call("GET", f"/api/sessions/{session}/{route}?name=plan_2")
        assert status == 200 and headers["Content-Disposition"] == f'attachment; filename="{named}"', headers
        status, answer = server.json("GET", f"/api/sessions/{session}/{route}?name=..%2Fx")
        assert status == 400 and "plain file name" in answer["error"], answer
    # No request names a path: names are plain.
    for name in ["../escape", "/tmp/x", "a/b", "", "x" * 65, "-rf"]:
        status, answer = server.json("POST", f"/api/sessions/{session}/save", {"form": "overlay", "name": name})
        assert status == 400, name
        assert "at most 64 letters, digits, '_' and '-', starting with a letter or digit" in answer["error"], answer
    assert sorted(p.name for p in server.output_dir.glob("*.yaml")) == ["edited.yaml", "what-if.yaml"]
    # A name already taken is not written over unless the request says so.
    status, answer = server.json("POST", f"/api/sessions/{session}/save", {"form": "scenario", "name": "what-if"})
    assert status == 409 and "what-if.yaml is already in the output folder" in answer["error"], answer
    assert overlay.read_text() == text
    # 'overwrite' is true or false: a string is a mistake said as one, not read as false.
    status, answer = server.json("POST", f"/api/sessions/{session}/save",
                                 {"form": "scenario", "name": "what-if", "overwrite": "true"})
    assert status == 400 and answer["error"] == "'overwrite' must be true or false", answer
    assert overlay.read_text() == text
    status, answer = server.json("POST", f"/api/sessions/{session}/save",
                                 {"form": "scenario", "name": "what-if", "overwrite": True})
    assert status == 201 and overlay.read_text() == (server.output_dir / "edited.yaml").read_text()
    assert sorted(p.name for p in server.output_dir.glob("*.yaml")) == ["edited.yaml", "what-if.yaml"]  # no .partial
    # Two saves of one name at once (a double click, overlay and scenario together): one is written whole, the other
    # refused, and the file holds the one written.
    overlay_text = server.call("GET", f"/api/sessions/{session}/overlay.yaml")[2].decode()
    for round_ in range(100):
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda form: (form, server.json(
                "POST", f"/api/sessions/{session}/save", {"form": form, "name": f"twice-{round_}"})),
                ["overlay", "scenario"]))
        codes = sorted(status for _, (status, _) in answers)
        assert codes == [201, 409], answers
        written = next(form for form, (status, _) in answers if status == 201)
        text_now = (server.output_dir / f"twice-{round_}.yaml").read_text()
        assert (text_now == overlay_text) == (written == "overlay"), (round_, written)
    assert not [p.name for p in server.output_dir.iterdir() if p.name.endswith(".partial")]


def test_without_output_dir_nothing_is_written_and_origins_are_opt_in():
    serve = Serve(VALLEY, "--allow-origin", "http://localhost:3000")
    try:
        session = serve.session(0)
        status, answer = serve.json("POST", f"/api/sessions/{session}/save", {"form": "overlay", "name": "x"})
        assert status == 403 and "--output-dir" in answer["error"]
        status, headers, _ = serve.call("GET", "/api/scenarios")
        assert headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
        # The page it names may change things; another still may not.
        status, _ = serve.json("POST", "/api/sessions", {}, headers={"Origin": "http://localhost:3000"})
        assert status == 201
        status, _ = serve.json("POST", "/api/sessions", {}, headers={"Origin": "http://localhost:3001"})
        assert status == 403
    finally:
        code, stdout, _ = serve.stop()
    assert code == 0 and "stopped" in stdout


def test_an_ipv6_address_is_shown_in_brackets_and_answers_there():
    serve = Serve(VALLEY, "--host", "::1")
    try:
        assert re.search(r"on http://\[::1\]:\d+/ \(Ctrl-C to stop\)", serve.stdout), serve.stdout
        status, _, _ = serve.call("GET", "/")
        assert status == 200
    finally:
        code, _, err = serve.stop()
    assert code == 0 and "anyone who can reach" not in err


def test_all_interfaces_come_with_a_plain_warning():
    serve = Serve(VALLEY, "--host", "0.0.0.0")
    code, _, err = serve.stop()
    assert code == 0
    assert "anyone who can reach this machine" in err


def test_concurrent_clients_short():
    """The CTest-sized load test (tests/serve/test_serve_load.py is the full one): 8 clients x 10 edits."""
    serve = Serve(VALLEY)
    errors = []

    def client(k):
        session = serve.session(0)
        for i in range(10):
            payload = ({"kind": "set", "path": "parameters.return_rate_per_day", "value": 0.01 + 0.001 * (i + k)}
                       if i % 3 else {"kind": "toggle_event", "id": "road_cut", "enabled": i % 2 == 0})
            status, answer = serve.json("POST", f"/api/sessions/{session}/edits", payload)
            if status != 200:
                errors.append((k, i, status, answer.get("error")))

    try:
        threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == []
    finally:
        assert serve.stop()[0] == 0


def test_a_variant_keeps_the_edits_that_apply_and_says_which_it_dropped(server):
    session = server.session(0)
    assert server.json("POST", f"/api/sessions/{session}/variant", {"variant": "border_open"})[0] == 200
    assert edit(server, session, {"kind": "set", "path": "events.gate_opens.date", "value": "2024-03-15"})[0] == 200
    assert edit(server, session, {"kind": "set", "path": "parameters.threat_kernel_km", "value": 2.5})[0] == 200
    status, answer = edit(server, session, {"kind": "set", "path": "nodes.hilltown.population", "value": 0})
    assert status == 200 and len(answer["warnings"]) == 1, answer["warnings"]
    brought = answer["warnings"][0]["message"]
    assert "can shelter nobody" in brought
    status, answer = server.json("POST", f"/api/sessions/{session}/variant", {"variant": ""})
    assert status == 200
    assert [e["description"] for e in answer["edits"]] == ["parameters.threat_kernel_km = 2.5 (was 1)",
                                                           "nodes.hilltown.population = 0 (was 30000)"]
    # The edit that does not apply is dropped (found by trying each edit in turn), and what the kept ones bring to
    # the scenario is said, as when they were made.
    kept_warning, dropped = answer["warnings"]
    assert dropped["where"] == "edit 1 (events.gate_opens.date = 2024-03-15)"
    assert dropped["message"].startswith("dropped: it does not apply to the scenario as written ("), dropped
    # (Said at the edit when it was made, with where in the file; after the switch, at that place in the file.)
    assert brought == f"{kept_warning['message']} (given at valley.yaml:{kept_warning['line']}:{kept_warning['column']})"
    # Undo takes the switch back: the variant, and the edit it dropped.
    assert answer["undo"] == "variant"
    status, answer = server.json("POST", f"/api/sessions/{session}/undo")
    assert status == 200 and answer["undone"] and answer["variant"] == "border_open"
    assert [e["description"] for e in answer["edits"]] == ["events.gate_opens.date = 2024-03-15 (was 2024-03-21)",
                                                           "parameters.threat_kernel_km = 2.5 (was 1)",
                                                           "nodes.hilltown.population = 0 (was 30000)"]
    assert answer["undo"] == "edit"


def test_a_scenario_with_tables_is_served_from_another_folder(tmp_path):
    """A scenario's CSV tables are found beside it, as `haven run` finds them, wherever the server is started from;
    what it saves loads with `haven check`."""
    tables = Path("scenarios") / "examples" / "valley_tables.yaml"
    serve = Serve(tables, "--output-dir", tmp_path, cwd=ROOT)
    try:
        session = serve.session(0)
        assert edit(serve, session, {"kind": "toggle_event", "id": "strikes_river", "enabled": False})[0] == 200
        status, answer = serve.json("POST", f"/api/sessions/{session}/save", {"form": "scenario", "name": "tables"})
        assert status == 201, answer
    finally:
        serve.stop()
    assert haven("check", tmp_path / "tables.yaml").returncode == 0
    # And from the scenario's own folder, named there.
    serve = Serve("valley_tables.yaml", cwd=ROOT / "scenarios" / "examples")
    try:
        serve.session(0)
    finally:
        serve.stop()


def test_option_problems_stop_the_server_before_it_starts(tmp_path):
    """A run time limit that is not a number, and an output folder that is a file, are refused at once (exit 2), not
    met as no limit at all or as a failure on every save."""
    result = haven("serve", VALLEY, "--max-run-seconds", "nan", "--port", "0")
    assert result.returncode == 2 and "--max-run-seconds: not a number of seconds" in result.stderr, result.stderr
    a_file = tmp_path / "afile"
    a_file.write_text("x")
    for output_dir in (a_file, a_file / "sub"):  # a folder under a file cannot be made either
        result = haven("serve", VALLEY, "--output-dir", output_dir, "--port", "0")
        assert result.returncode == 2, result.stderr
        assert f"command line (--output-dir {output_dir}): error: {a_file} is a file, not a folder" in result.stderr
    assert a_file.read_text() == "x"


def test_a_variant_that_is_not_there_is_refused_with_the_scenarios_variants(server):
    """Named by a request, not on a command line: the answer says so and lists the variants there are."""
    status, answer = server.json("POST", "/api/sessions", {"scenario": 0, "variant": "nope"})
    assert status == 422, answer
    session = server.session(0)
    status, refused = server.json("POST", f"/api/sessions/{session}/variant", {"variant": "nope"})
    assert status == 422, refused
    for body in (answer, refused):
        text = json.dumps(body)
        assert "the page's request (variant nope)" in text and "its variants: border_open, bigger_camp" in text, body
        assert "command line" not in text, body


def test_a_request_key_the_route_does_not_take_is_refused(server):
    """A misspelt key would leave a default in force unsaid: it is named instead."""
    session = server.session(0)
    for path, payload, takes in [("/api/sessions", {"scenario": 0, "varient": "border_open"}, "scenario, variant"),
                                 (f"/api/sessions/{session}/ensemble", {"members": 4, "seed": 3},
                                  "members, parameters"),
                                 (f"/api/sessions/{session}/variant", {"variant": "", "keep": True}, "variant")]:
        status, answer = server.json("POST", path, payload)
        assert status == 400, (path, answer)
        unknown = next(k for k in payload if k not in takes.split(", "))
        assert answer["error"] == f"unknown key '{unknown}' in the request; it takes {takes}", answer
    # Undo and run take no key (they answered 200 to anything); {} or nothing is what they take.
    for path in ("undo", "run"):
        status, answer = server.json("POST", f"/api/sessions/{session}/{path}", {"x": 1})
        assert status == 400, (path, answer)
        assert answer["error"] == "unknown key 'x' in the request; it takes none (send {} or nothing)", answer
        status, _, _ = server.call("POST", f"/api/sessions/{session}/{path}", raw=b"not json")
        assert status == 400, path
        status, _ = server.json("POST", f"/api/sessions/{session}/{path}", {})
        assert status == 200, path
