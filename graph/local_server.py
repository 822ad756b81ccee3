"""The embedded local Neo4j: build, start, stop and inspect it.

On machines without Docker, corpgraph runs Neo4j 5.26 Community embedded in a
small Java launcher (Maven project in ``graph/embedded``) with the Bolt connector
bound to 127.0.0.1. The launcher is built with Maven on first use. Its pid, port
and data folder are kept in a state file under ``CORPGRAPH_HOME`` so that a later
``corpgraph`` process can find, query and stop it.

When ``NEO4J_URI`` is unset, :func:`resolve_connection` points every command at
this server and :func:`ensure_local_server` starts it when it is not running.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

from neo4j import GraphDatabase
from neo4j import exceptions as neo4j_errors

from core.errors import ConfigurationError, LocalServerError
from core.private_files import PRIVATE_FILE, PRIVATE_UMASK, private_dir, restrict_tree
from core.settings import Settings

from .database import ConnectionInfo, Database, ServerInfo, create_driver

logger = logging.getLogger(__name__)

LAUNCHER_JAR_NAME: Final = "corpgraph-neo4j-launcher.jar"
READY_MARKER: Final = "CORPGRAPH_NEO4J_READY"
PASSWORD_ENV: Final = "CORPGRAPH_EMBEDDED_PASSWORD"  # noqa: S105 - a variable name
LOCAL_USER: Final = "neo4j"
STOP_TIMEOUT_S: Final = 90.0


#: The launcher processes this process started (see :meth:`LocalNeo4j.start`).
_LAUNCHED: list[subprocess.Popen[bytes]] = []


@dataclass(frozen=True)
class LocalServerState:
    """What the state file records about a running launcher."""

    pid: int
    port: int
    data_dir: str
    uri: str
    started_at: float


@dataclass(frozen=True)
class LocalServerStatus:
    """The answer of ``corpgraph neo4j status``."""

    running: bool
    state: LocalServerState | None
    server: ServerInfo | None


def default_launcher_dir() -> Path:
    """``graph/embedded`` next to this module."""
    return Path(__file__).resolve().parent / "embedded"


def _pid_is_launcher(pid: int) -> bool:
    """True if ``pid`` is alive, not a zombie, and runs our launcher jar."""
    proc = Path("/proc") / str(pid)
    try:
        cmdline = (proc / "cmdline").read_bytes().decode("utf-8", "replace")
        stat = (proc / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    # Field 3 of /proc/PID/stat is the state; "Z" is a zombie waiting to be reaped.
    state = stat.rsplit(")", 1)[-1].split()[0] if ")" in stat else "?"
    return state != "Z" and LAUNCHER_JAR_NAME in cmdline


class LocalNeo4j:
    """The embedded Neo4j managed through a state file under ``settings.home``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.home = settings.home.expanduser().resolve()
        self.launcher_dir = (settings.launcher_dir or default_launcher_dir()).resolve()
        self.state_file = self.home / "neo4j.state.json"
        self.log_file = self.home / "neo4j-launcher.log"
        self.secret_file = self.home / "local-neo4j.secret"

    # --- files ---------------------------------------------------------------------------
    @property
    def jar_path(self) -> Path:
        return self.launcher_dir / "target" / LAUNCHER_JAR_NAME

    def password(self) -> str:
        """The password of the local server: configured, or generated once and kept."""
        if self.settings.neo4j_password is not None:
            return self.settings.neo4j_password.get_secret_value()
        if self.secret_file.exists():
            return self.secret_file.read_text(encoding="utf-8").strip()
        private_dir(self.home)
        password = secrets.token_urlsafe(24)
        fd = os.open(self.secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(password)
        return password

    def read_state(self) -> LocalServerState | None:
        """The recorded launcher if it is still alive; a stale file is removed."""
        try:
            state = LocalServerState(**json.loads(self.state_file.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (ValueError, TypeError) as error:
            logger.warning("ignoring unreadable state file %s: %s", self.state_file, error)
            self.state_file.unlink(missing_ok=True)
            return None
        if not _pid_is_launcher(state.pid):
            self.state_file.unlink(missing_ok=True)
            return None
        return state

    def _write_state(self, state: LocalServerState) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(asdict(state)))
        tmp.replace(self.state_file)

    # --- tools ---------------------------------------------------------------------------
    def _tool(self, name: str) -> str:
        java_home = self.settings.java_home
        if java_home is not None and (java_home / "bin" / name).exists():
            return str(java_home / "bin" / name)
        found = shutil.which(name)
        if found is None:
            raise ConfigurationError(
                f"`{name}` not found; install a Java 17 JDK and Maven, or set CORPGRAPH_JAVA_HOME"
            )
        return found

    def _child_env(self, password: str) -> dict[str, str]:
        # The child inherits our environment (PATH, locale) plus what it needs; this is
        # process plumbing, not configuration, which Settings already resolved.
        env = dict(os.environ)
        env[PASSWORD_ENV] = password
        if self.settings.java_home is not None:
            env["JAVA_HOME"] = str(self.settings.java_home)
        return env

    def needs_build(self) -> bool:
        """True when the jar is missing or older than the launcher's sources."""
        if not self.jar_path.exists():
            return True
        built = self.jar_path.stat().st_mtime
        sources = [self.launcher_dir / "pom.xml", *self.launcher_dir.glob("src/**/*")]
        return any(p.is_file() and p.stat().st_mtime > built for p in sources)

    def build(self) -> None:
        """Build the launcher with Maven (downloads Neo4j from Maven Central once)."""
        if not (self.launcher_dir / "pom.xml").exists():
            raise LocalServerError(f"launcher project not found at {self.launcher_dir}")
        command = [
            self._tool("mvn"),
            "-q",
            "-B",
            "-f",
            str(self.launcher_dir / "pom.xml"),
            "package",
            "-DskipTests",
        ]
        logger.info("building the embedded Neo4j launcher: %s", " ".join(command))
        completed = subprocess.run(  # noqa: S603 - fixed argv, no shell
            command,
            capture_output=True,
            text=True,
            env=self._child_env(""),
            check=False,
        )
        if completed.returncode != 0 or not self.jar_path.exists():
            tail = (completed.stdout + completed.stderr)[-3000:]
            raise LocalServerError(
                "building the embedded Neo4j launcher failed", details={"maven_output": tail}
            )

    # --- lifecycle -------------------------------------------------------------------------
    def start(self, port: int | None = None, data_dir: Path | None = None) -> LocalServerState:
        """Start the server in the background and wait until a Bolt query answers.

        Starting a server that already runs returns its state; asking for another
        port or data folder while one runs is an error.
        """
        port = port or self.settings.local_neo4j_port
        data_path = (data_dir or self.settings.local_data_dir).expanduser().resolve()
        running = self.read_state()
        if running is not None:
            if running.port != port or Path(running.data_dir) != data_path:
                raise LocalServerError(
                    f"a local Neo4j already runs at {running.uri} on {running.data_dir}; "
                    "stop it first"
                )
            return running
        if self.needs_build():
            self.build()
        # The store holds the bank's data: 700 folders and 600 files, also for a store
        # an older version created, and the server's own new files through its umask.
        private_dir(self.home)
        private_dir(data_path)
        restrict_tree(data_path)
        password = self.password()
        command = [
            self._tool("java"),
            f"-Xmx{self.settings.local_neo4j_heap}",
            "-XX:+UseG1GC",
            "-XX:+ExitOnOutOfMemoryError",
            "-jar",
            str(self.jar_path),
            "--port",
            str(port),
            "--data-dir",
            str(data_path),
            "--listen-address",
            "127.0.0.1",
            "--pagecache",
            self.settings.local_neo4j_pagecache,
        ]
        log = os.fdopen(
            os.open(self.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE), "ab"
        )
        self.log_file.chmod(PRIVATE_FILE)
        log_offset = log.tell()
        started_at = time.time()
        process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self._child_env(password),
            start_new_session=True,  # survives the CLI and its Ctrl-C
            umask=PRIVATE_UMASK,
        )
        log.close()
        # The launcher outlives this process by design; kept so that its handle is not
        # collected (with a ResourceWarning) while it runs, as after a bulk import.
        _LAUNCHED.append(process)
        uri = f"bolt://127.0.0.1:{port}"
        state = LocalServerState(process.pid, port, str(data_path), uri, started_at)
        self._write_state(state)
        try:
            self._wait_until_ready(process, uri, password, log_offset)
        except BaseException:
            self._terminate(process.pid, process)
            self.state_file.unlink(missing_ok=True)
            raise
        logger.info("local Neo4j ready at %s (pid %d)", uri, process.pid)
        return state

    def _wait_until_ready(
        self, process: subprocess.Popen[bytes], uri: str, password: str, log_offset: int
    ) -> None:
        """Wait for the launcher's READY line, then for a Bolt query to answer.

        Bolt may accept connections a moment before the launcher has set the
        password, so an authentication failure only counts after READY.
        """
        deadline = time.monotonic() + self.settings.local_neo4j_start_timeout_s
        ready_line = False
        driver = GraphDatabase.driver(uri, auth=(LOCAL_USER, password), connection_timeout=2.0)
        try:
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    raise LocalServerError(
                        f"the local Neo4j exited with code {process.returncode} while starting",
                        details={"log_tail": self.log_tail()},
                    )
                ready_line = ready_line or self._log_has_ready(log_offset)
                if not ready_line:
                    time.sleep(0.25)
                    continue
                try:
                    # An auto-commit query is not retried by the driver: we poll ourselves.
                    with driver.session() as session:
                        session.run("RETURN 1").consume()
                    return
                except (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired):
                    time.sleep(0.25)
                except neo4j_errors.AuthError as error:
                    raise LocalServerError(
                        "the local Neo4j refused the local password; delete "
                        f"{self.secret_file} only if you also reset its data folder"
                    ) from error
        finally:
            driver.close()
        raise LocalServerError(
            "the local Neo4j did not answer within "
            f"{self.settings.local_neo4j_start_timeout_s:.0f}s",
            details={"log_tail": self.log_tail()},
        )

    def _log_has_ready(self, offset: int) -> bool:
        try:
            with self.log_file.open("rb") as handle:
                handle.seek(offset)
                return READY_MARKER.encode() in handle.read()
        except FileNotFoundError:
            return False

    def _terminate(self, pid: int, process: subprocess.Popen[bytes] | None = None) -> None:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                return
            if process is None and not _pid_is_launcher(pid):
                return
            time.sleep(0.25)
        logger.warning(
            "local Neo4j (pid %d) ignored SIGTERM for %.0fs; killing", pid, STOP_TIMEOUT_S
        )
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        if process is not None:
            process.wait(timeout=30)

    def stop(self) -> LocalServerState | None:
        """Stop the server cleanly (SIGTERM, then SIGKILL after a grace period).

        Returns the state of the stopped server, or ``None`` if none ran.
        """
        state = self.read_state()
        if state is None:
            return None
        self._terminate(state.pid)
        self.state_file.unlink(missing_ok=True)
        return state

    def bulk_import(self, importer_arguments: list[str]) -> str:
        """Stop the server, run ``neo4j-admin database import full`` into its data folder
        with ``importer_arguments``, and start it again on the same port and folder.

        Returns the importer's output. The server is started again also when the
        import fails (then on the store as the importer left it).

        Raises
        ------
        LocalServerError
            No local server runs, or the importer failed (its output in the details).
        """
        state = self.read_state()
        if state is None:
            raise LocalServerError("the bulk load needs the local Neo4j running; none runs")
        if self.needs_build():
            self.build()
        self.stop()
        command = [
            self._tool("java"),
            f"-Xmx{self.settings.local_neo4j_heap}",
            "-XX:+ExitOnOutOfMemoryError",
            "-jar",
            str(self.jar_path),
            "import",
            "--data-dir",
            state.data_dir,
            "--database",
            self.settings.neo4j_database,
            "--",
            *importer_arguments,
        ]
        logger.info("bulk import: %s", " ".join(command))
        try:
            completed = subprocess.run(  # noqa: S603 - fixed argv, no shell
                command,
                capture_output=True,
                text=True,
                env=self._child_env(""),
                check=False,
                umask=PRIVATE_UMASK,
            )
        finally:
            self.start(state.port, Path(state.data_dir))
        output = completed.stdout + completed.stderr
        if completed.returncode != 0:
            raise LocalServerError(
                f"neo4j-admin database import failed with code {completed.returncode}",
                details={"importer_output": output[-3000:]},
            )
        return output

    def status(self) -> LocalServerStatus:
        """Whether the server runs, and what it reports about itself."""
        state = self.read_state()
        if state is None:
            return LocalServerStatus(False, None, None)
        connection = ConnectionInfo(
            state.uri, LOCAL_USER, self.password(), self.settings.neo4j_database, True
        )
        driver = create_driver(connection, self.settings)
        try:
            info = Database(driver, connection.database).server_info()
        finally:
            driver.close()
        return LocalServerStatus(True, state, info)

    def log_tail(self, chars: int = 3000) -> str:
        """The end of the launcher's log, for error messages."""
        try:
            return self.log_file.read_text(encoding="utf-8", errors="replace")[-chars:]
        except FileNotFoundError:
            return ""


def resolve_connection(settings: Settings) -> ConnectionInfo:
    """Where to connect: the configured ``NEO4J_URI``, or the local server.

    For the local server, the port of a running instance wins over the configured
    one, so ``neo4j start --port P`` followed by any command just works.
    """
    if settings.neo4j_uri is not None:
        if settings.neo4j_password is None:
            raise ConfigurationError("NEO4J_URI is set but NEO4J_PASSWORD is not")
        return ConnectionInfo(
            settings.neo4j_uri,
            settings.neo4j_user,
            settings.neo4j_password.get_secret_value(),
            settings.neo4j_database,
            is_local=False,
        )
    local = LocalNeo4j(settings)
    state = local.read_state()
    uri = state.uri if state else f"bolt://127.0.0.1:{settings.local_neo4j_port}"
    return ConnectionInfo(uri, LOCAL_USER, local.password(), settings.neo4j_database, True)


def ensure_local_server(settings: Settings) -> LocalServerState | None:
    """Start the local server if no external Neo4j is configured and none runs.

    A running local server is used as it is, whatever port and folder it was
    started with (``neo4j start --port P --data-dir D``).
    """
    if not settings.uses_local_server:
        return None
    local = LocalNeo4j(settings)
    return local.read_state() or local.start()
