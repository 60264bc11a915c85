"""Imports every domain's models so the metadata is complete (for Alembic and tests)."""

from warroom.auth import models as _auth  # noqa: F401
from warroom.db.base import Base
from warroom.incidents import models as _incidents  # noqa: F401
from warroom.timeline import models as _timeline  # noqa: F401

metadata = Base.metadata
