"""``mode: money``: what a reviewer expects to be told about money held in floats, and what
must stay silent (Decimal, integer cents, rates, non-money floats)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from aiscan import load_rules, scan_source
from aiscan.loader import RuleError, RuleSet
from aiscan.matchers.money import split_words

RULE_FILE = Path(__file__).resolve().parents[2] / "rules" / "money" / "float-money.yaml"

HEADER = """\
id: TST404
name: money-test
category: float-money
cwe: [1339]
severity: warning
confidence: medium
message: "arithmetic {name}: {value}"
summary: A test rule.
docs: {why: w, bad: b, good: g}
since: 0.3.0
mode: money
"""

MONEY = """\
money:
  money-words-regex: '^(price|amount|total|fee|tax|balance|cost)$'
  minor-units-words-regex: '^cents$'
  ambiguous-words-regex: '^(total|balance|cost)$'
  not-money-words-regex: '^(rate|ratio|seconds|count|factor|function)$'
  skip-files-importing: [torch]
  to-integer: [int]
  messages:
    conversion: "conversion {name}: {value}"
    decimal: "decimal {name}: {value}"
    round: "round {name}: {value}"
    annotation: "annotation {name}: {value}"
  fields:
    - types: [django.db.models.FloatField]
      message: "django {name}"
    - types: [sqlalchemy.Float]
      unless-args: [{keyword: asdecimal, value: {equals: true}}]
      message: "sqlalchemy {name} {type}"
  annotation-wrappers:
    - types: [sqlalchemy.orm.Mapped]
      message: "mapped {name}: {value}"
