"""`faasm cluster up/down/status/logs` and the client verbs against a real local cluster: the
CLI starts redis-server, the upload server and worker processes on free ports."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import RedisServer, free_port

from faasm_cli.cluster.launcher import STATE_FILE
from faasm_cli.config import Project
from tests.helpers import build_or_skip, one_line_error, run_cli

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Cluster:
    data_dir: Path
    upload_url: str
    invoke_url: str
    redis_url: str
    project: Project
    env: dict[str, str]
    up: subprocess.CompletedProcess[bytes]

    def cli(
        self, *args: str, input_data: bytes | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        return run_cli(*args, cwd=self.project.root, env=self.env, input_data=input_data)

    def pids(self) -> dict[str, int]:
        record = json.loads((self.data_dir / STATE_FILE).read_text())
        return {part["name"]: part["pid"] for part in record["parts"]}


def _up_argv(data_dir: Path, upload: int, invoke: int, redis_url: str, workers: int) -> list[str]:
    return [
        "cluster",
        "up",
        "--workers",
        str(workers),
        "--data-dir",
        str(data_dir),
        "--upload-port",
        str(upload),
        "--invoke-port",
        str(invoke),
        "--redis-url",
        redis_url,
    ]


def _environment(tmp: Path, upload: int, invoke: int) -> dict[str, str]:
    (tmp / "user.toml").write_text("")
    return {
        "FAASM_CONFIG": str(tmp / "user.toml"),
        "FAASM_UPLOAD_URL": f"http://127.0.0.1:{upload}",
        "FAASM_INVOKE_URL": f"http://127.0.0.1:{invoke}",
    }


@contextlib.contextmanager
def socket_listening(port: int) -> Iterator[None]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        yield


def _gone(pid: int) -> bool:
    """No such process, or only its zombie (its parent, `up`, has exited)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2] in "ZX"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, demo_project: Project) -> Iterator[Cluster]:
    """Two workers and a redis-server of its own, started detached by the CLI."""
    build_or_skip(demo_project, "demo", ["hello", "exit3", "echo"])
    tmp = tmp_path_factory.mktemp("cluster")
    upload, invoke, redis_port = free_port(), free_port(), free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = _environment(tmp, upload, invoke)
    data_dir = tmp / "data"
    argv = [*_up_argv(data_dir, upload, invoke, redis_url, 2), "--detach"]
    up = run_cli(*argv, cwd=demo_project.root, env=env)
    assert up.returncode == 0, up.stderr.decode()
    running = Cluster(
        data_dir,
        env["FAASM_UPLOAD_URL"],
        env["FAASM_INVOKE_URL"],
        redis_url,
        demo_project,
        env,
        up,
    )
    yield running
    running.cli("cluster", "down", "--data-dir", str(data_dir))


def test_up_waits_for_every_part_and_prints_the_endpoints(cluster: Cluster) -> None:
    text = cluster.up.stderr.decode()
    assert f"upload  {cluster.upload_url}" in text
    assert f"invoke  {cluster.invoke_url}" in text
    assert f"redis   {cluster.redis_url}" in text
    assert set(cluster.pids()) == {"redis", "upload", "worker-1", "worker-2"}
    assert not any(_gone(pid) for pid in cluster.pids().values())
    assert cluster.cli("status", "999999").returncode == 66  # the invoke endpoint answers


def test_a_second_up_says_it_is_already_running(cluster: Cluster) -> None:
    again = cluster.cli("cluster", "up", "--detach", "--data-dir", str(cluster.data_dir))
    assert again.returncode == 0
    assert f"already running from {cluster.data_dir}" in again.stderr.decode()
    assert json.loads((cluster.data_dir / STATE_FILE).read_text())  # the record is kept


def test_upload_then_invoke_hello(cluster: Cluster) -> None:
    uploaded = cluster.cli("upload", "demo", "hello")
    assert uploaded.returncode == 0, uploaded.stderr.decode()
    assert "demo/hello: wasm" in uploaded.stderr.decode()
    called = cluster.cli("invoke", "demo", "hello")
    assert (called.returncode, called.stdout) == (0, b"Hello faasm!"), called.stderr.decode()
    as_json = json.loads(cluster.cli("invoke", "demo", "hello", "-o", "json").stdout)
    assert (as_json["output_data"], as_json["return_value"]) == ("Hello faasm!", 0)


