"""The background engine: periodic jobs that run beside the API in `warroom serve`."""

from warroom.engine.runner import Engine, Job, Priority

__all__ = ["Engine", "Job", "Priority"]