"""


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    path = tmp_path_factory.mktemp("rules") / "money-test.yaml"
    path.write_text(HEADER + MONEY, encoding="utf-8")
    return load_rules([path], builtin=False)


def found(rules: RuleSet, code: str, filename: str = "shop.py") -> list[tuple[int, str]]:
    result = scan_source(textwrap.dedent(code), filename, rules=rules)
    assert not result.errors, result.errors
    return sorted((f.line, f.message) for f in result.findings)


def lines(rules: RuleSet, code: str, filename: str = "shop.py") -> list[int]:
    return [line for line, _ in found(rules, code, filename)]


def test_identifier_words_split_snake_and_camel_case() -> None:
    assert split_words("unit_price") == ["unit", "price"]
    assert split_words("totalAmount") == ["total", "amount"]
    assert split_words("priceUSD") == ["price", "usd"]
    assert split_words("HTTPTimeout") == ["http", "timeout"]


def test_float_conversion_of_a_money_value_is_reported_at_the_call(rules: RuleSet) -> None:
    code = """\
        def parse(form):
            price = float(form["price"])
            amount = float(form.get("amount"))
            lat = float(form["lat"])
            return price, amount, lat
        """
    assert found(rules, code) == [
        (2, "conversion price: float(form['price'])"),
        (3, "conversion amount: float(form.get('amount'))"),
    ]


def test_float_arithmetic_needs_a_float_made_in_the_chain(rules: RuleSet) -> None:
    code = """\
        def gross(price, quantity, vat):
            a = price * 1.19
            b = price * quantity
            c = price * vat
            return a, b, c
        """
    # Only the float literal proves a float: price * quantity may be Decimal arithmetic.
    assert lines(rules, code) == [2]


def test_one_finding_per_chain(rules: RuleSet) -> None:
    code = """\
        def gross(price, shipping):
            return round((price * 1.19 + shipping) * 0.98 - 0.5, 2)
        """
    assert found(rules, code) == [
        (2, "round price: round((price * 1.19 + shipping) * 0.98 - 0.5, 2)"),
    ]


def test_cents_divided_with_true_division_make_a_float(rules: RuleSet) -> None:
    code = """\
        def convert(price_cents, order_cents):
            dollars = price_cents / 100
            whole = price_cents // 100
            doubled = price_cents * 2
            share_of_order = price_cents / order_cents
            return dollars, whole, doubled, share_of_order
        """
    # cents // 100 and cents * 2 stay integers; cents / cents is a ratio.
    assert lines(rules, code) == [2]


def test_display_comparison_and_whole_cents_are_not_holding_money(rules: RuleSet) -> None:
    code = """\
        import logging

        def show(price_cents, price, log=logging.getLogger()):
            a = f"{price_cents / 100:.2f}"
            b = "%.2f" % (price_cents / 100)
            c = "{:.2f}".format(price_cents / 100)
            log.info("charged %.2f", price_cents / 100)
            d = str(price_cents / 100)
            if price_cents / 100 > 10:
                pass
            e = int(round(price * 1.0 * 100))
            f = int(price * 100.0)
            g = round(price * 100.0)
            return a, b, c, d, e, f, g
        """
    assert lines(rules, code) == []


def test_rates_ratios_and_non_money_quantities_are_not_money(rules: RuleSet) -> None:
    code = """\
        def f(elapsed, tax_rate, load, price, cost):
            total_seconds = elapsed / 1000.0
            rate = float(tax_rate)
            balance_factor = load * 0.75
            ratio = price / cost * 1.0
            return total_seconds, rate, balance_factor, ratio
        """
    assert lines(rules, code) == []


def test_money_times_a_float_rate_is_money(rules: RuleSet) -> None:
    code = """\
        def tax_for(amount, tax_rate: float):
            return amount * tax_rate
        """
    assert lines(rules, code) == [2]


def test_ambiguous_words_count_only_in_a_file_that_speaks_of_money(rules: RuleSet) -> None:
    alone = """\
        def coverage(total, hits):
            total = hits * 100.0
            return total
        """
    assert lines(rules, alone) == []
    with_money = textwrap.dedent(alone) + "\n\ndef price_of(x):\n    return x\n"
    assert lines(rules, with_money) == [2]


def test_round_is_reported_even_on_a_float_reported_where_it_was_made(rules: RuleSet) -> None:
    code = """\
        from decimal import Decimal, ROUND_HALF_UP

        def total_of(price, fee):
            total = price * 1.19 + fee
            return round(total, 2)

        def total_decimal(price: Decimal) -> Decimal:
            total = price * Decimal("1.19")
            return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

        def rounded_count(count):
            return round(count * 1.5, 2)
        """
    assert found(rules, code) == [
        (4, "arithmetic price: price * 1.19 + fee"),
        (5, "round total: round(total, 2)"),
    ]


def test_a_name_bound_to_a_reported_float_is_not_reported_again(rules: RuleSet) -> None:
    code = """\
        def f(form, quantity):
            price = float(form["price"])
            subtotal = price * quantity
            rate = float(form["rate"])
            fee = quantity * rate
            return subtotal, fee
        """
    # subtotal: price is already reported on line 2; fee: the float came from a rate.
    assert lines(rules, code) == [2, 5]


def test_float_annotation_on_a_money_parameter_is_the_root_cause(rules: RuleSet) -> None:
    code = """\
        def line_total(price: float, quantity: int, weight: float) -> float:
            return price * quantity
        """
    assert found(rules, code) == [(1, "annotation price: float")]


def test_decimal_converted_to_float(rules: RuleSet) -> None:
    code = """\
        from decimal import Decimal

        def f(raw, d: Decimal):
            value = Decimal(raw)
            a = float(value)
            b = float(d.quantize(Decimal("0.01")))
            c = str(value)
            return a, b, c

        INVOICE_FIELDS = ("unit_price", "quantity")
        """
    assert lines(rules, code) == [5, 6]
    assert found(rules, code)[0][1] == "decimal value: float(value)"


def test_decimal_converted_to_float_where_the_code_is_not_about_money(rules: RuleSet) -> None:
    # A generic JSON encoder turns every Decimal into a float: nothing says it holds money.
    code = """\
        from decimal import Decimal

        def decimal_encoder(dec_value: Decimal):
            if dec_value.as_tuple().exponent >= 0:
                return int(dec_value)
            return float(dec_value)
        """
    assert lines(rules, code) == []


def test_model_fields_and_columns_declared_float(rules: RuleSet) -> None:
    code = """\
        from dataclasses import dataclass
        from decimal import Decimal
        from django.db import models
        from sqlalchemy import Column, Float
        from sqlalchemy.orm import Mapped, mapped_column

        class Product(models.Model):
            price = models.FloatField()
            weight = models.FloatField()

        class Invoice:
            amount = Column(Float)
            fee = Column(Float(asdecimal=True))
            balance: Mapped[float] = mapped_column()
            tax: Mapped[Decimal] = mapped_column()

        @dataclass
        class Line:
            price: float
            tax_rate: float
        """
    assert found(rules, code) == [
        (8, "django price"),
        (12, "sqlalchemy amount sqlalchemy.Float"),
        (14, "mapped balance: Mapped[float]"),
        (19, "annotation price: float"),
    ]


def test_float_fields_are_followed_into_other_functions(rules: RuleSet) -> None:
    code = """\
        from django.db import models

        class Product(models.Model):
            price = models.FloatField()
            price_cents = models.IntegerField()

        def cart_total(items):
            return sum(i.price for i in items)

        def cart_total_cents(items):
            return sum(i.price_cents for i in items)
        """
    assert lines(rules, code) == [4, 8]


def test_float_fields_are_followed_across_modules(rules: RuleSet, tmp_path: Path) -> None:
    from aiscan import scan

    pkg = tmp_path / "shop"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "models.py").write_text(
        "from django.db import models\n\n\nclass Product(models.Model):\n"
        "    price = models.FloatField()\n",
        encoding="utf-8",
    )
    (pkg / "billing.py").write_text(
        "from .models import Product\n\n\ndef total(items):\n"
        "    return sum(i.price for i in items)\n",
        encoding="utf-8",
    )
    result = scan([tmp_path], rules=rules, root=tmp_path)
    assert sorted((Path(f.path).name, f.line) for f in result.findings) == [
        ("billing.py", 5),
        ("models.py", 5),
    ]


def test_function_names_and_callers_say_what_a_value_is(rules: RuleSet) -> None:
    code = """\
        def calculate_total(a, b):
            return (a + b) * 1.08

        def parse_value(raw):
            return float(raw)

        def checkout(form):
            fee = parse_value(form["x"])
            return fee
        """
    assert lines(rules, code) == [2, 5]


def test_files_of_numerical_libraries_are_skipped(rules: RuleSet) -> None:
    code = """\
        import torch

        def step(loss, price):
            return float(loss) * 0.5 + price * 1.0
        """
    assert lines(rules, code) == []


def test_the_built_in_rule_loads_and_its_doc_examples_behave() -> None:
    ruleset = load_rules([RULE_FILE], builtin=False)
    rule = next(r for r in ruleset.rules if r.id == "AIS404")
    bad = scan_source(rule.docs.bad, "shop.py", rules=ruleset)
    good = scan_source(rule.docs.good, "shop.py", rules=ruleset)
    assert not bad.errors and not good.errors
    assert bad.findings, "the bad example must be reported"
    assert not good.findings, [f.message for f in good.findings]


def test_test_files_are_not_checked_by_the_built_in_rule() -> None:
    ruleset = load_rules([RULE_FILE], builtin=False)
    code = "def f(form):\n    return float(form['price'])\n"
    assert scan_source(code, "shop.py", rules=ruleset).findings
    assert not scan_source(code, "tests/test_shop.py", rules=ruleset).findings


def test_a_money_rule_without_its_block_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "money-test.yaml"
    path.write_text(HEADER, encoding="utf-8")
    with pytest.raises(RuleError):
        load_rules([path], builtin=False)
