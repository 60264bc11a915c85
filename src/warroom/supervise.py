"""The supervisor process of `warroom serve --workers N`.

`serve` prepares the database (migrations, first token and user), then replaces itself
with this module (same process id, so service managers and `kill` still address it):
uvicorn's supervisor, which binds the port once, starts the workers
(`warroom.cli.serve:worker_app`), restarts one that dies and stops them all on SIGTERM.
It imports none of the application, so it holds ~26 MiB instead of the ~105 MiB of a
process that has loaded the app.

    python -m warroom.supervise WORKERS HOST PORT LOG_LEVEL METRICS_DIR
"""

from __future__ import annotations

import shutil
import sys

import uvicorn

from warroom.api.alert_protocol import AlertPostProtocol
from warroom.observability.logging import configure_logging


def main(argv: list[str]) -> None:
    workers, host, port, log_level, metrics_dir = argv
    configure_logging(log_level)
    try:
        uvicorn.run("warroom.cli.serve:worker_app", factory=True, workers=int(workers),
                    host=host, port=int(port), log_level=log_level, proxy_headers=False,
                    log_config=None, http=AlertPostProtocol)
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)  # the workers' counters


if __name__ == "__main__":
    main(sys.argv[1:])
