"""Storage plumbing: engine, sessions, column types and migrations. No domain logic here."""

from warroom.db.base import Base, JSONType, UTCDateTime
from warroom.db.engine import Database

__all__ = ["Base", "Database", "JSONType", "UTCDateTime"]
