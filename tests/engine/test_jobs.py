"""``--jobs N``: the same findings, errors and order whatever the number of worker processes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiscan.api import scan
from aiscan.cli import main
from aiscan.config import Config
from aiscan.loader import load_rules

pytestmark = pytest.mark.slow  # starts worker processes; about 10 s on a busy machine

MODULE = """\
import requests
from pkg.util import fetch


def get_{i}(url):
    requests.get(url, verify=False, timeout=5)
    return requests.post(url, verify=False)
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "util.py").write_text(
        "import requests\n\n\ndef fetch(url):\n    return requests.get(url, verify=False)\n"
    )
    for i in range(6):
        (pkg / f"m{i}.py").write_text(MODULE.format(i=i))
    (pkg / "broken.py").write_text("def f(:\n    pass\n")
    # Too deep for astroid's tree builder: a worker must report it just as the main process does.
    # (It calls requests.get with verify=, so the rules need its tree.)
    (pkg / "deep.py").write_text(
        "import requests\nx = " + "+".join(["1"] * 3000) + "\nrequests.get('u', verify=False)\n"
    )
    (pkg / "sup.py").write_text(
        "import requests\n"
        "requests.get('u', verify=False, timeout=1)  # aiscan: ignore[AIS101] -- test host\n"
        "requests.get('u', timeout=1)  # aiscan: ignore\n"
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_api_results_do_not_depend_on_jobs(project: Path) -> None:
    rules = load_rules().select(["AIS101", "AIS104"])
    one = scan(["."], rules=rules, config=Config(), jobs=1)
    two = scan(["."], rules=rules, config=Config(), jobs=2)
    assert len({f.path for f in one.findings}) >= 7  # findings in several files
    assert one.findings == two.findings  # same findings, same order
    assert one.suppressed == two.suppressed
    assert one.errors == two.errors
    assert [(e.path, e.kind) for e in one.errors] == [
        ("pkg/broken.py", "syntax-error"),
        ("pkg/deep.py", "recursion-limit"),
        ("pkg/sup.py", "bad-suppression"),
    ]
    assert one.files_scanned == two.files_scanned == 11


def test_cli_reports_are_identical_for_any_jobs(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = []
    for jobs in ("1", "2", "3"):
        code = main(["scan", ".", "--select", "AIS101", "-f", "json", "--jobs", jobs])
        assert code == 2  # findings, and one file that does not parse: incomplete
        data = json.loads(capsys.readouterr().out)
        data.pop("environment")
        reports.append(data)
    assert reports[0] == reports[1] == reports[2]
    paths = [(f["path"], f["line"], f["column"]) for f in reports[0]["findings"]]
    assert paths == sorted(paths)


FLOW_MODULE = """\
import os
from flask import Flask, request

app = Flask(__name__)


@app.route("/run{i}")
def run{i}():
    os.system(request.args["cmd"])
"""


@pytest.mark.parametrize("jobs", [1, 2])
def test_every_file_keeps_its_own_taint_findings(tmp_path: Path, jobs: int) -> None:
    """Many files in one process: each file's taint findings are its own (a cache keyed by a
    reusable object id once handed a file the previous file's findings)."""
    for i in range(40):
        (tmp_path / f"views{i}.py").write_text(FLOW_MODULE.format(i=i))
    result = scan([tmp_path], config=Config(select=("AIS201",)), jobs=jobs, root=tmp_path)
    assert sorted(f.path for f in result.findings) == sorted(f"views{i}.py" for i in range(40))
