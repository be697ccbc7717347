"""Starting `haven serve` on a free port of 127.0.0.1 for the tests, and talking to it (standard library only)."""

import json
import os
import re
import select
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IDLIB = ROOT / "scenarios" / "idlib_2019_2020.yaml"
VALLEY = ROOT / "scenarios" / "examples" / "valley.yaml"
IDLIB_2018 = ROOT / "scenarios" / "idlib_2018.yaml"
FLEE_FOLDER = ROOT / "tests" / "data" / "flee" / "good"  # a Flee conflict folder: served with Flee's rules

# Loopback requests never go through a proxy set in the environment.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def haven_bin() -> Path:
    path = Path(os.environ.get("HAVEN_BIN") or ROOT / "build" / "default" / "bin" / "haven")
    if not path.is_file():
        pytest.fail(f"haven binary not found at {path}: set HAVEN_BIN (CTest does) or build the default preset")
    return path.resolve()


def haven(*args):
    return subprocess.run([str(haven_bin()), *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


class Serve:
    """One `haven serve` process on a free port; stopped with SIGTERM (and waited for) by stop()."""

    def __init__(self, *args, startup_s: float = 60.0, cwd: Path = ROOT):
        self.process = subprocess.Popen([str(haven_bin()), "serve", *map(str, args), "--port", "0"], cwd=cwd,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.stdout = ""
        deadline = time.monotonic() + startup_s
        while "http://" not in self.stdout:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"haven serve did not start: {self.stdout} {self.process.stderr.read()}")
            ready, _, _ = select.select([self.process.stdout], [], [], 0.5)
            if ready:
                self.stdout += self.process.stdout.readline()
        shown = re.search(r"http://(\[[^\]]+\]|[^:/]+):(\d+)/", self.stdout)
        self.port = int(shown.group(2))
        # An IPv6 address as the URL shows it, in brackets; any other host answers on loopback here.
        self.base = f"http://{shown.group(1) if shown.group(1).startswith('[') else '127.0.0.1'}:{self.port}"

    def call(self, method: str, path: str, payload=None, raw: bytes | None = None, headers=None, timeout=60):
        data = raw if raw is not None else (None if payload is None else json.dumps(payload).encode())
        request = urllib.request.Request(self.base + path, method=method, data=data, headers=headers or {})
        try:
            with _opener.open(request, timeout=timeout) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def json(self, method: str, path: str, payload=None, **kwargs):
        status, headers, body = self.call(method, path, payload, **kwargs)
        return status, json.loads(body)

    def session(self, scenario: int = 0) -> str:
        status, info = self.json("POST", "/api/sessions", {"scenario": scenario})
        assert status == 201, info
        return info["session"]

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def stop(self, timeout_s: float = 20.0):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError("haven serve did not stop on SIGTERM")
        out, err = self.process.communicate()
        self.stdout += out
        return self.process.returncode, self.stdout, err

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
