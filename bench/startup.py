#!/usr/bin/env python3
"""Startup time of a server: process start until the first 200 on a GET, median of N runs.

Used by bench/load.sh. Each run picks a free port, starts the command (every `{port}` in
it is replaced by that port) in its own session, and polls the path over raw TCP every
half millisecond until one answer starts with `HTTP/1.1 200`. The time from just before
the process is spawned to that answer is one sample. The process group is then killed.

    bench/startup.py --runs 20 --path /v1/models -- target/release/openai-mock --port {port}

Prints one line: `median_ms MIN_MS MAX_MS RUNS` as `12.3 10.1 15.0 20`.
"""

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers_200(port: int, path: str) -> bool:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Authorization: Bearer sk-bench\r\nConnection: close\r\n\r\n"
    ).encode()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(request)
            head = s.recv(16)
            return head.startswith(b"HTTP/1.1 200") or head.startswith(b"HTTP/1.0 200")
    except OSError:
        return False


def one_run(command: list, path: str, timeout: float) -> float:
    port = free_port()
    argv = [part.replace("{port}", str(port)) for part in command]
    started = time.perf_counter()
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        while True:
            if answers_200(port, path):
                return (time.perf_counter() - started) * 1000.0
            if process.poll() is not None:
                sys.exit(f"startup.py: {argv[0]} exited with {process.returncode} before answering")
            if time.perf_counter() - started > timeout:
                sys.exit(f"startup.py: no 200 on {path} within {timeout}s")
            time.sleep(0.0005)
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--path", default="/v1/models")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per run")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no server command given")
    samples = [one_run(command, args.path, args.timeout) for _ in range(args.runs)]
    print(
        f"{statistics.median(samples):.1f} {min(samples):.1f} {max(samples):.1f} {len(samples)}"
    )


if __name__ == "__main__":
    main()
