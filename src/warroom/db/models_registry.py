"""Imports every domain's models so the metadata is complete (for Alembic and tests)."""

from warroom.alerts import models as _alerts  # noqa: F401
from warroom.auth import models as _auth  # noqa: F401
from warroom.db.base import Base
from warroom.escalation import models as _escalation  # noqa: F401
from warroom.incidents import models as _incidents  # noqa: F401
from warroom.integrations import models as _integrations  # noqa: F401
from warroom.links import models as _links  # noqa: F401
from warroom.notify import models as _notify  # noqa: F401
from warroom.suppression import models as _suppression  # noqa: F401
from warroom.timeline import models as _timeline  # noqa: F401
from warroom.users import models as _users  # noqa: F401

metadata = Base.metadata
