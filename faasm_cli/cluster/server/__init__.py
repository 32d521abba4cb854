"""The cluster's HTTP servers (FastAPI apps): the upload server, and the workers' invoke app."""

from faasm_cli.cluster.server.invoke import invoke_app
from faasm_cli.cluster.server.upload import upload_app

__all__ = ["invoke_app", "upload_app"]
