"""The nodes of a module by class, found with one walk of its tree instead of one walk a question.

Several analyses ask a whole module for its calls, functions, imports or assignments, again for
every function or call they look at; on a large module those walks were a tenth of a scan."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import TypeVar, overload

from astroid import nodes

_ALL: weakref.WeakKeyDictionary[nodes.Module, list[nodes.NodeNG]] = weakref.WeakKeyDictionary()
_BY_CLASS: weakref.WeakKeyDictionary[
    nodes.Module, dict[type | tuple[type, ...], list[nodes.NodeNG]]
] = weakref.WeakKeyDictionary()


_N = TypeVar("_N", bound=nodes.NodeNG)
_M = TypeVar("_M", bound=nodes.NodeNG)


@overload
def module_nodes(module: nodes.Module, klass: type[_N]) -> Sequence[_N]: ...
@overload
def module_nodes(module: nodes.Module, klass: tuple[type[_N], type[_M]]) -> Sequence[_N | _M]: ...
def module_nodes(module: nodes.Module, klass: type | tuple[type, ...]) -> Sequence[nodes.NodeNG]:
    """The nodes of ``module`` that are instances of ``klass``, in the order (pre-order) that
    ``module.nodes_of_class(klass)`` yields them."""
    by_class = _BY_CLASS.get(module)
    if by_class is None:
        by_class = _BY_CLASS[module] = {}
    found = by_class.get(klass)
    if found is None:
        everything = _ALL.get(module)
        if everything is None:
            everything = _ALL[module] = list(module.nodes_of_class(nodes.NodeNG))
        found = by_class[klass] = [n for n in everything if isinstance(n, klass)]
    return found
