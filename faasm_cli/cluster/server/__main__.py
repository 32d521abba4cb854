"""`python -m faasm_cli.cluster.server <ClusterConfig options>`: the upload server process."""

from __future__ import annotations

import logging

import uvicorn

from faasm_cli.cluster.config import ClusterConfig
from faasm_cli.cluster.server import upload_app


def main() -> None:
    config = ClusterConfig.from_argv(prog="python -m faasm_cli.cluster.server")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    uvicorn.run(upload_app(config), host=config.host, port=config.upload_port, log_level="info")


if __name__ == "__main__":
    main()
