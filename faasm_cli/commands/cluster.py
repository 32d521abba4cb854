"""`faasm cluster up|down|status|logs`: a Faasm cluster as local processes (no Docker)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer

from faasm_cli import console
from faasm_cli.cluster import launcher
from faasm_cli.cluster.config import (
    DEFAULT_INVOKE_PORT,
    DEFAULT_REDIS_URL,
    DEFAULT_RESULT_TTL_S,
    DEFAULT_UPLOAD_PORT,
    ClusterConfig,
    default_data_dir,
)
from faasm_cli.cluster.launcher import LocalCluster
from faasm_cli.commands.options import OutputOption, VerboseOption
from faasm_cli.console import OutputFormat
from faasm_cli.errors import ClusterUnavailable

app = typer.Typer(
    help="Run a Faasm cluster on this machine: redis-server, the upload server (port 8002) and "
    "N workers behind the invoke endpoint (port 8080).\n\n"
    "Examples:\n\n  faasm cluster up --workers 3 --detach\n\n  faasm cluster status\n\n"
    "  faasm cluster logs -f worker-1\n\n  faasm cluster down",
    no_args_is_help=True,
)

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        envvar="FAASM_CLUSTER_DIR",
        help="Where the cluster keeps functions, shared files, logs and its process record "
        "(default: the user data dir's faasm/cluster).",
        show_default=False,
    ),
]


def _data_dir(chosen: Path | None) -> Path:
    return (chosen or default_data_dir()).resolve()


@app.command("up")
def up_command(
    workers: Annotated[
        int, typer.Option("--workers", "-n", min=1, help="Worker processes to start.")
    ] = 2,
    detach: Annotated[
        bool,
        typer.Option(
            "--detach", "-d", help="Return once every part answers, leaving the cluster running."
        ),
    ] = False,
    redis_url: Annotated[
        str,
        typer.Option(
            "--redis-url", help="Redis of the cluster; started here unless one answers there."
        ),
    ] = DEFAULT_REDIS_URL,
    upload_port: Annotated[
        int, typer.Option("--upload-port", min=1, max=65535, help="The upload server's port.")
    ] = DEFAULT_UPLOAD_PORT,
    invoke_port: Annotated[
        int,
        typer.Option("--invoke-port", min=1, max=65535, help="The invoke endpoint's port."),
    ] = DEFAULT_INVOKE_PORT,
    host: Annotated[str, typer.Option("--host", help="The address the servers listen on.")] = (
        ClusterConfig.host
    ),
    threads: Annotated[
        int, typer.Option("--threads", min=0, help="Call threads per worker (0: one per core).")
    ] = 0,
    result_ttl: Annotated[
        float,
        typer.Option(
            "--result-ttl", min=1, help="Seconds a call's result stays readable (status, await)."
        ),
    ] = DEFAULT_RESULT_TTL_S,
    data_dir: DataDirOption = None,
    output: OutputOption = OutputFormat.text,
    verbose: VerboseOption = False,
) -> None:
    """Start the cluster and wait until every part answers; Ctrl-C stops it (or --detach).

    In the foreground the parts' logs follow. A second `up` with the same data dir says it is
    already running.

    Examples:

      faasm cluster up

      faasm cluster up -n 3 --detach

      faasm cluster up --invoke-port 9080 --redis-url redis://127.0.0.1:7000/0
    """
    config = ClusterConfig(
        redis_url=redis_url,
        host=host,
        upload_port=upload_port,
        invoke_port=invoke_port,
        data_dir=_data_dir(data_dir),
        threads=threads,
        result_ttl_s=result_ttl,
    )
    existing = launcher.running(config.data_dir)
    if existing is not None:
        console.info(f"already running from {config.data_dir} (`faasm cluster down` stops it)")
        _show_endpoints(existing, output)
        return
    with console.progress(f"Starting a cluster of {workers} worker(s)") as log:
        # Steps as build-style status lines: the spinner shows them (in full with -v).
        cluster = launcher.start(config, workers, on_step=lambda step: log(f"-- {step}"))
    console.success(f"cluster up: {len(cluster.parts)} processes, data in {config.data_dir}")
    _show_endpoints(cluster, output)
    if detach:
        return
    console.info("Ctrl-C stops the cluster; its logs follow")
    try:
        for line in launcher.log_lines(config.logs_dir, follow=cluster.alive):
            console.log_line(line)
    finally:
        stopped = launcher.stop(cluster)
        console.success(f"stopped {len(stopped)} processes")


@app.command("down")
def down_command(data_dir: DataDirOption = None, verbose: VerboseOption = False) -> None:
    """Stop the processes `up` started from this data dir (and nothing else).

    Example:

      faasm cluster down
    """
    cluster = launcher.running(_data_dir(data_dir))
    if cluster is None:
        console.info(f"no cluster is running from {_data_dir(data_dir)}")
        return
    stopped = launcher.stop(cluster)
    console.success(f"stopped {', '.join(part.name for part in stopped) or 'nothing'}")


@app.command("status")
def status_command(
    data_dir: DataDirOption = None,
    output: OutputOption = OutputFormat.text,
    verbose: VerboseOption = False,
) -> None:
    """The workers: pid, port, warm functions, calls in flight and calls served.

    Examples:

      faasm cluster status

      faasm cluster status --output json | jq '.workers[].served'
    """
    cluster = _running(data_dir)
    workers = launcher.worker_table(cluster)
    if output is OutputFormat.json:
        document = _endpoints_json(cluster)
        document["workers"] = [
            {
                "id": info.id,
                "host": info.host,
                "pid": info.pid,
                "invoke_url": info.invoke_url,
                "threads": info.threads,
                "alive": info.alive,
                "warm": sorted(info.warm),
                "in_flight": info.in_flight,
                "served": info.served,
            }
            for info in workers
        ]
        console.emit_json(document)
        return
    rows = [
        (
            info.id,
            info.pid,
            urlsplit(info.invoke_url).port or "",
            ", ".join(sorted(info.warm)) or "-",
            info.in_flight,
            info.served,
            "yes" if info.alive else "no",
        )
        for info in workers
    ]
    columns = ["worker", "pid", "port", "warm functions", "in-flight", "served", "alive"]
    title = f"Cluster {cluster.config.upload_base} · {cluster.config.invoke_base}"
    console.table(title, columns, rows)


@app.command("logs")
def logs_command(
    parts: Annotated[
        list[str] | None,
        typer.Argument(help="Only these parts (redis, upload, worker-1, ...).", show_default=False),
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines until Ctrl-C.")
    ] = False,
    data_dir: DataDirOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Print the logs of the last `up` (each line prefixed with its part).

    Examples:

      faasm cluster logs

      faasm cluster logs -f worker-1 worker-2
    """
    chosen = _data_dir(data_dir)
    cluster = launcher.running(chosen)
    logs_dir = cluster.config.logs_dir if cluster else ClusterConfig(data_dir=chosen).logs_dir
    keep_going = cluster.alive if (cluster and follow) else (lambda: False)
    for line in launcher.log_lines(logs_dir, parts or (), follow=keep_going):
        console.raw_output(f"{line}\n".encode())


def _running(data_dir: Path | None) -> LocalCluster:
    cluster = launcher.running(_data_dir(data_dir))
    if cluster is None:
        raise ClusterUnavailable(
            f"no cluster is running from {_data_dir(data_dir)}",
            "start one with `faasm cluster up`",
        )
    return cluster


def _endpoints_json(cluster: LocalCluster) -> dict[str, Any]:
    return {
        "data_dir": str(cluster.config.data_dir),
        "upload_url": cluster.config.upload_base,
        "invoke_url": cluster.config.invoke_base,
        "redis_url": cluster.config.redis_url,
        "parts": [
            {"name": part.name, "pid": part.pid, "alive": part.alive(), "log": str(part.log)}
            for part in cluster.parts
        ],
    }


def _show_endpoints(cluster: LocalCluster, output: OutputFormat) -> None:
    if output is OutputFormat.json:
        console.emit_json(_endpoints_json(cluster))
        return
    console.info(f"upload  {cluster.config.upload_base}")
    console.info(f"invoke  {cluster.config.invoke_base}")
    console.info(f"redis   {cluster.config.redis_url}")
