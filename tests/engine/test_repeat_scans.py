"""Scans in one process do not see each other: a library user scanning two copies of a
project (or two projects that share module names) gets the same answer each time."""

from __future__ import annotations

import tempfile
from pathlib import Path

from taint_support import scan_tree, tree_found, tree_marked

FILES = {
    "shop/__init__.py": "",
    "shop/helpers.py": """
        import os

        def run(command):
            os.system(command)  # AIS201
        """,
    "shop/views.py": """
        from flask import request

        from shop import helpers

        def view():
            helpers.run(request.args["v"])
        """,
}


def test_the_same_project_in_two_folders_gives_the_same_findings() -> None:
    answers = []
    for _ in range(2):
        with tempfile.TemporaryDirectory() as folder:
            answers.append(sorted(tree_found(scan_tree(Path(folder), FILES))))
    expected = sorted(tree_marked(FILES))
    assert answers == [expected, expected]
