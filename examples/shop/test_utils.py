"""Tests of the shared helpers in utils.py."""

from unittest.mock import Mock

from .utils import page_bounds, with_retries


def test_page_bounds_clamps_the_size():
    assert page_bounds("2", "500") == (100, 100)


def test_with_retries_returns_the_result():
    action = Mock(return_value="ok")
    assert action() == "ok"
    action.assert_called_once_with()


def test_with_retries_retries_connection_errors():
    action = Mock(side_effect=[ConnectionError("reset"), "ok"])
    assert with_retries(action, base_delay=0) == "ok"
    assert action.call_count == 2
