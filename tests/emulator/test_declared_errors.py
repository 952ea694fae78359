"""The emulator raises only the errors the service model declares for an operation.

Read from the source, not from requests: responses.py, models.py and validation.py are
parsed with ``ast``, and each operation's handler (``SsmIncidentsResponse.<method>``)
is followed through every function it can reach: the backend's method of the same name,
the backend's helpers and properties, the validation functions, nested functions
(``refuse``), and the ``finish`` of a status change, which ``_settle`` runs. Every
exception class constructed or raised on the way is an error the operation can answer,
and its ``code`` must be one the model declares for it (``operations.declared_errors``).

What this cannot see: errors raised inside moto or botocore code that the emulator calls
(moto's paginator, KMS); the backend catches those it expects.
"""

import ast
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TypeGuard

import pytest

from emulator.operations import declared_errors, implemented_operations, method_name
from emulator.ssmincidents import models, responses, validation

#: The modules read, by the short name of function keys ("models:Class.method").
MODULES: dict[str, ModuleType] = {
    "responses": responses,
    "models": models,
    "validation": validation,
}
HANDLER_CLASS = "SsmIncidentsResponse"
BACKEND_CLASS = "SsmIncidentsBackend"
OPERATIONS = sorted(implemented_operations())
Scope = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class Function:
    key: str  # "models:SsmIncidentsBackend._find", "models:...<locals>.refuse"
    module: str
    cls: str | None
    node: Scope
    parent: "Function | None" = None
    nested: dict[str, str] = field(default_factory=dict)  # name -> key


@dataclass
class Found:
    """What one function does itself: the functions it calls, the exception classes it
    constructs or raises (with a line), and the raises that name nothing known."""

    calls: set[str] = field(default_factory=set)
    errors: dict[type[BaseException], int] = field(default_factory=dict)
    unresolved: list[str] = field(default_factory=list)


def _is_definition(node: ast.AST) -> TypeGuard[Scope | ast.ClassDef]:
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)


def _is_error_class(value: object) -> TypeGuard[type[BaseException]]:
    return isinstance(value, type) and issubclass(value, BaseException)


def _own_nodes(scope: Scope) -> Iterator[ast.AST]:
    """The nodes of ``scope``'s body, less the functions and classes defined in it."""
    stack: list[ast.AST] = [node for node in scope.body if not _is_definition(node)]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(c for c in ast.iter_child_nodes(node) if not _is_definition(c))


def _defined_in(scope: Scope) -> Iterator[Scope]:
    """The functions defined in ``scope``, in any of its blocks."""
    for node in [scope, *_own_nodes(scope)]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                yield child


class Analysis:
    """The call graph of the modules, as parsed into ``trees``."""

    def __init__(self, trees: dict[str, ast.Module]) -> None:
        self.functions: dict[str, Function] = {}
        for module, tree in trees.items():
            for node in tree.body:
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    self._index(module, None, node, f"{module}:{node.name}")
                if not isinstance(node, ast.ClassDef):
                    continue
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                        key = f"{module}:{node.name}.{item.name}"
                        self._index(module, node.name, item, key)
        self.found = {key: self._read(f) for key, f in self.functions.items()}

    def _index(
        self,
        module: str,
        cls: str | None,
        node: Scope,
        key: str,
        parent: Function | None = None,
    ) -> None:
        function = Function(key, module, cls, node, parent)
        self.functions[key] = function
        for inner in _defined_in(node):
            inner_key = f"{key}.<locals>.{inner.name}"
            function.nested[inner.name] = inner_key
            self._index(module, cls, inner, inner_key, function)

    def _nested(self, function: Function, name: str) -> str | None:
        scope: Function | None = function
        while scope is not None:
            if name in scope.nested:
                return scope.nested[name]
            scope = scope.parent
        return None

    def _global(self, function: Function, name: str) -> object:
        return vars(MODULES[function.module]).get(name)

    def _key_of(self, value: object) -> str | None:
        """The key of a function, or of a class's ``__init__``, of the modules read."""
        module = getattr(value, "__module__", None)
        shorts = [short for short, m in MODULES.items() if m.__name__ == module]
        if not shorts:
            return None
        key = f"{shorts[0]}:{getattr(value, '__qualname__', '')}"
        if isinstance(value, type):
            key += ".__init__"
        return key if key in self.functions else None

    def _read(self, function: Function) -> Found:
        found = Found()
        nodes = list(_own_nodes(function.node))
        # In ``raise X from Y()``, Y is the cause, not the answer.
        causes = {
            id(inner)
            for node in nodes
            if isinstance(node, ast.Raise) and node.cause is not None
            for inner in ast.walk(node.cause)
        }
        for node in nodes:
            if id(node) in causes:
                continue
            if isinstance(node, ast.Call):
                self._read_call(function, node, found)
            elif isinstance(node, ast.Raise) and node.exc is not None:
                self._read_raise(function, node, found)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                found.calls |= self._attribute_calls(function, node.value.id, node.attr)
        return found

    def _read_call(self, function: Function, node: ast.Call, found: Found) -> None:
        func = node.func
        if isinstance(func, ast.Name):
            nested = self._nested(function, func.id)
            value = self._global(function, func.id)
            if nested:
                found.calls.add(nested)
            elif _is_error_class(value):
                found.errors.setdefault(value, node.lineno)
            elif key := self._key_of(value):
                found.calls.add(key)
            return
        if not isinstance(func, ast.Attribute):
            return
        if isinstance(func.value, ast.Name) and func.value.id == "self":
            return  # read as an attribute of self
        if function.module == "responses":
            # The handler's calls on the backend: ``backend.<method>(...)``.
            key = f"models:{BACKEND_CLASS}.{func.attr}"
            if key in self.functions:
                found.calls.add(key)
        # A function kept on an object and called later: a status change's ``finish``.
        found.calls.update(
            key
            for key, other in self.functions.items()
            if other.parent and other.module == function.module
            if other.node.name == func.attr
        )

    def _read_raise(self, function: Function, node: ast.Raise, found: Found) -> None:
        exc = node.exc
        name = exc.func if isinstance(exc, ast.Call) else exc
        if isinstance(name, ast.Name):
            value = self._global(function, name.id)
            if _is_error_class(value):
                found.errors.setdefault(value, node.lineno)
                return
            if self._nested(function, name.id) or self._key_of(value):
                return  # a call, followed: what it returns is constructed there
        where = f"{function.key}, line {node.lineno}"
        found.unresolved.append(f"{where}: {ast.unparse(node)}")

    def _attribute_calls(self, function: Function, name: str, attr: str) -> set[str]:
        """What ``<name>.<attr>`` calls: a method or property of self, or a function of
        a module read."""
        if name == "self" and function.cls:
            key = f"{function.module}:{function.cls}.{attr}"
            return {key} if key in self.functions else set()
        module = self._global(function, name)
        keys = {f"{short}:{attr}" for short, m in MODULES.items() if m is module}
        return keys & set(self.functions)

    def reachable(self, root: str) -> dict[str, list[str]]:
        """Every function ``root`` can reach, with the path that reaches it."""
        paths = {root: [root]}
        queue = deque([root])
        while queue:
            key = queue.popleft()
            for callee in sorted(self.found[key].calls - set(paths)):
                paths[callee] = [*paths[key], callee]
                queue.append(callee)
        return paths

    def errors(self, root: str) -> dict[type[BaseException], str]:
        """Each exception class ``root`` can raise, with where and how it is reached."""
        errors: dict[type[BaseException], str] = {}
        for key, path in self.reachable(root).items():
            for error, line in self.found[key].errors.items():
                errors.setdefault(error, f"{' -> '.join(path)} (line {line})")
        return errors

    def unresolved(self) -> list[str]:
        return [line for found in self.found.values() for line in found.unresolved]


