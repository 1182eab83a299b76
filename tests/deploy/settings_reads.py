"""What settings deployed code reads, found statically (`ast`: nothing is imported or run).

From a handler's module (and, for the console, its Django settings module and the project paths
those settings name), the import graph is walked; a top-level function or class counts only when
something in the graph names it (a module imported whole counts entirely), so a console view
that lists notifications does not "read" the webhooks only the subscriber posts to. Read:

- environment variables: ``os.environ[...]``, ``os.environ.get``, ``.setdefault``,
  ``os.getenv``, an alias of ``os.environ``, ``... in os.environ`` and ``dj_database_url.config``
  (``DATABASE_URL``). Keys built from string literals are resolved: f-strings, loops over literal
  tuples, a helper's parameter filled with literals at its call sites. ``os.environ[KEY]`` under
  ``if os.environ.get(KEY)`` is the same read as the ``get``. A key that cannot be resolved is
  reported with ``setting=None``;
- the configuration object: an access to a field (or method) of `ouroboros.config.Config` in a
  module that imports the configuration reads the variables ``get_config`` derives that field
  from (followed through its local variables by name);
- SSM parameters named by a literal in a call of ``parameter_get`` (setting ``ssm:<name>``);
  a name taken from a setting is covered by that setting's own read.

Each read carries its default (what the code uses when the variable is unset) for the caller to
judge.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from deploy.runtime_env import project_root

ROOT = project_root()
#: What the packages carry of the project (the rings keep handlers inside these).
PACKAGED = ("ouroboros", "lambdas", "console", "reactor_sdk")
CONFIG_MODULE = "ouroboros.config"
#: The project's SSM parameter helper (`ouroboros.aws.parameters`): a literal name it is called
#: with is read as the setting ``ssm:<name>``.
PARAMETER_HELPER = "parameter_get"
SSM_PREFIX = "ssm:"

# --- reads ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Default:
    """What a read yields when the variable is unset."""

    kind: str  # required | unset | literal | computed | call
    text: str = ""


@dataclass(frozen=True)
class SettingRead:
    """One place that reads one setting (``setting`` is None when the key is not resolvable)."""

    setting: str | None
    path: str
    line: int
    default: Default
    via: str
    #: The top-level function or class the read is in (None: module-level code).
    owner: str | None = None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def module_file(name: str, root: Path = ROOT) -> Path | None:
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _with_parents(name: str) -> Iterator[str]:
    parts = name.split(".")
    for end in range(1, len(parts) + 1):
        yield ".".join(parts[:end])


def module_imports(module: str, root: Path = ROOT) -> set[str]:
    """Project modules ``module`` imports anywhere (function bodies included), with parents."""
    return set(_module_imports(module, root))


@cache
def _module_imports(module: str, root: Path) -> frozenset[str]:
    path = module_file(module, root)
    if path is None:
        return frozenset()
    found: set[str] = set()
    for node in ast.walk(_tree(path)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, path.name == "__init__.py", node)
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        for name in names:
            found.update(n for n in _with_parents(name) if module_file(n, root))
    return frozenset(found)


@cache
def _dotted_modules(module: str, root: Path, packages: tuple[str, ...]) -> frozenset[str]:
    """Project modules named by dotted-path strings in ``module`` (Django settings style)."""
    path = module_file(module, root)
    found: set[str] = set()
    if path is None:
        return frozenset()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if not re.fullmatch(r"[A-Za-z_]\w*(\.\w+)+", text):
                continue
            if text.split(".", 1)[0] not in packages:
                continue
            for name in (text, text.rsplit(".", 1)[0]):
                if module_file(name, root):
                    found.add(name)
                    for app_module in ("apps", "models", "admin"):
                        if module_file(f"{name}.{app_module}", root):
                            found.add(f"{name}.{app_module}")
                    break
    return frozenset(found)


def import_graph(
    roots: list[str], root: Path = ROOT, packages: tuple[str, ...] = PACKAGED
) -> list[str]:
    """Every project module reachable from ``roots`` (sorted)."""
    seen: set[str] = set()
    todo = [name for root_name in roots for name in _with_parents(root_name)]
    while todo:
        name = todo.pop()
        if name in seen or not module_file(name, root):
            continue
        seen.add(name)
        todo.extend(module_imports(name, root))
        todo.extend(_dotted_modules(name, root, packages))
    return sorted(seen)


#: Marks a module whose every name is used (imported whole, or named by a dotted string).
EVERYTHING = "*"
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def top_level_owners(tree: ast.Module) -> list[tuple[int, int, str]]:
    """(first line, last line, name) of each top-level function and class."""
    return [(n.lineno, n.end_lineno or n.lineno, n.name) for n in tree.body if isinstance(n, _DEFS)]


def owner_at(owners: list[tuple[int, int, str]], line: int) -> str | None:
    return next((name for first, last, name in owners if first <= line <= last), None)


def names_used(
    graph: list[str], roots: Mapping[str, set[str]], root: Path = ROOT
) -> dict[str, set[str]]:
    """Module -> the names the rest of the graph (and the roots) take from it."""
    used: dict[str, set[str]] = {module: set(roots.get(module, ())) for module in graph}
    for module in graph:
        path = module_file(module, root)
        assert path is not None
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    used.get(alias.name, set()).add(EVERYTHING)
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(module, path.name == "__init__.py", node)
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    if sub in used:
                        used[sub].add(EVERYTHING)
                    elif base in used:
                        used[base].add(EVERYTHING if alias.name == "*" else alias.name)
        for named in _dotted_modules(module, root, PACKAGED):
            used.get(named, set()).add(EVERYTHING)
    return used


def live_owners(module: str, used: set[str], root: Path = ROOT) -> set[str] | None:
    """The top-level functions and classes of ``module`` that can run (None: all of them):
    the used ones, and what they or the module-level code name, transitively."""
    if EVERYTHING in used:
        return None
    path = module_file(module, root)
    assert path is not None
    tree = _tree(path)
    defs = {node.name: node for node in tree.body if isinstance(node, _DEFS)}
    todo = [name for name in used if name in defs]
    for stmt in tree.body:
        if not isinstance(stmt, _DEFS):
            todo.extend(name for name in _loaded_names(stmt) if name in defs)
    live: set[str] = set()
    while todo:
        name = todo.pop()
        if name not in live:
            live.add(name)
            todo.extend(n for n in _loaded_names(defs[name]) if n in defs and n not in live)
    return live


class _ModuleReads:
    """The environment reads of one module, keys resolved where literals allow."""

    def __init__(self, path: Path, relative: str) -> None:
        self.tree = _tree(path)
        self.relative = relative
        self.aliases = self._env_aliases()
        self.fallbacks = self._or_fallbacks()
        self.owners = top_level_owners(self.tree)
        #: Keys an enclosing ``if os.environ.get(KEY)`` proved set (``os.environ[KEY]`` there
        #: is the same read, already recorded with the ``get``'s default).
        self.guards: list[set[str]] = []
        self.reads: dict[tuple[int, int, str | None], SettingRead] = {}

    # what counts as the environment
    def _is_env(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Attribute) and node.attr == "environ":
            return isinstance(node.value, ast.Name) and node.value.id == "os"
        if isinstance(node, ast.Name):
            return node.id in self.aliases or node.id == "environ"
        return False

    def _env_aliases(self) -> set[str]:
        aliases: set[str] = set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Assign):
                values = [node.value]
                if isinstance(node.value, ast.IfExp):
                    values = [node.value.body, node.value.orelse]
                if any(
                    isinstance(v, ast.Attribute)
                    and v.attr == "environ"
                    and isinstance(v.value, ast.Name)
                    and v.value.id == "os"
                    for v in values
                ):
                    aliases.update(t.id for t in node.targets if isinstance(t, ast.Name))
        return aliases

    def _or_fallbacks(self) -> dict[int, ast.expr]:
        """Read node -> the expression used when it is falsy: ``read or B``, and
        ``A if read else B`` (whose ``A`` may then read the key without a default: the guarded
        subscripts are recorded in `guarded`)."""
        fallbacks: dict[int, ast.expr] = {}
        self.guarded: dict[int, set[ast.expr]] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
                for value in node.values[:-1]:
                    fallbacks[id(value)] = node.values[-1]
            elif isinstance(node, ast.IfExp):
                fallbacks[id(node.test)] = node.orelse
                for inner in ast.walk(node.body):
                    self.guarded.setdefault(id(inner), set()).add(node.test)
        return fallbacks

    # statement walk with literal bindings
    def walk(self) -> list[SettingRead]:
        self._body(self.tree.body, {})
        return list(self.reads.values())

    def _body(self, body: list[ast.stmt], scope: dict[str, str]) -> None:
        for stmt in body:
            self._statement(stmt, scope)

    def _statement(self, stmt: ast.stmt, scope: dict[str, str]) -> None:
        for node in _expressions(stmt):
            self._read(node, scope)
        if isinstance(stmt, ast.Assign):
            value = _string(stmt.value, scope)
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    if value is None:
                        scope.pop(target.id, None)
                    else:
                        scope[target.id] = value
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            items = stmt.iter.elts if isinstance(stmt.iter, (ast.Tuple, ast.List)) else None
            for item in items if items is not None else [None]:
                inner = dict(scope)
                if item is not None:
                    _bind(stmt.target, item, inner)
                self._body(stmt.body, inner)
            self._body(stmt.orelse, dict(scope))
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for bindings in self._call_scopes(stmt):
                self._body(stmt.body, {**scope, **bindings})
        elif isinstance(stmt, ast.If):
            self.guards.append(self._tested_keys(stmt.test, scope))
            self._body(stmt.body, dict(scope))
            self.guards.pop()
            self._body(stmt.orelse, dict(scope))
        else:
            for field in ("body", "orelse", "finalbody"):
                self._body(getattr(stmt, field, []), dict(scope))
            for handler in getattr(stmt, "handlers", []):
                self._body(handler.body, dict(scope))
            for case in getattr(stmt, "cases", []):
                self._body(case.body, dict(scope))

    def _call_scopes(
        self, function: ast.FunctionDef | ast.AsyncFunctionDef
    ) -> list[dict[str, str]]:
        """One binding of literal arguments per call site of ``function`` in this module."""
        params = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
        scopes = []
        for node in ast.walk(self.tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id != function.name:
                continue
            bindings = {}
            pairs = [
                *zip(params, node.args, strict=False),
                *((k.arg, k.value) for k in node.keywords),
            ]
            for name, arg in pairs:
                value = _string(arg, {})
                if name and value is not None:
                    bindings[name] = value
            scopes.append(bindings)
        return scopes or [{}]

    def _tested_keys(self, test: ast.expr, scope: dict[str, str]) -> set[str]:
        keys = set()
        for node in ast.walk(test):
            found = self._match(node)
            if found is not None and found[0] is not None and found[1] != "required":
                key = _string(found[0], scope)
                if key is not None:
                    keys.add(key)
        return keys

    # one read
    def _read(self, node: ast.AST, scope: dict[str, str]) -> None:
        found = self._match(node)
        if found is None or not isinstance(node, ast.expr):
            return
        key, default_node, via = found
        setting = _string(key, scope) if key is not None else "DATABASE_URL"
        if via == PARAMETER_HELPER:
            if setting is None:
                return  # a name taken from a setting, which is a read of its own
            setting = f"{SSM_PREFIX}{setting}"
        if default_node == "required" and any(setting in keys for keys in self.guards):
            return
        if default_node == "required" and any(
            setting in self._tested_keys(test, scope) for test in self.guarded.get(id(node), ())
        ):
            return  # ``env[KEY] if env.get(KEY) else B``: the test's read, with B as default
        default = self._default(node, default_node, scope)
        owner = owner_at(self.owners, node.lineno)
        read = SettingRead(setting, self.relative, node.lineno, default, via, owner)
        self.reads[(read.line, node.col_offset, setting)] = read

    def _match(self, node: ast.AST) -> tuple[ast.expr | None, ast.expr | str | None, str] | None:
        """(key, default expression or kind, how) when ``node`` reads the environment."""
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Load)
            and self._is_env(node.value)
        ):
            return node.slice, "required", "os.environ[...]"
        if (
            isinstance(node, ast.Compare)
            and isinstance(node.ops[0], ast.In)
            and self._is_env(node.comparators[0])
        ):
            return node.left, None, "... in os.environ"
        if not isinstance(node, ast.Call) or (not node.args and not node.keywords):
            return None
        func = node.func
        default = node.args[1] if len(node.args) > 1 else None
        helper = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if helper == PARAMETER_HELPER and node.args:
            return node.args[0], "required", PARAMETER_HELPER
        if (
            isinstance(func, ast.Attribute)
            and func.attr in ("get", "setdefault")
            and self._is_env(func.value)
        ):
            return node.args[0], default, f"os.environ.{func.attr}"
        if (isinstance(func, ast.Attribute) and func.attr == "getenv") or (
            isinstance(func, ast.Name) and func.id == "getenv"
        ):
            return node.args[0], default, "os.getenv"
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "config"
            and isinstance(func.value, ast.Name)
            and func.value.id == "dj_database_url"
        ):
            keywords = {k.arg: k.value for k in node.keywords}
            return keywords.get("env"), keywords.get("default"), "dj_database_url.config"
        return None

    def _default(
        self, node: ast.AST, default: ast.expr | str | None, scope: dict[str, str]
    ) -> Default:
        if default == "required":
            return Default("required")
        if default is None:
            default = self.fallbacks.get(id(node))
        if default is None or isinstance(default, str):
            return Default("unset")
        if isinstance(default, ast.Constant):
            if default.value is None:
                return Default("unset")
            return Default("literal", str(default.value))
        if isinstance(default, ast.JoinedStr):
            return Default("literal", _template(default, scope))
        if isinstance(default, ast.Call):
            return Default("call", ast.unparse(default))
        value = _string(default, scope)
        return Default("literal", value) if value is not None else Default("computed")


def _expressions(stmt: ast.stmt) -> Iterator[ast.AST]:
    """The expressions of ``stmt`` itself (not of the statements nested in it)."""
    todo = [c for c in ast.iter_child_nodes(stmt) if not isinstance(c, ast.stmt)]
    while todo:
        node = todo.pop()
        yield node
        todo.extend(c for c in ast.iter_child_nodes(node) if not isinstance(c, ast.stmt))


def _string(node: ast.AST, scope: Mapping[str, str]) -> str | None:
    """The value of a string expression built from literals and bound names, else None."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.Name):
        return scope.get(node.id)
    if isinstance(node, ast.JoinedStr):
        parts = [_string(v, scope) for v in node.values]
        return None if None in parts else "".join(p or "" for p in parts)
    if isinstance(node, ast.FormattedValue):
        return _string(node.value, scope)
    if isinstance(node, ast.IfExp) and isinstance(node.test, ast.Name):
        test = scope.get(node.test.id)
        return None if test is None else _string(node.body if test else node.orelse, scope)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _string(node.left, scope), _string(node.right, scope)
        return None if left is None or right is None else left + right
    return None


