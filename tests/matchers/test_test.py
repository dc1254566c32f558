"""``mode: test``: what a reviewer expects to hear about a test that checks nothing."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiscan import Config, load_rules, scan, scan_source
from aiscan.loader import RuleError, RuleSet
from aiscan.matchers.test import edit_distance

RULES = load_rules().select(["AIS405"])
RULE = RULES.rules[0]


def found(code: str, filename: str = "tests/test_orders.py", rules: RuleSet = RULES) -> list[int]:
    """The lines reported in one file."""
    result = scan_source(textwrap.dedent(code), filename, rules=rules)
    assert not result.errors, result.errors
    return [f.line for f in result.findings]


def messages(code: str, filename: str = "tests/test_orders.py") -> dict[int, str]:
    result = scan_source(textwrap.dedent(code), filename, rules=RULES)
    assert not result.errors, result.errors
    return {f.line: f.message for f in result.findings}


# --- which files and which functions --------------------------------------------------------------

NO_ASSERT = """\
def test_create_order():
    create_order(1, [])
"""


@pytest.mark.parametrize(
    ("filename", "lines"),
    [
        ("tests/test_orders.py", [1]),
        ("test_orders.py", [1]),
        ("orders_test.py", [1]),
        ("tests/test_orders.py", [1]),
        ("shop/orders.py", []),  # production code is never looked at
        ("tests/integration/hooks.py", []),  # test runners do not collect tests from it
        ("tests/conftest.py", []),  # conftest holds fixtures and hooks, not tests
        ("conftest.py", []),
    ],
)
def test_only_test_files_are_looked_at(filename: str, lines: list[int]) -> None:
    assert found(NO_ASSERT, filename) == lines


def test_reported_at_the_def_line_after_decorators() -> None:
    code = """\
        import pytest


        @pytest.mark.parametrize("qty", [1, 2])
        @pytest.mark.django_db
        def test_order(qty):
            create_order(1, [("sku", qty)])
        """
    assert found(code) == [6]


def test_what_is_a_test() -> None:
    code = """\
        import unittest

        import pytest


        @pytest.fixture
        def test_user():
            return make_user()


        def helper_test():
            make_user()


        def test_outer():
            def test_inner():
                pass
            assert register(test_inner)


        class TestUsers:
            def test_a(self):
                make_user()

            def setup_method(self):
                make_user()


        class UsersCase(unittest.TestCase):
            def test_b(self):
                make_user()


        class Users:
            def test_c(self):
                make_user()


        class TestWithInit:
            def __init__(self):
                self.x = 1

            def test_d(self):
                make_user()
        """
    assert found(code) == [22, 30]


def test_a_testcase_subclass_through_a_project_base_class() -> None:
    code = """\
        import unittest


        class BaseCase(unittest.TestCase):
            pass


        class Orders(BaseCase):
            def test_order(self):
                create_order()
        """
    assert found(code) == [9]


# --- what counts as a check -----------------------------------------------------------------------


def test_checks_that_are_not_reported() -> None:
    code = """\
        import pytest


        def test_assert():
            assert create_order().total == 3


        def test_raises():
            with pytest.raises(ValueError):
                create_order(-1)


        def test_fail():
            if create_order().total != 3:
                pytest.fail("wrong total")


        def test_raise():
            if create_order().total != 3:
                raise AssertionError("wrong total")


        def test_assert_false_is_an_explicit_failure():
            if create_order().total != 3:
                assert False, "wrong total"


        def test_assertion_helper_by_name():
            assert_valid(create_order())


        def test_check_helper_by_name(client):
            check_response(client.get("/"))


        def test_playwright_expect(page):
            expect(page.get_by_text("Paid")).to_be_visible()


        def test_assertion_in_a_callback(bus):
            def on_event(event):
                assert event.kind == "paid"
            bus.subscribe(on_event)
            bus.publish()
        """
    assert found(code) == []


def test_a_test_that_only_calls_the_code_is_reported() -> None:
    code = """\
        def test_create_order(client):
            resp = client.post("/orders", json={"sku": "a"})
            resp.json()


        def test_placeholder():
            pass


        async def test_async():
            await create_order()
        """
    assert found(code) == [1, 6, 10]


def test_unittest_assertions() -> None:
    code = """\
        import unittest


        class OrderTests(unittest.TestCase):
            def test_equal(self):
                self.assertEqual(create_order().total, 3)

            def test_raises(self):
                with self.assertRaises(ValueError):
                    create_order(-1)

            def test_fail(self):
                if create_order() is None:
                    self.fail("no order")

            def test_nothing(self):
                create_order()

            def test_assert_true_constant(self):
                create_order()
                self.assertTrue(True)

            def test_equal_to_itself(self):
                order = create_order()
                self.assertEqual(order.total, order.total)
        """
    assert found(code) == [16, 19, 23]


def test_helpers_one_level_deep_in_the_same_file() -> None:
    code = """\
        def confirm(order):
            assert order.status == "new"


        def post_and_read(client):
            return client.post("/orders").json()


        def test_confirmed():
            confirm(create_order())


        def test_posted(client):
            post_and_read(client)


        class TestOrders:
            def _compare(self, order, total):
                assert order.total == total

            def test_total(self):
                self._compare(create_order(), 3)
        """
    assert found(code) == [13]


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def test_helpers_of_another_test_module_count_and_production_guards_do_not(
    tmp_path: Path,
) -> None:
    write(
        tmp_path,
        {
            "shop/__init__.py": "",
            "shop/orders.py": """\
                def finalize(order):
                    assert order.items, "empty order"
                    order.status = "final"
                """,
            "tests/__init__.py": "",
            "tests/helpers.py": """\
                from shop.orders import finalize


                def finalize_and_confirm(order):
                    finalize(order)
                    assert order.status == "final"
                """,
            "tests/test_orders.py": """\
                from shop.orders import finalize

                from .helpers import finalize_and_confirm


                def test_via_test_helper(order):
                    finalize_and_confirm(order)


                def test_via_production_code(order):
                    finalize(order)
                """,
        },
    )
    result = scan([tmp_path], rules=RULES, config=Config(), jobs=1, root=tmp_path)
    assert not result.errors
    assert [(f.path, f.line) for f in result.findings] == [("tests/test_orders.py", 10)]


# --- checks that cannot fail ----------------------------------------------------------------------


def test_tautologies() -> None:
    code = """\
        def test_true():
            create_order()
            assert True


        def test_same_expression():
            order = create_order()
            assert order.total == order.total


        def test_determinism_is_a_real_check():
            assert create_order(1) == create_order(1)


        def test_own_literals():
            expected = {"sku": 2}
            assert expected["sku"] == 2
            assert len(expected) == 1


        def test_literal_compared_with_a_result():
            expected = {"sku": 2}
            assert count_items(create_order()) == expected


        def test_literal_handed_to_the_code():
            items = []
            fill(items)
            assert items == [1]


        def test_tuple(x):
            assert (x == 1, "x is one")


        def test_tuple_compared():
            assert (create_order().total, 1) == (3, 1)
        """
    assert found(code) == [1, 6, 15, 32]


def test_a_self_comparison_alone_is_reported_and_beside_checks_is_reflexivity() -> None:
    code = """\
        def test_total():
            order = create_order()
            assert order.total == order.total


        def test_eq_is_reflexive():
            order = create_order()
            assert order == order
            assert order != create_order(2)
        """
    got = messages(code)
    assert list(got) == [1]
    assert "compares an expression with itself" in got[1]


def test_explicit_failures_are_checks() -> None:
    code = """\
        import unittest


        def test_assert_false():
            try:
                create_order(-1)
            except ValueError:
                return
            assert 1 == 2, "no error raised"


        class OrderTests(unittest.TestCase):
            def test_old_style(self):
                try:
                    create_order(-1)
                except ValueError:
                    pass
                else:
                    self.assertEqual(False, "no error raised")
        """
    assert found(code) == []


def test_a_shared_test_body_counts_as_a_check() -> None:
    code = """\
        class TestGraphs:
            @classmethod
            def setup_class(cls):
                cls.test = staticmethod(compare_neighbors)

            def test_k5(self):
                self.test(complete_graph(5), 0, 1, [2, 3, 4])

            def test_p3(self):
                self._test_path(3)
        """
    assert found(code) == []


# --- mocks ----------------------------------------------------------------------------------------


def test_a_mock_the_test_only_calls_itself() -> None:
    code = """\
        from unittest.mock import MagicMock, Mock, call, patch


        def test_own_mock():
            notify = Mock()
            notify("shipped")
            notify.assert_called_once_with("shipped")


        def test_passed_mock():
            notify = Mock()
            ship(order, notify)
            notify.assert_called_once_with("shipped")


        def test_keyword_mock():
            notify = Mock()
            ship(order, notify=notify)
            assert notify.called


        def test_set_on_object():
            transport = MagicMock()
            mailer.transport = transport
            mailer.send("a")
            transport.deliver.assert_called_once()


        def test_own_mock_read():
            notify = Mock()
            notify(1)
            assert notify.call_args == call(1)


        def test_patched():
            with patch("shop.notify") as notify:
                ship(order)
            notify.assert_called_once()


        def test_patched_with_own_mock():
            notify = Mock()
            with patch("shop.notify", notify):
                ship(order)
            notify.assert_called_once()


        def test_pytest_mock(mocker):
            notify = mocker.Mock()
            notify(1)
            notify.assert_called_once_with(1)
        """
    assert found(code) == [4, 29, 48]


def test_misspelt_and_uncalled_mock_assertions() -> None:
    code = """\
        from unittest.mock import Mock


        def test_called_once_with(notify):
            ship(order, notify)
            notify.called_once_with("shipped")


        def test_assert_called_one_with(notify):
            ship(order, notify)
            notify.assert_called_one_with("shipped")


        def test_has_calls_beside_a_real_assert(notify):
            ship(order, notify)
            assert order.status == "shipped"
            notify.has_calls([])


        def test_not_called_parentheses(notify):
            ship(order, notify)
            notify.assert_called_once


        def test_real_names(notify):
            ship(order, notify)
            notify.assert_called_once()
            notify.assert_has_calls([])
            notify.reset_mock()
            notify.assert_not_called()


        class Spy:
            def called_once_with(self, value):
                return value == 1


        def test_project_class_with_a_look_alike_method():
            spy = Spy()
            assert spy.called_once_with(1)
        """
    got = messages(code)
    assert sorted(got) == [4, 9, 14, 20]
    assert "call notify.assert_called_once_with(...)" in got[4].lower()
    assert "passes" in got[4]
    assert "AttributeError" in got[9]
    assert "notify.assert_has_calls" in got[14]
    assert "without calling it" in got[20]


def test_one_finding_per_test_the_first_problem() -> None:
    code = """\
        def test_two_problems(notify):
            ship(order, notify)
            notify.called_with(1)
            assert (order.total == 3, "total")
        """
    got = messages(code)
    assert list(got) == [1]
    assert "notify.called_with(1)" in got[1]


# --- intentional: skipped, smoke and benchmark tests ----------------------------------------------


def test_intentional_tests_are_not_reported() -> None:
    code = """\
        import unittest

        import pytest


        @pytest.mark.skip(reason="later")
        def test_skipped():
            pass


        @pytest.mark.xfail(raises=ValueError)
        def test_xfail():
            create_order(-1)


        @unittest.skip("later")
        def test_unittest_skip():
            pass


        def test_skip_call():
            pytest.skip("later")


        def test_create_order_does_not_raise():
            create_order()


        def test_parse_never_crashes():
            parse("")


        def test_smoke():
            create_order()


        def test_empty_input():
            \"\"\"Parsing an empty file must not raise.\"\"\"
            parse("")


        def test_large_input():
            # Smoke test only: a large file parses.
            parse("x" * 10_000)


        def test_import():
            import shop.orders


        def test_speed(benchmark):
            benchmark(create_order)


        @pytest.mark.skip(reason="later")
        class TestLater:
            def test_a(self):
                pass
        """
    assert found(code) == []


def test_near_misses_of_intentional_tests_are_reported() -> None:
    code = """\
        import pytest


        def test_conditional_skip():
            create_order()
            if slow():
                pytest.skip("slow")


        def test_import_orders_csv():
            import shop.orders
            shop.orders.import_csv("a.csv")


        def test_docstring_that_says_nothing():
            \"\"\"Creates an order.\"\"\"
            create_order()
        """
    assert found(code) == [4, 10, 15]


# --- the rule's data drives the kind --------------------------------------------------------------

HEADER = """\
id: TST950
name: {name}
category: test-without-assertion
cwe: []
severity: warning
confidence: medium
message: "{{function}} checks nothing"
summary: A test rule.
docs: {{why: w, bad: b, good: g}}
since: 0.3.0
mode: test
"""


def custom(tmp_path: Path, name: str, body: str) -> RuleSet:
    path = tmp_path / f"{name}.yaml"
    path.write_text(HEADER.format(name=name) + body, encoding="utf-8")
    return load_rules([path], builtin=False)


def test_lists_come_from_the_rule(tmp_path: Path) -> None:
    rules = custom(
        tmp_path,
        "should-style",
        "test:\n  tests: {function-regex: '^(test|it)_'}\n  checks: {call-regex: '^should_'}\n",
    )
    code = """\
        import pytest


        def it_creates_an_order():
            should_equal(create_order().total, 3)


        def it_does_nothing():
            create_order()


        @pytest.mark.skip(reason="no intentional block: skipped tests are reported too")
        def test_skipped():
            pass


        def test_assert():
            assert create_order()
        """
    assert found(code, "test_x.py", rules) == [8, 13]


def test_the_rule_where_applies(tmp_path: Path) -> None:
    rules = custom(tmp_path, "everywhere", "test: {}\n")
    assert found(NO_ASSERT, "shop/orders.py", rules) == [1]
    rules = custom(tmp_path, "tests-only", "where: {test-file: true}\ntest: {}\n")
    assert found(NO_ASSERT, "shop/orders.py", rules) == []


def test_a_test_rule_needs_its_block(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="test"):
        custom(tmp_path, "no-block", "")
    with pytest.raises(RuleError, match=r"unknown|unexpected|additional"):
        custom(tmp_path, "bad-key", "test: {asserts: [x]}\n")


# --- the rule's own documentation -----------------------------------------------------------------


def test_the_docs_bad_example_is_reported_and_the_good_one_is_not() -> None:
    assert found(RULE.docs.bad) == [6, 10]
    assert found(RULE.docs.good) == []


@given(st.text(max_size=12), st.text(max_size=12))
def test_edit_distance_is_a_distance(a: str, b: str) -> None:
    assert edit_distance(a, a) == 0
    assert edit_distance(a, b) == edit_distance(b, a)
    assert abs(len(a) - len(b)) <= edit_distance(a, b) <= max(len(a), len(b))
