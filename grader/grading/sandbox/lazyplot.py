"""matplotlib in the grader's child, imported only when something reads it.

Every drill's setup cell imports matplotlib.pyplot (about 0.4 s, a fifth of a cold grade), yet
no verdict reads a figure. After `install()`, `import matplotlib` and `import matplotlib.pyplot`
bind stand-in modules; the first attribute anything reads from one imports the real matplotlib
(with the Agg backend the child's environment names) and answers from it, so a learner's cell
that does draw still runs exactly as it would have.
"""
import importlib
import importlib.abc
import importlib.util
import sys
import types

NAMES = ("matplotlib", "matplotlib.pyplot")


class Deferred(types.ModuleType):
    """A module whose contents are the real module's, imported on first use."""

    def __getattr__(self, attr):
        if attr.startswith("__") or f"{self.__name__}.{attr}" in NAMES:
            # the import system probes dunders; `from matplotlib import pyplot` then imports
            # the pyplot stand-in
            raise AttributeError(attr)
        return getattr(load(self.__name__), attr)


class _Loader(importlib.abc.Loader):
    def create_module(self, spec):
        return Deferred(spec.name)

    def exec_module(self, module):
        pass


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name in NAMES:
            return importlib.util.spec_from_loader(name, _Loader(),
                                                   is_package=name == "matplotlib")
        return None


def install():
    """Defer matplotlib from now on in this process, unless it is already imported."""
    if "matplotlib" not in sys.modules:
        sys.meta_path.insert(0, _Finder())


def load(name):
    """Import the real modules in place of the stand-ins (which then hold the real
    contents, for names already bound to them); return the real module `name`."""
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _Finder)]
    standins = {n: sys.modules.pop(n) for n in NAMES if isinstance(sys.modules.get(n), Deferred)}
    real = {n: importlib.import_module(n) for n in standins}  # all first: pyplot adds to mpl
    for n, standin in standins.items():
        standin.__dict__.update(real[n].__dict__)
    return importlib.import_module(name)