def _template(node: ast.JoinedStr, scope: Mapping[str, str]) -> str:
    """An f-string with what cannot be resolved shown as ``{...}``."""
    parts = []
    for value in node.values:
        text = _string(value, scope)
        parts.append("{...}" if text is None else text)
    return "".join(parts)


def _bind(target: ast.expr, item: ast.expr, scope: dict[str, str]) -> None:
    if isinstance(target, ast.Name):
        value = _string(item, scope)
        if value is not None:
            scope[target.id] = value
    elif isinstance(target, ast.Tuple) and isinstance(item, ast.Tuple):
        for sub_target, sub_item in zip(target.elts, item.elts, strict=False):
            _bind(sub_target, sub_item, scope)


# --- the configuration object --------------------------------------------------------------


def _stored_names(stmt: ast.stmt) -> set[str]:
    names = {
        n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    for node in ast.walk(stmt):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("append", "extend", "add", "update", "insert")
            and isinstance(node.func.value, ast.Name)
        ):
            names.add(node.func.value.id)
    return names


def _loaded_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _within(read: SettingRead, node: ast.stmt | ast.expr) -> bool:
    return node.lineno <= read.line <= (node.end_lineno or node.lineno)


@cache
def config_fields(root: Path = ROOT) -> dict[str, tuple[SettingRead, ...]]:
    """Config field or method -> the reads ``get_config`` derives it from (data flow by name)."""
    path = module_file(CONFIG_MODULE, root)
    assert path is not None
    relative = str(path.relative_to(root))
    reads = _ModuleReads(path, relative).walk()
    tree = _tree(path)
    function = next(
        n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "get_config"
    )
    taint: dict[str, set[SettingRead]] = {}
    fields: dict[str, tuple[SettingRead, ...]] = {}
    for stmt in function.body:
        if isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Call):
            for keyword in stmt.value.keywords:
                flow = {r for r in reads if _within(r, keyword.value)}
                for name in _loaded_names(keyword.value):
                    flow |= taint.get(name, set())
                fields[keyword.arg or ""] = tuple(sorted(flow, key=lambda r: r.line))
            continue
        flow = {r for r in reads if _within(r, stmt)}
        for name in _loaded_names(stmt):
            flow |= taint.get(name, set())
        for name in _stored_names(stmt):
            taint[name] = taint.get(name, set()) | flow
    config_class = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Config")
    for method in config_class.body:
        if isinstance(method, ast.FunctionDef):
            used = {
                n.attr
                for n in ast.walk(method)
                if isinstance(n, ast.Attribute)
                and isinstance(n.value, ast.Name)
                and n.value.id == "self"
            }
            flow_reads = {r for attr in used for r in fields.get(attr, ())}
            fields[method.name] = tuple(sorted(flow_reads, key=lambda r: r.line))
    return fields


