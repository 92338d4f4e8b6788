"""`zhidu serve --workers N`: several web processes under gunicorn, one timer worker beside them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import ROOT
from cli.main import main


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pids_of_children(pid: int) -> set[int]:
    with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as children:
        return {int(p) for p in children.read().split()}


def cmdline(pid: int) -> list[bytes]:
    with open(f"/proc/{pid}/cmdline", "rb") as command:
        return command.read().split(b"\0")


def test_two_web_processes_and_a_timer_worker_serve_the_demo(tmp_path, monkeypatch):
    env = {**os.environ, "ZHIDU_DATABASE_URL": f"sqlite:///{tmp_path / 'zhidu.db'}", "ZHIDU_HOME": str(ROOT)}
    monkeypatch.setenv("ZHIDU_DATABASE_URL", env["ZHIDU_DATABASE_URL"])
    monkeypatch.setenv("ZHIDU_HOME", str(ROOT))
    assert main(["init", "--demo", "--json"]) == 0
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", str(port), "--workers", "2"],
                              cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        status, deadline = None, time.monotonic() + 30
        while status != 200 and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/sign-in", timeout=2) as response:
                    status = response.status
            except OSError:
                time.sleep(0.2)
        assert status == 200
        children = pids_of_children(server.pid)
        commands = {pid: cmdline(pid) for pid in children}
        timers = [pid for pid, argv in commands.items() if b"worker" in argv]
        assert len(timers) == 1, commands  # one timer worker, however many web processes
        assert len(children) >= 2  # gunicorn's web processes may still be starting beside it
        assert (tmp_path / "var" / "secret_key").is_file()  # one key for every process, made once
    finally:
        server.terminate()
        server.wait(30)


def test_a_nonsense_number_of_processes_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ZHIDU_DATABASE_URL", f"sqlite:///{tmp_path / 'zhidu.db'}")
    assert main(["serve", "--workers", "0"]) != 0
    assert "--workers must be a whole number from 1 to 64" in capsys.readouterr().err


@pytest.mark.parametrize("processes", [65])
def test_too_many_processes_is_refused(tmp_path, monkeypatch, capsys, processes):
    monkeypatch.setenv("ZHIDU_DATABASE_URL", f"sqlite:///{tmp_path / 'zhidu.db'}")
    assert main(["serve", "--workers", str(processes)]) != 0
    assert "--workers" in capsys.readouterr().err