def parsed() -> dict[str, ast.Module]:
    return {
        short: ast.parse(Path(str(module.__file__)).read_text())
        for short, module in MODULES.items()
    }


ANALYSIS = Analysis(parsed())


def handler(operation: str) -> str:
    return f"responses:{HANDLER_CLASS}.{method_name(operation)}"


def backend_method(operation: str) -> str:
    return f"models:{BACKEND_CLASS}.{method_name(operation)}"


def undeclared(analysis: Analysis, operation: str) -> dict[str, str]:
    """The errors ``operation`` can raise that its model does not declare."""
    allowed = declared_errors(operation)
    return {
        error.__name__: where
        for error, where in analysis.errors(handler(operation)).items()
        if getattr(error, "code", None) not in allowed
    }


@pytest.mark.parametrize("operation", OPERATIONS)
def test_each_operation_raises_only_errors_its_model_declares(operation: str) -> None:
    found = undeclared(ANALYSIS, operation)
    declared = sorted(declared_errors(operation))
    assert not found, (
        f"{operation} can answer errors its service model does not declare "
        f"(it declares {declared}): {found}"
    )


@pytest.mark.parametrize("operation", OPERATIONS)
def test_each_handler_calls_the_backend_method_of_its_operation(operation: str) -> None:
    assert handler(operation) in ANALYSIS.functions
    assert backend_method(operation) in ANALYSIS.found[handler(operation)].calls


@pytest.mark.parametrize("operation", OPERATIONS)
def test_each_backend_method_is_seen_to_raise_something(operation: str) -> None:
    """So that the rule above cannot hold for want of finding any raise."""
    found = ANALYSIS.errors(backend_method(operation))
    assert found, f"no raise found under {backend_method(operation)}: a blind analysis?"


def test_every_raise_names_an_error_class_or_a_function_that_builds_one() -> None:
    assert ANALYSIS.unresolved() == []


def with_raise(where: str, statement: str) -> Analysis:
    """The analysis of the sources with ``statement`` first in the function ``where``
    ("models:Class.method", "models:Class.method.<locals>.inner")."""
    trees = parsed()
    module, qualname = where.split(":")
    body: list[ast.stmt] = trees[module].body
    for name in qualname.replace(".<locals>", "").split("."):
        body = next(n for n in body if _is_definition(n) and n.name == name).body
    body.insert(0, ast.parse(statement).body[0])
    return Analysis(trees)


@pytest.mark.parametrize(
    ("where", "error", "op"),
    [
        (
            f"models:{BACKEND_CLASS}.list_tags_for_resource",
            "ConflictException",
            "ListTagsForResource",
        ),
        (
            f"models:{BACKEND_CLASS}._find",
            "ServiceQuotaExceededException",
            "GetReplicationSet",
        ),
        (
            f"models:{BACKEND_CLASS}._resolve_key.<locals>.refuse",
            "ResourceNotFoundException",
            "CreateReplicationSet",
        ),
    ],
    ids=["in-the-operation", "in-a-helper", "in-a-nested-function"],
)
def test_an_undeclared_raise_breaks_the_rule(where: str, error: str, op: str) -> None:
    analysis = with_raise(where, f"raise {error}('undeclared')")
    assert error in undeclared(analysis, op)


def test_a_declared_raise_with_a_cause_keeps_the_rule() -> None:
    statement = "raise ValidationException('declared') from ValueError('a cause')"
    analysis = with_raise("validation:check_region_name", statement)
    broken = {op: undeclared(analysis, op) for op in OPERATIONS}
    assert broken == {op: {} for op in OPERATIONS}
