"""Throughput under load: gunicorn (2 workers) on 127.0.0.1 and wrk, each page against the trivial route.

Only this machine's loopback address is ever a target; every wrk run is bounded in time, and the
gunicorn started here is stopped here (by its pid) whatever happens.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .app import TRIVIAL_PATH, USER_AGENT

PROJECT_DIR = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
WORKERS = 2
THREADS = 2
CONNECTIONS = 16


@dataclass(frozen=True)
class Route:
    key: str
    path: str
    cookie: str | None  # the session cookie of the logged-in user, None for an anonymous visitor


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def wrk_version() -> str | None:
    if not wrk_available():
        return None
    out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10)
    found = re.search(r"wrk (\S+)", out.stdout + out.stderr)
    return found.group(1) if found else "unknown"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Gunicorn:
    """``gunicorn -w 2 'bench.app:create()'`` in the background, on a free port; a context manager."""

    def __init__(self, database_url: str, instance_path: str, secret_key: str, log_path: Path,
                 app_spec: str = "bench.app:create()", probe_path: str = TRIVIAL_PATH):
        self.port = _free_port()
        self.app_spec, self.probe_path = app_spec, probe_path
        self.env = {**os.environ, "BENCH_DATABASE_URL": database_url, "BENCH_INSTANCE_PATH": instance_path,
                    "BENCH_SECRET_KEY": secret_key}
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> "Gunicorn":
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--bind", f"{HOST}:{self.port}",
             "--log-level", "warning", self.app_spec],
            cwd=PROJECT_DIR, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.base_url + self.probe_path, timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.__exit__(None, None, None)
        raise RuntimeError(f"gunicorn did not answer within 60 s; see {self.log_path}")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the master stops its workers
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


def _number(pattern: str, text: str, default=0.0) -> float:
    found = re.search(pattern, text)
    return float(found.group(1)) if found else default


def _latency_ms(text: str) -> float | None:
    found = re.search(r"Latency\s+([\d.]+)(us|ms|s)\b", text)
    if not found:
        return None
    value, unit = float(found.group(1)), found.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def wrk(url: str, cookie: str | None, seconds: float, connections: int = CONNECTIONS,
        threads: int = THREADS) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
               "-H", f"User-Agent: {USER_AGENT}"]
    if cookie:
        command += ["-H", f"Cookie: session={cookie}"]
    done = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 60)
    out = done.stdout
    if done.returncode != 0 or "Requests/sec" not in out:
        raise RuntimeError(f"wrk failed ({done.returncode}): {out}{done.stderr}")
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "requests_per_s": _number(r"Requests/sec:\s+([\d.]+)", out),
        "requests": int(_number(r"(\d+) requests in", out)),
        "non_2xx_3xx": int(_number(r"Non-2xx or 3xx responses:\s+(\d+)", out)),
        "socket_errors": sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
        "mean_latency_ms": _latency_ms(out),
    }


def run(routes: list[Route], trivial: Route, *, database_url: str, instance_path: str, secret_key: str,
        seconds: float, log_dir: Path, progress=print) -> dict:
    """Throughput of every route, with the trivial route measured first and last in the same run, and a
    hello-world Flask app (``bench/hello.py``, same gunicorn settings) measured before and after the LMS."""
    results = {"workers": WORKERS, "threads": THREADS, "connections": CONNECTIONS, "seconds": seconds,
               "routes": {}}
    hello = [_hello(database_url, instance_path, secret_key, seconds, log_dir, progress)]
    with Gunicorn(database_url, instance_path, secret_key, log_dir / "gunicorn.log") as server:
        def measure(route: Route) -> dict:
            url = server.base_url + route.path
            wrk(url, route.cookie, 1, connections=4, threads=1)  # warm-up: imports, templates, connections
            figures = wrk(url, route.cookie, seconds)
            if progress:
                progress(f"  {route.key:<14} {figures['requests_per_s']:9.1f} req/s"
                         f"  ({figures['non_2xx_3xx']} non-2xx/3xx, {figures['socket_errors']} socket errors)")
            return figures

        # The first seconds of a fresh server are slower (workers warming up, CPU clocks): run the trivial
        # route untimed first, so that "before" and "after" measure the same steady state.
        wrk(server.base_url + trivial.path, trivial.cookie, 3)
        before = measure(trivial)
        for route in routes:
            results["routes"][route.key] = measure(route)
        after = measure(trivial)
    hello.append(_hello(database_url, instance_path, secret_key, seconds, log_dir, progress))
    baseline = (before["requests_per_s"] + after["requests_per_s"]) / 2
    hello_rps = (hello[0]["requests_per_s"] + hello[1]["requests_per_s"]) / 2
    results["trivial"] = {"before": before, "after": after, "requests_per_s": baseline,
                          "hello_ratio": baseline / hello_rps if hello_rps else None}
    results["hello"] = {"before": hello[0], "after": hello[1], "requests_per_s": hello_rps}
    for figures in results["routes"].values():
        figures["ratio"] = figures["requests_per_s"] / baseline if baseline else None
        figures["hello_ratio"] = figures["requests_per_s"] / hello_rps if hello_rps else None
    return results


def _hello(database_url, instance_path, secret_key, seconds, log_dir, progress) -> dict:
    """The hello-world Flask app under the same gunicorn and wrk settings (warmed up, then timed)."""
    with Gunicorn(database_url, instance_path, secret_key, log_dir / "gunicorn-hello.log",
                  app_spec="bench.hello:app", probe_path="/") as server:
        url = server.base_url + "/"
        wrk(url, None, 3)
        figures = wrk(url, None, seconds)
    if progress:
        progress(f"  {'hello-world':<14} {figures['requests_per_s']:9.1f} req/s  (Flask hello-world, same settings)")
    return figures