def test_inv_upload_and_inv_invoke_as_in_faasms_quick_start(cluster: Cluster) -> None:
    def inv(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "invoke", "-r", str(REPO), *args],
            cwd=cluster.project.root,
            env={**os.environ, **cluster.env},
            capture_output=True,
            timeout=300,
        )

    uploaded = inv("upload", "demo", "echo")
    assert uploaded.returncode == 0, uploaded.stderr.decode()
    called = inv("invoke", "demo", "echo", "--input", "it's here")
    assert (called.returncode, called.stdout) == (0, b"it's here"), called.stderr.decode()


def test_status_table_and_json_show_the_workers(cluster: Cluster) -> None:
    assert cluster.cli("upload", "demo", "hello").returncode == 0
    assert cluster.cli("invoke", "demo", "hello").returncode == 0
    document = json.loads(
        cluster.cli("cluster", "status", "--data-dir", str(cluster.data_dir), "-o", "json").stdout
    )
    workers = document["workers"]
    worker_pids = {cluster.pids()["worker-1"], cluster.pids()["worker-2"]}
    assert {w["pid"] for w in workers} == worker_pids
    assert all(w["alive"] for w in workers)
    assert {w["invoke_url"].rsplit(":", 1)[1] for w in workers} == {
        cluster.invoke_url.rsplit(":", 1)[1]
    }
    assert sum(w["served"] for w in workers) >= 1
    assert any("demo/hello" in w["warm"] for w in workers)
    assert document["upload_url"] == cluster.upload_url
    table = cluster.cli("cluster", "status", "--data-dir", str(cluster.data_dir))
    text = table.stdout.decode()
    for column in ("worker", "pid", "port", "warm functions", "in-flight", "served"):
        assert column in text
    for pid in worker_pids:
        assert str(pid) in text
    assert "demo/hello" in text


def test_a_non_zero_return_is_the_same_exit_code_as_run(cluster: Cluster) -> None:
    assert cluster.cli("upload", "demo", "exit3").returncode == 0
    local = cluster.cli("run", "demo", "exit3")
    remote = cluster.cli("invoke", "demo", "exit3")
    assert local.returncode == 3
    assert (remote.returncode, remote.stdout) == (local.returncode, local.stdout)
    assert "leaving with exit(3)" in remote.stderr.decode()


def test_async_call_then_status(cluster: Cluster) -> None:
    assert cluster.cli("upload", "demo", "hello").returncode == 0
    submitted = cluster.cli("invoke", "demo", "hello", "--async")
    assert submitted.returncode == 0, submitted.stderr.decode()
    call_id = int(submitted.stdout)
    deadline = time.monotonic() + 30
    line = b""
    while time.monotonic() < deadline:
        line = cluster.cli("status", str(call_id)).stdout
        if line != b"RUNNING\n":
            break
    assert line == b"SUCCESS: Hello faasm!\n"
    assert cluster.cli("status", str(call_id)).stdout == line  # reading consumes nothing
    document = json.loads(cluster.cli("status", str(call_id), "-o", "json").stdout)
    assert (document["id"], document["output_data"]) == (call_id, "Hello faasm!")


