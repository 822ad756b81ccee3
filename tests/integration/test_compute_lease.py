"""One compute at a time: the store's compute lease, taken, renewed, released, taken over.

A second ``corpgraph compute`` while one runs would collect the first one's rows (a run
keeps only the current and the previous published runs). The lease stops it with a clear
error (exit 5) and leaves every published result as it was; a lease whose holder died on
this host, or whose time ran out, is taken over.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from graph import schema
from graph.compute_runs import lease_holder, published_runs, release_lease, take_lease
from graph.database import Database

from .conftest import cli_env, run_cli

HOST = socket.gethostname()
EXPIRE = "MATCH (l:ComputeLease {key: 'compute'}) SET l.expires_at = datetime() - duration('PT1S')"


@pytest.fixture(scope="module")
def bank(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    out = tmp_path_factory.mktemp("lease-bank")
    run_cli("generate", "--out", str(out), "--scale", "tiny", "--seed", "11", env=cli_env())
    schema.wipe(database)
    run_cli("load", str(out), env=cli_env())
    run_cli("compute", "--engine", "python", "--only", "group_risk", env=cli_env())
    yield database
    release_lease(database, lease_holder(database) or "")


def compute(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "compute", "--engine", "python", "--only", "group_risk", *args, env=cli_env(), check=False
    )


def test_a_finished_compute_gives_the_lease_back(bank: Database) -> None:
    assert compute().returncode == 0
    assert lease_holder(bank) is None


def test_a_second_compute_stops_and_changes_nothing(bank: Database) -> None:
    running = f"{HOST}:{os.getpid()}:other-compute"  # this process: alive
    assert take_lease(bank, running, seconds=600).taken
    before = published_runs(bank)
    try:
        second = compute()
        assert second.returncode == 5, second.stderr
        assert "another compute is running" in second.stderr
        assert running in second.stderr
        assert "Traceback" not in second.stderr
        assert published_runs(bank) == before
        assert lease_holder(bank) == running
    finally:
        release_lease(bank, running)
    assert compute().returncode == 0


def test_a_dead_holder_on_this_host_is_taken_over_at_once(bank: Database) -> None:
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                           capture_output=True, text=True)  # fmt: skip
    dead = f"{HOST}:{int(ended.stdout)}:killed-compute"
    assert take_lease(bank, dead, seconds=600).taken
    done = compute()
    assert done.returncode == 0, done.stderr
    assert lease_holder(bank) is None


def test_another_hosts_lease_blocks_until_it_expires(bank: Database) -> None:
    remote = "another-host.example:4242:remote-compute"
    assert take_lease(bank, remote, seconds=600).taken
    assert compute().returncode == 5
    bank.write(EXPIRE)
    done = compute()
    assert done.returncode == 0, done.stderr
    assert lease_holder(bank) is None


def test_of_two_racing_computes_exactly_one_takes_the_lease(bank: Database) -> None:
    release_lease(bank, lease_holder(bank) or "")
    won: list[str] = []
    start = threading.Barrier(8)

    def race(n: int) -> None:
        start.wait()
        if take_lease(bank, f"racer-{n}", seconds=600).taken:
            won.append(f"racer-{n}")

    threads = [threading.Thread(target=race, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1
    assert lease_holder(bank) == won[0]
    release_lease(bank, won[0])
    assert lease_holder(bank) is None
