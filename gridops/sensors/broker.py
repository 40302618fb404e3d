"""A private Mosquitto (persistent sessions on disk) that tests and benches stop and start at
will, on a free port: the machine's own broker is never touched."""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateMosquitto:
    """A broker of our own (persistent sessions on disk), to stop and start at will."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="gridops-mqtt-"))
        self.port = _free_port()
        (self.dir / "mosquitto.conf").write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
            f"persistence_location {self.dir}/\nautosave_interval 1\nmax_queued_messages 100000\n"
            "max_inflight_messages 0\n")
        if os.geteuid() == 0:
            shutil.chown(self.dir, "mosquitto" if _user_exists("mosquitto") else "root")
        self.process = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.dir / "mosquitto.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()  # SIGTERM: Mosquitto saves its persistent sessions on the way out
            self.process.wait(timeout=10)
            self.process = None


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False
