"""``mode: api``: what a reviewer expects to be told about names that do not exist in the
installed library, and the dynamic cases that must stay silent (unknown is never reported)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from aiscan import load_rules, scan, scan_source
from aiscan.loader import RuleSet
from conftest import MakeVenv

RULE_FILE = Path(__file__).resolve().parents[2] / "rules" / "dependencies" / "hallucinated-api.yaml"


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules([RULE_FILE], builtin=False)


def lines(rules: RuleSet, code: str) -> dict[int, str]:
    result = scan_source(textwrap.dedent(code), "app.py", rules=rules)
    return {f.location.line: f.message for f in result.findings if f.rule_id == "AIS501"}


def test_a_response_attribute_from_another_library_is_reported_with_the_version(
    rules: RuleSet,
) -> None:
    found = lines(
        rules,
        """\
        import requests
        resp = requests.get("https://example.com", timeout=5)
        print(resp.statusText)
        print(resp.reason)
        """,
    )
    assert list(found) == [3]
    message = found[3]
    assert message.startswith("requests ")
    assert "requests.models.Response has no attribute 'statusText'" in message
    assert "'reason'" in message and "'status_code'" in message


def test_a_misspelt_method_suggests_the_real_one(rules: RuleSet) -> None:
    found = lines(rules, "import hashlib\nhashlib.sha256(b'x').hexdigets()\n")
    assert list(found) == [2]
    assert "'hexdigest'" in found[2]
    assert f"Python {sys.version_info.major}.{sys.version_info.minor}" in found[2]


def test_keywords_are_checked_through_forwarded_kwargs(rules: RuleSet) -> None:
    found = lines(
        rules,
        """\
        import json, subprocess, requests
        json.loads("{}", encoding="utf-8")
        json.loads("{}", object_hook=dict)
        subprocess.run(["ls"], capture=True)
        subprocess.run(["ls"], capture_output=True, check=False)
        requests.get("u", timeout=5, verify_ssl=False)
        requests.get("u", timeout=5, verify=False, allow_redirects=False)
        """,
    )
    assert sorted(found) == [2, 4, 6]
    assert "json.loads() takes no keyword argument 'encoding'" in found[2]
    assert "'capture_output'" in found[4]
    assert "'verify'" in found[6]


def test_keywords_sent_to_a_class_the_caller_chooses_are_unknown(rules: RuleSet) -> None:
    code = "import json\njson.loads('{}', cls=json.JSONDecoder, encoding='utf-8')\n"
    assert lines(rules, code) == {}


def test_imports_of_removed_names_and_missing_submodules(rules: RuleSet) -> None:
    found = lines(
        rules,
        """\
        from werkzeug.urls import url_quote
        from werkzeug.utils import secure_filename
        import email.mimetext
        import email.mime.text
        from flask import (
            Flask,
            escape,
        )
        """,
    )
    assert sorted(found) == [1, 3, 7]
    assert "cannot import name 'url_quote' from werkzeug.urls" in found[1]
    assert "email has no submodule 'mimetext'" in found[3]


@pytest.mark.parametrize(
    "code",
    [
        # A parameter may be a subclass or a test double.
        "def f(resp):\n    return resp.statusText\n",
        # hasattr / getattr with a default / a try that catches the error.
        "import requests\nr = requests.get('u', timeout=5)\nif hasattr(r, 'statusText'):\n"
        "    print(r.statusText)\n",
        "import requests\nr = requests.get('u', timeout=5)\nprint(getattr(r, 'statusText', ''))\n",
        "import requests\ntry:\n    requests.get('u', timeout=5).statusText\n"
        "except AttributeError:\n    pass\n",
        "try:\n    from flask import escape\nexcept ImportError:\n"
        "    from markupsafe import escape\n",
        # A version check or TYPE_CHECKING.
        "import json, sys\nif sys.version_info < (3, 9):\n    json.loads('{}', encoding='utf-8')\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from requests import Nope\n",
        # Mocks answer any attribute.
        "from unittest import mock\nm = mock.MagicMock()\nm.statusText\n",
        "from unittest import mock\nimport requests\n\ndef t():\n"
        "    with mock.patch('requests.get'):\n        requests.get('u', timeout=5).statusText\n",
        # A proxy class with __getattr__ (flask.request).
        "from flask import request\nrequest.json_body\n",
        # Set on the response from outside its class by the library itself.
        "import requests\nrequests.get('u', timeout=5).connection\n",
        # Set by the project.
        "import requests\nr = requests.get('u', timeout=5)\nr.tag = 1\nprint(r.tag)\n",
        # A C module: what it has depends on the interpreter.
        "import sys\nsys.pypy_version_info\n",
        # A name rebound: which value it holds cannot be told.
        "import requests\nr = requests.get('u', timeout=5)\nr = object()\nr.statusText\n",
        # Keywords a **kwargs function keeps and ignores (PyJWT warns): unknown.
        "import jwt\njwt.decode('t', 'k', algorithm='HS256')\n",
        # A decorated function: the decorator may change the signature.
        "from sqlalchemy import create_engine\ncreate_engine('sqlite://', convert_unicode=True)\n",
        # Names of the scanned code itself are not this rule's business.
        "class A:\n    pass\nA().nope\n",
    ],
)
def test_unknown_is_never_reported(rules: RuleSet, code: str) -> None:
    assert lines(rules, code) == {}


def test_a_helper_in_another_module_carries_the_response_type(
    rules: RuleSet, tmp_path: Path
) -> None:
    pkg = tmp_path / "app"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "client.py").write_text(
        "import requests\n\ndef fetch(url):\n    return requests.get(url, timeout=5)\n"
    )
    (pkg / "views.py").write_text(
        "from .client import fetch\n\ndef show(url):\n"
        "    print(fetch(url).reason)\n    return fetch(url).statusText\n"
    )
    result = scan([tmp_path], rules=rules, jobs=1)
    found = [(f.location.path, f.location.line) for f in result.findings]
    assert found == [("app/views.py", 5)]


FAKEMOD = (
    "def real(x, *, strict=False):\n    return x\n\nclass Thing:\n"
    "    def __init__(self):\n        self.size = 1\n"
)


def test_names_are_checked_against_the_target_environment(
    rules: RuleSet, tmp_path: Path, make_venv: MakeVenv
) -> None:
    venv = make_venv(tmp_path / "venv", FAKEMOD)
    project = tmp_path / "proj"
    project.mkdir()
    (project / "main.py").write_text(
        "import fakemod\n"
        "fakemod.real(1, strict=True)\n"
        "fakemod.real(1, strickt=True)\n"
        "fakemod.unreal\n"
        "fakemod.Thing().size\n"
        "fakemod.Thing().sise\n"
        "from fakemod import Thingy\n"
    )
    result = scan([project], rules=rules, jobs=1, venv=venv)
    found = {f.location.line: f.message for f in result.findings}
    assert sorted(found) == [3, 4, 6, 7]
    assert all(m.startswith("fake-dist 1.2.3: ") for m in found.values())
    assert "'size'" in found[6] and "'Thing'" in found[7]


def test_a_recursive_helper_ends_the_search_for_the_receiver(rules: RuleSet) -> None:
    # walk() returns what walk() returns, through a method call: the receiver's type is never
    # settled, so nothing is reported and the analysis does not run out of stack.
    code = """\
        import requests

        def walk(node):
            if node is None:
                return requests.get("https://example.org", timeout=5)
            return walk(node.parent).strip()

        def again(node):
            return walk(node).jsn()
        """
    result = scan_source(textwrap.dedent(code), rules=rules)
    assert result.errors == ()
    assert result.findings == ()
