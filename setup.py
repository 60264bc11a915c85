"""The one thing pyproject.toml cannot say without an experimental table: the optional
C speed-ups for alert ingest (fingerprints; parsing the common Alertmanager alert).
Without a compiler the pure-Python paths run."""

from setuptools import Extension, setup

setup(ext_modules=[
    Extension("warroom.alerts._fnv", ["src/warroom/alerts/_fnv.c"], optional=True),
    Extension("warroom.alerts._amparse", ["src/warroom/alerts/_amparse.c"], optional=True),
])
