"""A served process collects young garbage rarely (cli.serve.freeze_startup_objects)."""

from __future__ import annotations

import subprocess
import sys


def test_serving_freezes_start_up_objects_and_raises_the_young_collection_threshold() -> None:
    code = (
        "import gc\n"
        "from warroom.cli.serve import YOUNG_COLLECTION_THRESHOLD, freeze_startup_objects\n"
        "before = gc.get_threshold()\n"
        "freeze_startup_objects()\n"
        "after = gc.get_threshold()\n"
        "assert after == (YOUNG_COLLECTION_THRESHOLD, *before[1:]), (before, after)\n"
        "assert gc.get_freeze_count() > 1000\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
