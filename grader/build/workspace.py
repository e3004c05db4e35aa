"""The learner's workspace: a git-ignored copy of notebooks/ that `make lab` opens.

Filled once and never overwritten. Each run copies in the notebooks that are not there yet (a
new drill, a new course notebook) and leaves every existing file alone, so a learner's
answers survive `make release`, a pull, and a rebuild of the environment. When the course's
copy of a notebook changed after it was copied, the run says so and still keeps the
learner's file. What was copied, and from which version, is kept in .course-copies.json.
"""
import hashlib
import json
import os
import shutil

MANIFEST = ".course-copies.json"


def _digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def fill(source, workspace, say=print):
    """Copy source/*.ipynb missing from workspace; report changes; return the names copied."""
    os.makedirs(workspace, exist_ok=True)
    manifest_path = os.path.join(workspace, MANIFEST)
    try:
        with open(manifest_path, encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError):
        manifest = {}
    first = not any(n.endswith(".ipynb") for n in os.listdir(workspace))
    copied = []
    for name in sorted(os.listdir(source)):
        src = os.path.join(source, name)
        if not name.endswith(".ipynb") or not os.path.isfile(src):
            continue
        dst = os.path.join(workspace, name)
        digest = _digest(src)
        if os.path.exists(dst):
            if name in manifest and manifest[name] != digest:
                say(f"{os.path.join(workspace, name)}: kept as it is; the course's copy "
                    f"{src} has changed since. To get the new one, rename yours and run "
                    "`make lab` again.")
                manifest[name] = digest  # say it once per change
            continue
        shutil.copyfile(src, dst)
        manifest[name] = digest
        copied.append(name)
        if not first:
            say(f"{dst}: new, copied from {src}")
    if first and copied:
        say(f"{workspace}/: {len(copied)} notebooks copied from {source}/. Your work lives "
            "here; later runs add new notebooks and never overwrite yours.")
    with open(manifest_path, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    return copied
