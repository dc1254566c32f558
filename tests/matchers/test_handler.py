"""``mode: handler``: what a reviewer expects the scanner to say about exception handlers that
swallow the error, checked with the built-in swallowed-exception rule (AIS401) and with
small custom rules."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from aiscan import Finding, load_rules, scan, scan_source
from aiscan.loader import RuleError, RuleSet

RULE_FILE = Path(__file__).resolve().parents[2] / "rules" / "errors" / "swallowed-exception.yaml"
BUILTIN = load_rules([RULE_FILE], builtin=False)


def findings(code: str, filename: str = "app.py", rules: RuleSet = BUILTIN) -> list[Finding]:
    result = scan_source(textwrap.dedent(code), filename, rules=rules)
    assert not result.errors, result.errors
    return sorted(result.findings, key=lambda f: f.line)


def lines(code: str, filename: str = "app.py", rules: RuleSet = BUILTIN) -> list[int]:
    return [f.line for f in findings(code, filename, rules)]


# --- which handlers are broad ----------------------------------------------------------------


@pytest.mark.parametrize(
    "clause",
    [
        "except Exception:",
        "except BaseException:",
        "except:",
        "except Exception as exc:",
        "except (ValueError, Exception):",
        "except (KeyError, (TypeError, Exception)):",
        "except builtins.Exception:",
    ],
)
def test_a_broad_handler_that_passes_is_reported_at_the_except_line(clause: str) -> None:
    code = f"""\
        import builtins

        def load(path):
            try:
                return open(path).read()
            {clause}
                pass
        """
    assert lines(code) == [6]


@pytest.mark.parametrize(
    "clause",
    [
        "except ValueError:",
        "except (KeyError, TypeError):",
        "except OSError as exc:",
        "except AppError:",
        "except KeyboardInterrupt:",
    ],
)
def test_a_narrow_handler_is_never_reported(clause: str) -> None:
    code = f"""\
        class AppError(Exception):
            pass

        def load(path):
            try:
                return open(path).read()
            {clause}
                return None
        """
    assert lines(code) == []


def test_except_star_handlers_are_judged_the_same() -> None:
    code = """\
        def run(jobs):
            try:
                jobs()
            except* Exception:
                pass
            try:
                jobs()
            except* ValueError:
                pass
        """
    assert lines(code) == [4]


def test_names_bound_to_broad_classes_and_tuples_are_followed() -> None:
    code = """\
        Broad = Exception
        RECOVERABLE = (ValueError, Exception)
        EXPECTED = (ValueError, KeyError)

        def a(f):
            try:
                f()
            except Broad:
                pass

        def b(f):
            try:
                f()
            except RECOVERABLE:
                pass

        def c(f):
            try:
                f()
            except EXPECTED:
                pass
        """
    assert lines(code) == [8, 14]


def test_a_broad_tuple_imported_from_another_module_is_followed(tmp_path: Path) -> None:
    pkg = tmp_path / "shop"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "errors.py").write_text(
        "BROAD = (ConnectionError, Exception)\nNARROW = (ConnectionError, TimeoutError)\n"
    )
    (pkg / "jobs.py").write_text(
        textwrap.dedent(
            """\
            from .errors import BROAD, NARROW

            def a(f):
                try:
                    f()
                except BROAD:
                    pass

            def b(f):
                try:
                    f()
                except NARROW:
                    pass
            """
        )
    )
    result = scan([pkg], rules=BUILTIN, jobs=1, root=str(tmp_path))
    assert not result.errors
    assert [(f.path, f.line) for f in result.findings] == [("shop/jobs.py", 6)]


# --- what counts as swallowing -----------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "pass",
        "...",
        "return",
        "return None",
        "return {}",
        "return []",
        "return ()",
        "return False",
        "return True",
        "return 0",
        'return ""',
        "return dict()",
        "return None, None",
        "return default",
        "result = None",
        "self.cache = {}",
        "conn.rollback()\n                return None",
        "if path:\n                    return None\n"
        "                else:\n                    return {}",
    ],
)
def test_a_broad_handler_that_only_falls_back_to_a_default_is_reported(body: str) -> None:
    code = f"""\
        def load(self, conn, path, default=None):
            try:
                return open(path).read()
            except Exception:
                {body}
        """
    assert lines(code) == [4]


@pytest.mark.parametrize(
    "body",
    [
        "log.exception('cannot read %s', path)\n                return None",
        "logging.warning('cannot read %s', path)",
        "print('cannot read', path, file=sys.stderr)",
        "raise",
        "raise RuntimeError('unreadable') from None",
        "conn.rollback()\n                raise",
        "failures += 1",
        "self.healthy = False",
        "ok = False",
        "errors.append(path)",
        "return fallback_config()",
        "return {'error': 'unreadable'}",
        "return -1",
        "return 'unknown'",
        "time.sleep(1)",
        "metrics.increment('load.failed')",
        "if schedule_retry(path):\n                    return None",
    ],
)
def test_a_broad_handler_that_acts_on_the_error_is_not_reported(body: str) -> None:
    code = f"""\
        import logging
        import sys
        import time

        log = logging.getLogger(__name__)

        def load(self, conn, path, errors, metrics, failures=0):
            try:
                return open(path).read()
            except Exception:
                {body}
        """
    assert lines(code) == []


def test_continue_and_break_in_a_loop_are_reported() -> None:
    code = """\
        import json

        def parse(rows):
            out = []
            for row in rows:
                try:
                    out.append(json.loads(row))
                except Exception:
                    continue
            while True:
                try:
                    return out.pop()
                except Exception:
                    break
        """
    found = findings(code)
    assert [f.line for f in found] == [8, 13]
    assert "continue" in found[0].message
    assert "break" in found[1].message


def test_a_helper_that_only_returns_a_default_swallows_like_the_default_itself() -> None:
    code = """\
        import logging

        log = logging.getLogger(__name__)

        def empty():
            return {}

        def logged_fallback():
            log.warning("using the fallback")
            return {}

        def a(f):
            try:
                return f()
            except Exception:
                return empty()

        def b(f):
            try:
                return f()
            except Exception:
                return logged_fallback()
        """
    assert lines(code) == [15]


# --- BaseException and bare except: interrupts -------------------------------------------


def test_catching_interrupts_is_reported_even_when_the_handler_logs() -> None:
    code = """\
        import logging

        log = logging.getLogger(__name__)

        def run(job):
            try:
                job()
            except BaseException as exc:
                log.exception("job failed: %s", exc)
        """
    found = findings(code)
    assert [f.line for f in found] == [8]
    assert "KeyboardInterrupt" in found[0].message


@pytest.mark.parametrize(
    "body",
    [
        "raise",
        "log.exception('x')\n                raise",
        "sys.exit(1)",
        "future.set_exception(exc)",
        "return exc",
        "return sys.exc_info()",
        "give_up()",
    ],
)
def test_catching_interrupts_is_fine_when_the_error_goes_on(body: str) -> None:
    code = f"""\
        import logging
        import sys

        log = logging.getLogger(__name__)

        def give_up():
            raise SystemExit(2)

        def run(job, future):
            try:
                job()
            except BaseException as exc:
                {body}
        """
    assert lines(code) == []


def test_a_logging_helper_does_not_pass_the_exception_on() -> None:
    code = """\
        import logging

        log = logging.getLogger(__name__)

        def report(exc):
            log.error("failed: %s", exc)

        def run(job):
            try:
                job()
            except BaseException as exc:
                report(exc)
        """
    assert lines(code) == [11]


def test_an_earlier_interrupt_handler_makes_a_bare_except_an_ordinary_broad_one() -> None:
    code = """\
        def run(job):
            try:
                job()
            except KeyboardInterrupt:
                return 130
            except BaseException:
                print("failed")
                return 1

        def run_quiet(job):
            try:
                job()
            except (KeyboardInterrupt, SystemExit):
                raise
            except:
                pass
        """
    found = findings(code)
    assert [f.line for f in found] == [15]
    assert "KeyboardInterrupt" not in found[0].message


# --- cleanup, context, acknowledgements ------------------------------------------------


def test_best_effort_cleanup_under_exception_is_not_reported_but_a_bare_except_is() -> None:
    code = """\
        import os

        def cleanup(conn, tmp):
            try:
                conn.close()
            except Exception:
                pass
            try:
                if os.path.exists(tmp):
                    os.remove(tmp)
            except Exception:
                pass
            try:
                conn.close()
            except:
                pass
        """
    assert lines(code) == [15]


def test_handlers_in_cleanup_methods_and_del() -> None:
    code = """\
        class Client:
            def close(self):
                try:
                    self.send("QUIT")
                except Exception:
                    pass

            def __del__(self):
                try:
                    self.close()
                except:
                    pass

            def ping(self):
                try:
                    self.send("PING")
                except Exception:
                    pass
        """
    assert lines(code) == [17]


def test_test_files_are_not_reported() -> None:
    code = """\
        def test_load():
            try:
                open("x")
            except Exception:
                pass
        """
    assert lines(code, "tests/test_load.py") == []
    assert lines(code, "load.py") == [4]


def test_a_comment_that_acknowledges_the_broad_catch_for_another_linter() -> None:
    code = """\
        def hook(f):
            try:
                f()
            except Exception:  # noqa: BLE001
                pass
            try:
                f()
            except Exception:  # pylint: disable=broad-except
                pass
            try:
                f()
            except Exception:  # noqa: E501
                pass
        """
    assert lines(code) == [12]


# --- suppressors -------------------------------------------------------------------------


def test_contextlib_suppress_of_a_broad_class_is_reported_at_the_with_line() -> None:
    code = """\
        import contextlib
        from contextlib import suppress as quietly

        import requests

        def drop(cache, key):
            with contextlib.suppress(Exception):
                del cache[key]
                requests.delete(key, timeout=5)
            with quietly(KeyError, BaseException):
                del cache[key]
            with contextlib.suppress(KeyError):
                del cache[key]
            with contextlib.suppress(FileNotFoundError, PermissionError):
                open(key).close()

        async def adrop(cache, key):
            async with contextlib.AsyncExitStack():
                pass
            with contextlib.suppress(Exception):
                del cache[key]
        """
    found = findings(code)
    assert [f.line for f in found] == [7, 10, 20]
    assert found[0].message.startswith("contextlib.suppress(Exception) silently discards")
    assert "requests.RequestException (what requests.delete raises)" in found[0].message


def test_suppressing_around_cleanup_only_is_not_reported() -> None:
    code = """\
        import contextlib
        import os

        def purge(path):
            with contextlib.suppress(Exception):
                os.unlink(path)
        """
    assert lines(code) == []


# --- the message -------------------------------------------------------------------------


def test_the_message_says_what_was_swallowed_and_what_to_catch_instead() -> None:
    code = """\
        import json

        def load(path):
            try:
                with open(path) as fh:
                    return json.load(fh)
            except Exception:
                return {}
        """
    (finding,) = findings(code)
    assert finding.rule_id == "AIS401"
    assert finding.message.startswith("This except Exception returns {} without logging")
    assert "OSError (what open raises)" in finding.message
    assert "json.JSONDecodeError (what json.load raises)" in finding.message
    assert (finding.line, finding.column) == (7, 5)
    assert finding.end_line == 7


def test_without_a_known_call_the_message_gives_the_general_advice() -> None:
    code = """\
        def run(job):
            try:
                job()
            except Exception:
                pass
        """
    (finding,) = findings(code)
    assert "only the exceptions this code expects" in finding.message


def test_the_documented_examples() -> None:
    rule = BUILTIN.rules[0]
    assert lines(rule.docs.bad) != []
    assert lines(rule.docs.good) == []


# --- custom rules ------------------------------------------------------------------------

HEADER = """\
id: TST401
name: broad-handler
category: swallowed-exception
cwe: [396]
severity: warning
confidence: medium
message: "{caught} {outcome}"
summary: A test rule.
docs: {why: w, bad: b, good: g}
since: 0.3.0
mode: handler
"""


def custom(tmp_path: Path, body: str) -> RuleSet:
    path = tmp_path / "broad-handler.yaml"
    path.write_text(HEADER + textwrap.dedent(body), encoding="utf-8")
    return load_rules([path], builtin=False)


def test_a_minimal_rule_needs_only_the_broad_classes(tmp_path: Path) -> None:
    rules = custom(tmp_path, "handler:\n  broad: [Exception]\n")
    code = """\
        import contextlib

        def run(job):
            try:
                job()
            except Exception:
                return None
            with contextlib.suppress(Exception):
                job()
        """
    found = findings(code, rules=rules)
    # No suppressors listed: only the handler. Its message is filled from the match.
    assert [(f.line, f.message) for f in found] == [(6, "except Exception returns None")]


def test_a_bare_except_always_catches_interrupts(tmp_path: Path) -> None:
    rules = custom(tmp_path, "handler:\n  broad: [Exception]\n")
    code = """\
        def run(job):
            try:
                job()
            except:
                print("failed")
        """
    found = findings(code, rules=rules)
    assert [(f.line, f.message) for f in found] == [(4, "bare except keeps running after Ctrl-C")]


def test_handler_mode_requires_its_handler_block(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="handler"):
        custom(tmp_path, "")


def test_handler_mode_rejects_patterns(tmp_path: Path) -> None:
    with pytest.raises(RuleError):
        custom(tmp_path, "handler:\n  broad: [Exception]\npatterns:\n  - call: [eval]\n")


def test_unknown_handler_fields_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="brod"):
        custom(tmp_path, "handler:\n  broad: [Exception]\n  brod: [Exception]\n")