def test_ctrl_c_stops_waiting_for_a_call(cluster: Cluster) -> None:
    assert cluster.cli("upload", "demo", "infinite_loop").returncode == 0
    waiting = subprocess.Popen(
        [sys.executable, "-m", "faasm_cli", "invoke", "demo", "infinite_loop", "--timeout", "5"],
        cwd=cluster.project.root,
        env={**os.environ, **cluster.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(2)
    waiting.send_signal(signal.SIGINT)
    stdout, stderr = waiting.communicate(timeout=30)
    assert (waiting.returncode, stdout) == (130, b"")
    assert one_line_error(stderr) == "error: interrupted"
    timed_out = cluster.cli("invoke", "demo", "infinite_loop", "--timeout", "1")
    assert timed_out.returncode == 1
    assert "timed out after 1s" in timed_out.stderr.decode()


def test_an_unknown_function_is_the_servers_one_line(cluster: Cluster) -> None:
    missing = cluster.cli("invoke", "demo", "never_uploaded")
    assert missing.returncode == 66
    assert "never_uploaded" in one_line_error(missing.stderr)


def test_state_set_and_get_through_the_cluster(cluster: Cluster, tmp_path: Path) -> None:
    put = cluster.cli("state", "set", "demo", "greeting", "hello cluster", "--cluster")
    assert put.returncode == 0, put.stderr.decode()
    got = cluster.cli("state", "get", "demo", "greeting", "--cluster")
    assert (got.returncode, got.stdout) == (0, b"hello cluster")
    local = cluster.cli("state", "get", "demo", "greeting")
    assert local.returncode == 66  # the local store stays the default, and apart
    blob = os.urandom(3 << 20)
    (tmp_path / "blob.bin").write_bytes(blob)
    sent = cluster.cli(
        "state", "upload", "demo", "blob", "--file", str(tmp_path / "blob.bin"), "--cluster"
    )
    assert sent.returncode == 0, sent.stderr.decode()
    fetched = cluster.cli(
        "state", "get", "demo", "blob", "--cluster", "--file", str(tmp_path / "back.bin")
    )
    assert fetched.returncode == 0, fetched.stderr.decode()
    assert (tmp_path / "back.bin").read_bytes() == blob
    into = tmp_path / "nothing.bin"
    absent = cluster.cli("state", "get", "demo", "nothing", "--cluster", "--file", str(into))
    assert absent.returncode == 66
    assert "nothing" in one_line_error(absent.stderr)
    assert not into.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_state_list_and_delete_through_the_cluster_print_as_the_local_store_does(
    cluster: Cluster,
) -> None:
    user = "cli_lister"
    for where in ((), ("--cluster",)):
        for key, value in (("zeta", "z" * 300), ("alpha", "abc")):
            done = cluster.cli("state", "set", user, key, value, *where)
            assert done.returncode == 0, done.stderr.decode()
    for output in (("-o", "text"), ("-o", "json")):
        local = cluster.cli("state", "list", user, *output)
        remote = cluster.cli("state", "list", user, *output, "--cluster")
        assert (remote.returncode, remote.stdout) == (0, local.stdout), remote.stderr.decode()
    listed = json.loads(cluster.cli("state", "list", user, "-o", "json", "--cluster").stdout)
    assert listed == [{"key": "alpha", "size": 3}, {"key": "zeta", "size": 300}]
    assert "alpha" in cluster.cli("state", "list", user, "--cluster").stdout.decode()
    deleted = cluster.cli("state", "delete", user, "alpha", "--cluster")
    assert deleted.returncode == 0, deleted.stderr.decode()
    assert f"deleted {user}/alpha" in deleted.stderr.decode()
    after = json.loads(cluster.cli("state", "list", user, "-o", "json", "--cluster").stdout)
    assert after == [{"key": "zeta", "size": 300}]
    assert cluster.cli("state", "get", user, "alpha").stdout == b"abc"  # the local one stays
    again = cluster.cli("state", "delete", user, "alpha", "--cluster")
    assert again.returncode == 66
    assert one_line_error(again.stderr) == (
        f"error: no state key {user}/alpha (list the keys: GET /s/{user})"
    )
    nobody = cluster.cli("state", "list", "cli_nobody", "-o", "json", "--cluster")
    assert (nobody.returncode, json.loads(nobody.stdout)) == (0, [])
    bad = cluster.cli("state", "list", "bad.user", "--cluster")
    assert bad.returncode == cluster.cli("state", "list", "bad.user").returncode == 64
    assert "invalid user name 'bad.user'" in one_line_error(bad.stderr)


def test_logs_name_each_part(cluster: Cluster) -> None:
    logs = cluster.cli("cluster", "logs", "upload", "--data-dir", str(cluster.data_dir))
    assert logs.returncode == 0
    lines = logs.stdout.decode().splitlines()
    assert lines and all(line.startswith("upload | ") for line in lines)
    unknown = cluster.cli("cluster", "logs", "nope", "--data-dir", str(cluster.data_dir))
    assert unknown.returncode == 66
    assert "no log of nope" in one_line_error(unknown.stderr)


def test_down_stops_what_it_started_and_nothing_else(
    tmp_path: Path, demo_project: Project, redis_server: RedisServer
) -> None:
    """A Redis already answering is used, not started, and survives `down`; so does a process
    whose pid a record names but which is not the process that was started."""
    upload, invoke = free_port(), free_port()
    env = _environment(tmp_path, upload, invoke)
    data_dir = tmp_path / "data"
    up_argv = [*_up_argv(data_dir, upload, invoke, redis_server.url, 1), "--detach"]
    up = run_cli(*up_argv, cwd=demo_project.root, env=env)
    assert up.returncode == 0, up.stderr.decode()
    record = json.loads((data_dir / STATE_FILE).read_text())
    started = {part["name"]: part["pid"] for part in record["parts"]}
    assert set(started) == {"upload", "worker-1"}
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        impostor = {**record["parts"][0], "name": "worker-9", "pid": stranger.pid, "started": 1}
        record["parts"].append(impostor)
        (data_dir / STATE_FILE).write_text(json.dumps(record))
        down = run_cli("cluster", "down", "--data-dir", str(data_dir), cwd=tmp_path, env=env)
        assert down.returncode == 0, down.stderr.decode()
        assert "stopped upload, worker-1" in down.stderr.decode()
        assert all(_gone(pid) for pid in started.values())
        assert stranger.poll() is None
        assert redis_server.client().ping()
        assert not (data_dir / STATE_FILE).exists()
        unreachable = run_cli("invoke", "demo", "hello", cwd=tmp_path, env=env)
        assert unreachable.returncode == 69
        again = run_cli("cluster", "down", "--data-dir", str(data_dir), cwd=tmp_path, env=env)
        assert again.returncode == 0
        assert f"no cluster is running from {data_dir}" in again.stderr.decode()
    finally:
        stranger.kill()
        stranger.wait()


def test_foreground_up_stops_everything_on_ctrl_c(tmp_path: Path, demo_project: Project) -> None:
    upload, invoke, redis_port = free_port(), free_port(), free_port()
    env = {**os.environ, **_environment(tmp_path, upload, invoke)}
    data_dir = tmp_path / "data"
    argv = _up_argv(data_dir, upload, invoke, f"redis://127.0.0.1:{redis_port}/0", 1)
    up = subprocess.Popen(
        [sys.executable, "-m", "faasm_cli", *argv],
        cwd=demo_project.root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not (data_dir / "logs" / "worker-1.log").exists() or run_cli(
        "status", "1", cwd=tmp_path, env=env
    ).returncode not in (0, 66):
        assert up.poll() is None and time.monotonic() < deadline
        time.sleep(0.2)
    started = {
        part["name"]: part["pid"]
        for part in json.loads((data_dir / STATE_FILE).read_text())["parts"]
    }
    up.send_signal(signal.SIGINT)
    _, stderr = up.communicate(timeout=60)
    assert up.returncode == 130, stderr.decode()
    assert "stopped 3 processes" in stderr.decode()
    assert all(_gone(pid) for pid in started.values())


def test_a_busy_port_is_one_line_naming_the_option(tmp_path: Path) -> None:
    upload, invoke = free_port(), free_port()
    env = _environment(tmp_path, upload, invoke)
    with socket_listening(upload):
        argv = _up_argv(tmp_path / "d", upload, invoke, f"redis://127.0.0.1:{free_port()}/0", 1)
        done = run_cli(*argv, "--detach", cwd=tmp_path, env=env)
    assert done.returncode == 69
    line = one_line_error(done.stderr)
    assert f"port {upload} on 127.0.0.1 is in use" in line
    assert "--upload-port" in line


def test_a_missing_redis_server_names_the_install_command(tmp_path: Path) -> None:
    upload, invoke = free_port(), free_port()
    env = {**_environment(tmp_path, upload, invoke), "PATH": str(tmp_path)}
    argv = _up_argv(tmp_path / "d", upload, invoke, f"redis://127.0.0.1:{free_port()}/0", 1)
    done = run_cli(*argv, "--detach", cwd=tmp_path, env=env)
    assert done.returncode == 69
    line = one_line_error(done.stderr)
    assert "redis-server is not installed" in line
    assert "apt-get install -y redis-server" in line
    assert "faasm toolchain install" in line
