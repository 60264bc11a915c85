"""Exit 0 if the PostgreSQL at argv[1] accepts connections, else 1 (used by `make test`)."""

from __future__ import annotations

import sys

import psycopg


def reachable(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


if __name__ == "__main__":
    sys.exit(0 if reachable(sys.argv[1]) else 1)
