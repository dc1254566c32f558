"""The taint engine terminates on recursion reached on demand (tainted data flowing into a
cycle that the up-front call graph did not contain), and says nothing it should not."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

UTILS = """
    import os


    class ImportStringError(ImportError):
        def __init__(self, import_name, exception):
            self.import_name = import_name
            # Calls back into the function that raises it: a cycle.
            import_string(import_name, silent=True)
            super().__init__(str(exception))


    def import_string(import_name, silent=False):
        try:
            return __import__(import_name)  # AIS202: the client picks the module
        except ImportError as exc:
            if not silent:
                raise ImportStringError(import_name, exc) from exc
        os.system("echo " + import_name)  # AIS201
        return None
"""

VIEWS = """
    from flask import request

    from .utils import import_string


    def load():
        return import_string(request.args["module"])
"""


def test_a_cycle_reached_with_tainted_data_terminates(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "utils.py").write_text(textwrap.dedent(UTILS))
    (pkg / "views.py").write_text(textwrap.dedent(VIEWS))
    script = (
        "import aiscan, sys\n"
        "r = aiscan.scan([sys.argv[1]], jobs=1, root=sys.argv[2])\n"
        "print(sorted((f.rule_id, f.path, f.line) for f in r.findings))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(pkg), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.strip() == (
        "[('AIS201', 'pkg/utils.py', 19), ('AIS202', 'pkg/utils.py', 15)]"
    )
