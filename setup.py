"""The one thing pyproject.toml cannot say without an experimental table: the optional
C speed-up for alert fingerprints. Without a compiler the pure-Python path runs."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("warroom.alerts._fnv", ["src/warroom/alerts/_fnv.c"],
                             optional=True)])
