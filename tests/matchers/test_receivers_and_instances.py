"""Pattern-mode conditions on the object a method is called on or an attribute is set on:
``receiver:``, ``assign.object``, ``instance-of``, ``exact-instance-of``, ``method-called``;
and ``attribute:`` patterns that must not match a variable holding a call's result."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from aiscan import load_rules, scan_source
from aiscan.engine.names import canonical_name
from aiscan.loader import RuleSet

HEADER = """\
id: TST900
name: {name}
category: missing-timeout
cwe: [1088]
severity: warning
confidence: high
message: "{{callee}} matched"
summary: A test rule.
docs: {{why: w, bad: b, good: g}}
since: 0.1.0
mode: pattern
"""


def ruleset(tmp_path: Path, patterns: str, name: str = "test-rule") -> RuleSet:
    path = tmp_path / f"{name}.yaml"
    path.write_text(HEADER.format(name=name) + textwrap.dedent(patterns), encoding="utf-8")
    return load_rules([path], builtin=False)


def lines(rules: RuleSet, code: str) -> list[int]:
    result = scan_source(textwrap.dedent(code), rules=rules)
    assert not result.errors, result.errors
    return sorted(f.line for f in result.findings)


SESSION_GET = """\
patterns:
  - call: [requests.Session.get]
    receiver: {condition}
"""


def test_exact_instance_of_receiver_skips_subclasses(tmp_path: Path) -> None:
    rules = ruleset(
        tmp_path, SESSION_GET.format(condition="{exact-instance-of: [requests.Session]}")
    )
    code = """\
        import requests

        class TimeoutSession(requests.Session):
            def request(self, method, url, **kwargs):
                kwargs.setdefault("timeout", 10)
                return super().request(method, url, **kwargs)

        def make():
            return requests.Session()

        def use(annotated: requests.Session):
            plain = requests.Session()
            plain.get("https://a")
            TimeoutSession().get("https://b")
            sub = TimeoutSession()
            sub.get("https://c")
            annotated.get("https://d")
            make().get("https://e")
            with requests.Session() as s:
                s.get("https://f")
    """
    assert lines(rules, code) == [13, 17, 18, 20]


def test_instance_of_counts_subclasses(tmp_path: Path) -> None:
    rules = ruleset(tmp_path, SESSION_GET.format(condition="{instance-of: [requests.Session]}"))
    code = """\
        import requests

        class ApiSession(requests.Session):
            pass

        ApiSession().get("https://a")
        requests.Session().get("https://b")
    """
    assert lines(rules, code) == [6, 7]


def test_receiver_condition_fails_without_a_receiver(tmp_path: Path) -> None:
    rules = ruleset(
        tmp_path,
        """\
        patterns:
          - call: [requests.get]
            receiver: {not: {method-called: [mount]}}
        """,
    )
    code = """\
        import requests
        from requests import get

        requests.get("https://a")
        get("https://b")
    """
    # requests.get has a receiver (the module) that matches; the bare name has none.
    assert lines(rules, code) == [4]


def test_method_called_on_the_same_object(tmp_path: Path) -> None:
    rules = ruleset(
        tmp_path,
        SESSION_GET.format(condition="{not: {method-called: [mount]}}"),
    )
    code = """\
        import requests
        from requests.adapters import HTTPAdapter

        def mounted():
            s = requests.Session()
            s.mount("https://", HTTPAdapter())
            return s.get("https://a")

        def other_object_mounted():
            s = requests.Session()
            t = requests.Session()
            t.mount("https://", HTTPAdapter())
            return s.get("https://b")

        def factory():
            s = requests.Session()
            s.mount("https://", HTTPAdapter())
            return s

        def through_factory():
            return factory().get("https://c")

        def bound_to_factory():
            s = factory()
            return s.get("https://d")

        class Client:
            def __init__(self):
                self.session = requests.Session()
                self.session.mount("https://", HTTPAdapter())
                self.other = requests.Session()

            def one(self):
                return self.session.get("https://e")

            def two(self):
                return self.other.get("https://f")
    """
    assert lines(rules, code) == [13, 37]


def test_assign_object_condition(tmp_path: Path) -> None:
    rules = ruleset(
        tmp_path,
        """\
        patterns:
          - assign:
              attribute: verify
              object: {instance-of: [requests.Session]}
              value: {equals: false}
        """,
    )
    code = """\
        import requests

        class Toggle:
            def __init__(self):
                self.verify = False

        class Internal(requests.Session):
            def __init__(self):
                super().__init__()
                self.verify = False

        s = requests.Session()
        s.verify = False
        s.verify = True
        other = Toggle()
        other.verify = False
        verify = False
    """
    assert lines(rules, code) == [10, 13]


def test_attribute_pattern_ignores_names_holding_a_call_result(tmp_path: Path) -> None:
    rules = ruleset(
        tmp_path,
        """\
        patterns:
          - attribute: [ssl._create_unverified_context]
        """,
    )
    code = """\
        import ssl
        import urllib.request
        from ssl import _create_unverified_context as unverified

        ctx = ssl._create_unverified_context()
        urllib.request.urlopen("https://a", context=ctx, timeout=5)
        ssl._create_default_https_context = ssl._create_unverified_context
        factory = unverified
    """
    assert lines(rules, code) == [7, 8]


@pytest.mark.parametrize(
    ("public", "defined"),
    [
        ("requests.Session", "requests.sessions.Session"),
        ("requests.Session.get", "requests.sessions.Session.get"),
        ("requests.get", "requests.api.get"),
        ("httpx.Client.get", "httpx._client.Client.get"),
    ],
)
def test_canonical_name_follows_re_exports(public: str, defined: str) -> None:
    assert canonical_name(public) == defined


def test_re_exported_method_matches_through_inference(tmp_path: Path) -> None:
    rules = ruleset(tmp_path, "patterns:\n  - call: [requests.Session.get]\n")
    code = """\
        import requests

        def make():
            return requests.Session()

        make().get("https://a")
    """
    assert lines(rules, code) == [6]


def test_rules_may_name_proxies_that_refuse_attribute_access() -> None:
    """flask.g and current_app.config raise RuntimeError outside an application context when
    touched; naming them in a rule must not break the scan."""
    from aiscan.engine.names import NameIndex

    index = NameIndex(["flask.g", "flask.current_app.config", "flask.session"])
    assert index.match(["flask.g"]) == "flask.g"
    assert index.match(["flask.current_app.config"]) == "flask.current_app.config"
    assert index.match(["other.g"]) is None
