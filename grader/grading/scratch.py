"""Is the learner's Dropout written from scratch? Find torch's own dropout in their code.

Two complementary views:
  torch_dropout_uses(source)  static: reads the code (ast), resolving import aliases,
                              simple assignments, getattr/__dict__/vars with constant strings
                              and __import__/importlib/sys.modules with constant names.
  record_torch_dropout_calls() dynamic (in the check kit, so notebooks use it too): a
                              context manager for the child process that wraps
                              torch's dropout callables and records which ones ran, so
                              obfuscated calls the static view cannot resolve are caught too.
                              Enter it BEFORE the learner's code is executed, or a reference
                              the code grabbed earlier bypasses the wrappers.
"""
import ast

from grader.payload.checkkit import record_torch_dropout_calls  # noqa: F401 (the guard)

# IPython lines that are not Python (magics, shell escapes) are dropped before parsing.
_NOT_PYTHON = ("%", "!")


def _is_torch_dropout(dotted):
    """A dotted name inside torch whose path mentions dropout (F.dropout, nn.Dropout2d,
    torch._VF.feature_alpha_dropout, torch.nn.modules.dropout.Dropout, ...)."""
    parts = dotted.split(".")
    return parts[0] == "torch" and any("dropout" in part.lower() for part in parts[1:])


def _const_str(node):
    """The value of a string built only from constants ('drop' + 'out', f'drop{"out"}')."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _const_str(node.left), _const_str(node.right)
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.JoinedStr):
        parts = [_const_str(v.value if isinstance(v, ast.FormattedValue) else v)
                 for v in node.values]
        return "".join(parts) if None not in parts else None
    return None


class _Resolver:
    """Maps local names to the dotted torch paths they stand for (flat, whole-module scope)."""

    def __init__(self, tree):
        self.alias = {}     # local name -> dotted path
        self.star = []      # modules star-imported: `from torch.nn.functional import *`
        self.local = set()  # names the learner binds themselves (defs, args, targets)
        self._collect(tree)

    def _collect(self, tree):
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        self.alias[a.asname] = a.name
                    else:
                        top = a.name.split(".")[0]
                        self.alias[top] = top
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    if a.name == "*":
                        self.star.append(node.module)
                    else:
                        self.alias[a.asname or a.name] = f"{node.module}.{a.name}"
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.local.add(node.name)
            elif isinstance(node, ast.arg):
                self.local.add(node.arg)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                self.local.add(node.id)
        # `F = torch.nn.functional`, `d = F.dropout`: repeat until nothing new resolves
        assigns = [n for n in ast.walk(tree) if isinstance(n, (ast.Assign, ast.AnnAssign))
                   and n.value is not None]
        changed = True
        while changed:
            changed = False
            for node in assigns:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                path = self.resolve(node.value)
                for t in targets:
                    if path and isinstance(t, ast.Name) and self.alias.get(t.id) != path:
                        self.alias[t.id] = path
                        changed = True

    def resolve(self, node):
        """The dotted torch path an expression refers to, or None."""
        if isinstance(node, ast.Name):
            if node.id in self.alias:
                return self.alias[node.id]
            if node.id not in self.local:
                for module in self.star:
                    if _is_torch_dropout(f"{module}.{node.id}"):
                        return f"{module}.{node.id}"
            return None
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            if base is None:
                return None
            return base if node.attr == "__dict__" else f"{base}.{node.attr}"
        if isinstance(node, ast.Subscript):
            return self._subscript(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        return None

    def _subscript(self, node):
        """X.__dict__['dropout'], vars(X)['dropout'], sys.modules['torch.nn.functional']."""
        key = _const_str(node.slice)
        if key is None:
            return None
        value = node.value
        if (isinstance(value, ast.Attribute) and value.attr == "modules"
                and isinstance(value.value, ast.Name) and value.value.id == "sys"):
            return key
        base = self.resolve(value)
        return f"{base}.{key}" if base else None

    def _call(self, node):
        """getattr(X, 'dropout'), vars(X), __import__('torch'), importlib.import_module(...)."""
        func, args = node.func, node.args
        name = func.id if isinstance(func, ast.Name) else None
        if name == "getattr" and len(args) >= 2:
            base, attr = self.resolve(args[0]), _const_str(args[1])
            return f"{base}.{attr}" if base and attr else None
        if name == "vars" and len(args) == 1:
            return self.resolve(args[0])
        if name == "__import__" and args:
            module = _const_str(args[0])
            fromlist = len(args) >= 4 or any(k.arg == "fromlist" for k in node.keywords)
            if module:
                return module if fromlist else module.split(".")[0]
        is_import_module = (isinstance(func, ast.Attribute) and func.attr == "import_module"
                            or name == "import_module")
        if is_import_module and args:
            return _const_str(args[0])
        return None


def _parse(source):
    try:
        return ast.parse(source)
    except SyntaxError:
        kept = ["" if line.lstrip().startswith(_NOT_PYTHON) else line
                for line in source.splitlines()]
        return ast.parse("\n".join(kept))  # still invalid: the SyntaxError propagates


def torch_dropout_uses(source: str) -> list:
    """Dotted names of torch's dropout that `source` imports or refers to, in order of
    appearance, each once. Raises SyntaxError when the code is not Python."""
    tree = _parse(source)
    resolver = _Resolver(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            paths = [f"{node.module}.{a.name}" if isinstance(node, ast.ImportFrom) else a.name
                     for a in node.names]
        elif isinstance(node, (ast.Name, ast.Attribute, ast.Subscript, ast.Call)):
            paths = [resolver.resolve(node)]
        else:
            continue
        for path in paths:
            if path and _is_torch_dropout(path):
                found.append((node.lineno, node.col_offset, path))
    ordered = []
    for _line, _col, path in sorted(found):
        if path not in ordered:
            ordered.append(path)
    # `torch.nn.modules.dropout.Dropout` also resolves its prefix: keep the longest name
    return [n for n in ordered if not any(m.startswith(n + ".") for m in ordered)]


def from_scratch_check(target, what="dropout"):
    """A 0-point source check that flags torch's own dropout in the submission, statically
    (the code as written) and dynamically (calls recorded by record_torch_dropout_calls)."""
    from grader.grading.model import SourceCheck

    def judge(source, calls):
        found = sorted(set(torch_dropout_uses(source)) | set(calls))
        if not found:
            return True, f"written from scratch: no use of torch's own {what}"
        return False, f"uses torch's own {what}: " + ", ".join(found)
    return SourceCheck(name="from_scratch", title=f"written from scratch (no torch {what})",
                       target=target, judge=judge, words=("not flagged", "flagged"),
                       hint=f"build the mask yourself; torch's own {what} is not the exercise")
