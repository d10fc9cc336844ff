"""A real Redis Cluster for the tests: three `redis-server --cluster-enabled yes` primaries on free
loopback ports, joined by `redis-cli --cluster create`, in a temporary directory, nothing on disk
kept. The same binaries CI installs (Debian's `redis-server`); the tests fail, not skip, without.

A cluster refuses what a single server accepts: a script or a transaction touching keys of
different hash slots (CROSSSLOT). The store's key layout (bot/storage/redis.py) is designed for
it; running the contract suite here is what checks it.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

PRIMARIES = 3
READY_SECONDS = 30.0


def _free_ports(count: int) -> list[int]:
    # A cluster node also listens on its port + 10000 (the cluster bus): both must be free.
    ports: list[int] = []
    while len(ports) < count:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        # One node's bus port may not be another node's port (seen once: "bind: Address already in use").
        taken = {*ports, *(other + 10000 for other in ports)}
        if port + 10000 > 65535 or port in taken or port + 10000 in taken:
            continue
        with socket.socket() as bus:
            try:
                bus.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        ports.append(port)
    return ports


def _cli(port: int, *args: str) -> str:
    done = subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return done.stdout


@contextlib.contextmanager
def running_cluster(directory: Path) -> Iterator[str]:
    """Start the cluster (no replicas); yields its URL for `STORE_URL` (`redis+cluster://127.0.0.1:PORT`)."""
    for binary in ("redis-server", "redis-cli"):
        if shutil.which(binary) is None:
            raise RuntimeError(f"{binary} not found: install Debian's redis-server (scripts/system-deps.sh)")
    ports = _free_ports(PRIMARIES)
    servers: list[subprocess.Popen[bytes]] = []
    try:
        for port in ports:
            node = directory / f"node-{port}"
            node.mkdir()
            command = ["redis-server", "--bind", "127.0.0.1", "--port", str(port)]
            command += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]
            command += ["--save", "", "--appendonly", "no", "--dir", str(node)]
            command += ["--logfile", str(node / "redis.log")]
            servers.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + READY_SECONDS
        while not all(_cli(port, "ping").strip() == "PONG" for port in ports):
            if time.monotonic() > deadline:
                raise RuntimeError("the cluster's redis-server processes did not start")
            time.sleep(0.05)
        created = subprocess.run(
            ["redis-cli", "--cluster", "create", *(f"127.0.0.1:{port}" for port in ports), "--cluster-yes"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if created.returncode != 0:
            raise RuntimeError(f"redis-cli --cluster create failed: {created.stdout[-500:]}")
        while not all("cluster_state:ok" in _cli(port, "cluster", "info") for port in ports):
            if time.monotonic() > deadline:
                raise RuntimeError("the cluster did not reach cluster_state:ok")
            time.sleep(0.05)
        yield f"redis+cluster://127.0.0.1:{ports[0]}"
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
