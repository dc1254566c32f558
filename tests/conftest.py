"""Fixtures shared by test folders."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

MakeVenv = Callable[..., Path]


def make_fake_venv(where: Path, source: str = "def real(x):\n    return x\n") -> Path:
    """A virtual environment (no pip) with one hand-made distribution, ``fake-dist`` 1.2.3,
    which installs the module ``fakemod`` (its import name differs from its name) holding
    ``source``, and nothing else."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(where)], check=True, timeout=120
    )
    site = next(where.glob("lib/python*/site-packages"))
    (site / "fakemod").mkdir()
    (site / "fakemod" / "__init__.py").write_text(source)
    info = site / "fake_dist-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-dist\nVersion: 1.2.3\n")
    (info / "top_level.txt").write_text("fakemod\n")
    return where


@pytest.fixture(scope="session")
def make_venv() -> MakeVenv:
    """``make_venv(where, source=...)``: see make_fake_venv."""
    return make_fake_venv


@pytest.fixture(autouse=True, scope="session")
def _private_rule_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The tests keep the compiled rule-pack cache in a folder of their own, not the user's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AISCAN_CACHE_DIR", str(tmp_path_factory.mktemp("rule-cache")))
        yield


@pytest.fixture(autouse=True)
def _result_cache_in_a_temporary_folder(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``aiscan scan`` keeps a result cache at the scan root by default. In the tests (those
    that call the command line in this process) it goes to a folder of each test's own: never
    into the repository (examples/, the fixtures), nor from one test to the next."""
    from aiscan.engine import cache

    folder = tmp_path_factory.mktemp("results")
    monkeypatch.setattr(cache, "default_location", lambda root: folder)
