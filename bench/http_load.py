"""Load generators for `bench/http.py`, always in a process of their own: `wrk` (with a Lua
script that picks a random PIN per request), or an asyncio httpx client."""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

WRK_SCRIPT = """
local pins = {}
for line in io.lines("%(pins)s") do pins[#pins + 1] = line end
wrk.headers["Authorization"] = "Bearer %(key)s"
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
request = function()
  local path = "%(path)s"
  if #pins > 0 then path = path .. pins[math.random(#pins)] end
  return wrk.format("GET", path)
end
"""
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    tool: str
    name: str = ""

    def named(self, name: str) -> Result:
        return replace(self, name=name)


def run_load(
    *,
    base: str,
    path: str,
    pins: list[str],
    key: str,
    duration: float,
    warmup: float,
    connections: int,
    threads: int,
    tool: str,
) -> Result:
    if tool == "wrk":
        if warmup > 0:
            _wrk(base, path, pins, key, warmup, connections, threads)
        return _wrk(base, path, pins, key, duration, connections, threads)
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        args = (base, path, pins, key, duration, warmup, connections)
        return pool.apply(_httpx_load, args)


def _wrk(
    base: str,
    path: str,
    pins: list[str],
    key: str,
    seconds: float,
    connections: int,
    threads: int,
) -> Result:
    with tempfile.TemporaryDirectory(prefix="lifeledger-wrk-") as tmp:
        pins_file, script = Path(tmp) / "pins.txt", Path(tmp) / "script.lua"
        pins_file.write_text("\n".join(pins) + ("\n" if pins else ""))
        script.write_text(WRK_SCRIPT % {"pins": pins_file, "key": key, "path": path})
        output = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--latency",
                "-s",
                str(script),
                base,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    return _parse_wrk(output)


def _parse_wrk(output: str) -> Result:
    def latency(percent: str) -> float:
        found = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
        return float(found.group(1)) * UNITS[found.group(2)] if found else float("nan")

    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    count = int(errors.group(1)) if errors else 0
    if socket_errors:
        count += sum(int(g) for g in socket_errors.groups())
    return Result(float(rps.group(1)) if rps else 0.0, latency("50"), latency("99"), count, "wrk")


def _httpx_load(
    base: str,
    path: str,
    pins: list[str],
    key: str,
    duration: float,
    warmup: float,
    connections: int,
) -> Result:
    return asyncio.run(_httpx_main(base, path, pins, key, duration, warmup, connections))


async def _httpx_main(
    base: str,
    path: str,
    pins: list[str],
    key: str,
    duration: float,
    warmup: float,
    connections: int,
) -> Result:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits) as client:
        await _hammer(client, path, pins, warmup, connections, [], [0])
        latencies: list[float] = []
        errors = [0]
        started = time.perf_counter()
        await _hammer(client, path, pins, duration, connections, latencies, errors)
        elapsed = time.perf_counter() - started
    latencies.sort()
    if not latencies:
        return Result(0.0, float("nan"), float("nan"), errors[0], "httpx")
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return Result(len(latencies) / elapsed, p50, p99, errors[0], "httpx")


async def _hammer(
    client: httpx.AsyncClient,
    path: str,
    pins: list[str],
    seconds: float,
    connections: int,
    latencies: list[float],
    errors: list[int],
) -> None:
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            url = path + (random.choice(pins) if pins else "")
            began = time.perf_counter()
            try:
                response = await client.get(url)
            except httpx.TransportError:  # a dropped connection counts as an error, as in wrk
                errors[0] += 1
                continue
            latencies.append((time.perf_counter() - began) * 1000)
            if response.status_code >= 300:
                errors[0] += 1

    await asyncio.gather(*(worker() for _ in range(connections)))
