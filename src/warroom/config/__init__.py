"""Domain configuration (`warroom.yaml`): validated on load, errors name file, line and field."""

from warroom.config.loader import load_config
from warroom.config.schema import WarroomConfig

__all__ = ["WarroomConfig", "load_config"]
