"""Tools for rule authors: the fixture-annotation parser and the test-rules harness."""
