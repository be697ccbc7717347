"""`haven serve` under load: 20 concurrent clients on loopback, 50 edits each (parameter moves, events switched off
and on, undos), every answer a success, and the server's memory flat: its resident size after those 1,000 edits is
within 10% (+16 MB) of its size after a warm-up round of 60 edits per client. The warm-up takes the server to its
steady state: every session has re-parsed its scenario's text (every 16 loads, what bounds a session's memory), the
kept runs are full and the allocator's arenas have settled; on Idlib the resident size grows until about 60 edits
per client and then stays flat (docs/benchmarks.md, "Serve: one run per core"). More clients than cores: some runs wait for their turn (the run
gate), and the answers say so. Bounded: every request has a timeout and the test stops by itself.

CTest runs it as `serve_load` (about 15 s on 2 busy cores). By hand:
    HAVEN_BIN=build/default/bin/haven /usr/bin/python3 -m pytest -q -s -p no:cacheprovider tests/serve/test_serve_load.py
HAVEN_SERVE_LOAD_CLIENTS, HAVEN_SERVE_LOAD_EDITS and HAVEN_SERVE_LOAD_SCENARIO (valley or idlib) change the load.
"""

import os
import sys
import threading
import time

sys.dont_write_bytecode = True

from serve_helpers import IDLIB, VALLEY, Serve  # noqa: E402

CLIENTS = int(os.environ.get("HAVEN_SERVE_LOAD_CLIENTS", "20"))
WARM_UP_EDITS = 60
EDITS = int(os.environ.get("HAVEN_SERVE_LOAD_EDITS", "50"))
SCENARIO = IDLIB if os.environ.get("HAVEN_SERVE_LOAD_SCENARIO") == "idlib" else VALLEY
EVENT = "b_idl_ariha" if SCENARIO == IDLIB else "road_cut"


def one_round(serve, sessions, errors, latencies, edits, queued=None):
    def client(k):
        session = sessions[k]
        for i in range(edits):
            if i % 5 == 4:
                path, payload = "undo", None
            elif i % 5 == 2:
                path, payload = "edits", {"kind": "toggle_event", "id": EVENT, "enabled": i % 2 == 1}
            else:
                path, payload = "edits", {"kind": "set", "path": "parameters.return_rate_per_day",
                                          "value": round(0.005 + 0.0001 * ((i * 7 + k) % 100), 6)}
            started = time.monotonic()
            status, answer = serve.json("POST", f"/api/sessions/{session}/{path}", payload, timeout=300)
            latencies.append(time.monotonic() - started)
            if status != 200:
                errors.append((k, i, status, answer.get("error")))
            elif queued is not None:
                queued.append(answer["timing_ms"]["queue"])

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=1800)
    assert not any(t.is_alive() for t in threads), "clients did not finish"


def test_concurrent_clients_memory_flat():
    serve = Serve(SCENARIO)
    try:
        sessions = [serve.session(0) for _ in range(CLIENTS)]
        errors, latencies, queued = [], [], []
        one_round(serve, sessions, errors, [], WARM_UP_EDITS)
        after_first = serve.rss_kb()
        started = time.monotonic()
        one_round(serve, sessions, errors, latencies, EDITS, queued)
        first_s = time.monotonic() - started
        after_second = serve.rss_kb()
        assert errors == []
        latencies.sort()
        queued.sort()
        print(f"serve load: {CLIENTS} clients x {EDITS} edits on {SCENARIO.name}: "
              f"{first_s:.1f} s, median {1000 * latencies[len(latencies) // 2]:.0f} ms, 95th percentile "
              f"{1000 * latencies[int(0.95 * len(latencies))]:.0f} ms per edit (waiting for a core: median "
              f"{queued[len(queued) // 2]:.0f} ms, most {queued[-1]:.0f} ms); RSS {after_first // 1024} MB after "
              f"the warm-up, {after_second // 1024} MB after the edits; load average {os.getloadavg()}")
        assert after_second <= after_first * 1.10 + 16 * 1024
        if CLIENTS > len(os.sched_getaffinity(0)):  # the cores the server may use, as its gate counts them
            assert queued[-1] > 0, "no run waited for its turn: more clients than cores should share them"
    finally:
        assert serve.stop()[0] == 0