def _imports_config(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == CONFIG_MODULE:
            return True
        if isinstance(node, ast.Import) and any(a.name == CONFIG_MODULE for a in node.names):
            return True
    return False


def module_reads(module: str, root: Path = ROOT) -> list[SettingRead]:
    """Every setting ``module`` reads: its environment reads and its configuration fields."""
    return list(_module_reads(module, root))


@cache
def _module_reads(module: str, root: Path) -> tuple[SettingRead, ...]:
    """`module_reads`, once per module (every function's graph holds most of the same modules;
    the trees are cached too, `_tree`)."""
    path = module_file(module, root)
    if path is None:
        return ()
    relative = str(path.relative_to(root))
    if module == CONFIG_MODULE:
        return ()  # its reads count where a field is used (`config_fields`)
    reads = _ModuleReads(path, relative).walk()
    tree = _tree(path)
    if not _imports_config(tree) or not module_file(CONFIG_MODULE, root):
        return tuple(reads)
    fields = config_fields(root)
    owners = top_level_owners(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in fields:
            for read in fields[node.attr]:
                via = f"config.{node.attr} <- {read.where} {read.via}"
                owner = owner_at(owners, node.lineno)
                reads.append(
                    SettingRead(read.setting, relative, node.lineno, read.default, via, owner)
                )
    return tuple(reads)


def handler_reads(
    module: str, handler: str, extra_roots: tuple[str, ...] = (), root: Path = ROOT
) -> list[SettingRead]:
    """Every setting read by code that can run from ``module.handler`` (and ``extra_roots``,
    loaded whole)."""
    roots = [module, *extra_roots]
    graph = import_graph(roots, root)
    entry = {module: {handler}, **{extra: {EVERYTHING} for extra in extra_roots}}
    used = names_used(graph, entry, root)
    found = []
    for name in graph:
        live = live_owners(name, used[name], root)
        found += [
            read
            for read in module_reads(name, root)
            if read.owner is None or live is None or read.owner in live
        ]
    return found
