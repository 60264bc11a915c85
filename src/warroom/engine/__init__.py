"""The background engine: periodic jobs that run beside the API in `warroom serve`."""

from warroom.engine.runner import Engine, Job

__all__ = ["Engine", "Job"]
