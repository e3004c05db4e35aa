"""Build build/gradescope.zip, the autograder Gradescope asks for (`make gradescope`).

The zip holds setup.sh and run_autograder at its root (Gradescope looks there), the
requirements file setup.sh installs, the grader package, and each drill's Python modules
(solutions/<id>/*.py: its declaration and checks; not its notebooks, samples or tests). Entries carry a fixed timestamp
and sorted order, so the same tree always gives the same bytes.
"""
import os
import sys
import zipfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}
SKIP_EXT = (".pyc", ".pyo")
EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can store


def members(repo=REPO):
    """(path in the zip, path on disk) for everything the autograder needs."""
    out = [(name, os.path.join(repo, "gradescope", name)) for name in ("setup.sh", "run_autograder")]
    out.append(("requirements-grader.txt", os.path.join(repo, "requirements-grader.txt")))
    for here, dirs, files in os.walk(os.path.join(repo, "grader")):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        out += [_member(repo, os.path.join(here, f)) for f in files if not f.endswith(SKIP_EXT)]
    solutions = os.path.join(repo, "solutions")
    out.append(_member(repo, os.path.join(solutions, "__init__.py")))
    for drill in os.listdir(solutions):
        folder = os.path.join(solutions, drill)
        if os.path.isfile(os.path.join(folder, "drill.py")):
            out += [_member(repo, os.path.join(folder, f)) for f in os.listdir(folder)
                    if f.endswith(".py")]
    return sorted(out)


def _member(repo, path):
    return os.path.relpath(path, repo).replace(os.sep, "/"), path


def build(dest=os.path.join(REPO, "build", "gradescope.zip"), repo=REPO):
    """Write the zip (via a temporary file, so a half-built zip is never left at dest)."""
    os.makedirs(os.path.dirname(os.path.abspath(dest)), exist_ok=True)
    tmp = dest + ".part"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for arcname, path in members(repo):
            info = zipfile.ZipInfo(arcname, EPOCH)
            mode = 0o755 if os.access(path, os.X_OK) and not arcname.endswith(".py") else 0o644
            info.external_attr = (0o100000 | mode) << 16  # regular file + permission bits
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as f:
                z.writestr(info, f.read())
    os.replace(tmp, dest)
    return dest


if __name__ == "__main__":
    print(build(*sys.argv[1:2]))
