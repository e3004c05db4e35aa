"""Find the submissions in the paths given to `grade`, reading archives without extracting them.

Archives come from students and LMS exports, so nothing in one is trusted: member names are
only labels (never paths), symlink members are skipped, and every byte read counts against
Limits. Standard library only, so that `grade` starts fast.

Who a file belongs to: the innermost LMS-style name on its path (file, folder or archive;
Canvas `lastfirst[_LATE]_USERID_ATTACHID_name`, Moodle `Full Name_ID_assignsubmission_file_`),
else its folder in a folder-per-student layout, else the file's stem. Which drill it is for:
--assignment, else its `# @drill setup ID` line. A submission is keyed by (student, drill):
of one student's files for one drill the latest wins, ordered by (Canvas LATE flag, Canvas
attachment id, file mtime or zip member time, name). Canvas flags come first because an LMS
export or an unzip stamps its own times; attachment ids only grow.
"""
import hashlib
import io
import os
import re
import stat
import time
import unicodedata
import zipfile
from collections import defaultdict
from dataclasses import dataclass

from grader.build import notebook
from grader.grading import drills
from grader.grading.model import Submission

MiB = 1 << 20
KINDS = {".ipynb": "ipynb", ".py": "py"}
WANTED = {*KINDS, ".zip"}
RATIO_FLOOR = 1 * MiB  # a member that expands to less than this cannot hurt, whatever its ratio
ID_BYTES = 80  # safe ids stay far below the 255-byte file name limit, suffix included
CANVAS = re.compile(r"(?P<name>[^_]+)_(?P<late>LATE_)?(?P<uid>\d+)_(?P<att>\d+)_.")
MOODLE = re.compile(r"(?P<name>.+?)_(?P<uid>\d+)_assignsubmission_(?:file|onlinetext)_")
RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"{d}{i}" for d in ("COM", "LPT") for i in range(10))}


@dataclass
class Problem:
    """An input that yields no gradable submission but must still get a gradebook row."""
    student: str
    name: str
    reason: str  # one line
    drill: str = ""  # known only when --assignment names it
    lms: tuple = ()  # as Submission.lms


@dataclass
class Limits:
    """Caps per outermost archive (given, or found in a folder); archives in it share them."""
    max_files: int = 2000  # members, nested archives' members included
    max_total_bytes: int = 512 * MiB  # uncompressed bytes read from it
    max_file_bytes: int = 64 * MiB  # one member (or one file on disk)
    max_ratio: float = 200.0  # uncompressed/compressed for one member above RATIO_FLOOR
    max_depth: int = 2  # archives inside the given one: 2 allows a.zip:b.zip:c.zip, not deeper


@dataclass
class _Item:
    """A file found (kind set) or an unusable input (reason set), before students are named."""
    chain: list  # path components from the given path down, archives included: for naming
    label: str
    when: float
    kind: str = ""
    data: bytes = b""
    reason: str = ""
    drill: str = ""

    def __post_init__(self):  # names on disk may hold bytes that are not UTF-8
        self.chain = [_text(c) for c in self.chain]
        self.label, self.reason = _text(self.label), _text(self.reason)


@dataclass
class _Budget:
    files: int = 0
    bytes: int = 0


class _Refused(Exception):
    """A member not read; the message completes 'archive A: member M ...'."""


def safe_id(text, max_bytes=ID_BYTES):
    """A folder name from a student name: letters (any script), digits, '_', '-', '.'.

    Idempotent, because output folders are named from ids that already went through it.
    """
    text = unicodedata.normalize("NFC", str(text))
    text = re.sub(r"\s+", " ", text)  # a run of spaces is one separator ...
    out = "".join("_" if ch == " " else ch for ch in text
                  if ch == " " or ch in "-_." or unicodedata.category(ch)[0] in "LNM")
    out = out.lstrip("._-")  # ... but a run of '_' stays: a__b and a_b are two students
    out = out.encode("utf-8")[:max_bytes].decode("utf-8", "ignore").rstrip(".")
    if not out:
        return "student"
    return out + "_" if out.split(".")[0].upper() in RESERVED else out


def collect(paths, limits=Limits(), assignment=None):
    """(submissions, problems) from files, folders and .zip archives: one per student and
    drill."""
    return gather(paths, limits, assignment)[:2]


def gather(paths, limits=Limits(), assignment=None):
    """(submissions, problems, warnings): warnings are one line each, about guessed names."""
    items = _items(paths, limits)
    for item in items:
        item.drill = _drill_of(item, assignment)
    return _by_key(items)


def latest(folder, student, limits=Limits()):
    """(submission or None, every input's label) for one submitter's folder (Gradescope):
    the newest notebook, else the newest .py file; labels are relative to the folder."""
    items = _items([folder], limits)
    prefix = os.path.join(folder, "")
    for item in items:
        item.label = item.label[len(prefix):] if item.label.startswith(prefix) else item.label
    good = [i for i in items if i.kind == "ipynb"] or [i for i in items if i.kind]
    if not good:
        return None, [i.label for i in items]
    good.sort(key=lambda i: (i.when, i.label))
    win = good[-1]
    others = [i.label for i in reversed(good[:-1])]
    return Submission(student=student, name=win.label, kind=win.kind, data=win.data,
                      sha256=hashlib.sha256(win.data).hexdigest(), order=(win.when, win.label),
                      superseded=others), [i.label for i in items]


def _items(paths, limits):
    items = []
    for path in paths:
        items += _from_path(str(path), limits)
    return items


def _ext(name):
    return os.path.splitext(name)[1].lower()


def _hidden(name):
    return name.startswith(".") or name == "__MACOSX"


def one_line(text):
    """Reasons name paths, and a file name on disk may hold a line break."""
    return re.sub(r"[\r\n]+", " ", text)


def _text(name):
    """A file name as text that can be written anywhere: undecodable bytes (kept by Python as
    surrogates) become U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _mib(n):
    return f"{n / MiB:g} MiB"


def _from_path(path, limits):
    """Items from one path given on the command line, which may be a problem itself."""
    name = os.path.basename(os.path.normpath(path)) or path
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return [_Item([name], path, 0.0, reason=f"no such file or folder: {path}")]
    except OSError as e:
        return [_Item([name], path, 0.0, reason=f"cannot read {path}: {e.strerror}")]
    if stat.S_ISDIR(st.st_mode):
        items = list(_walk(path, name, limits))
        return items or [_Item([name], path, st.st_mtime,
                               reason=f"folder {path} has no .ipynb, .py or .zip file")]
    if stat.S_ISREG(st.st_mode) and _ext(name) in WANTED:
        return _from_file(path, [name], st.st_mtime, limits)
    return [_Item([name], path, st.st_mtime, reason=f"unsupported input {path} "
                  "(expected a .ipynb, .py or .zip file, or a folder)")]


def _walk(root, root_name, limits):
    """Files under root in sorted order; symlinks, hidden entries and other types skipped."""
    errors = []
    for here, dirs, files in os.walk(root, onerror=errors.append):
        dirs[:] = sorted(d for d in dirs if not _hidden(d))
        rel = os.path.relpath(here, root)
        chain = [root_name] + ([] if rel == "." else rel.split(os.sep))
        for name in sorted(files):
            path = os.path.join(here, name)
            if _hidden(name) or _ext(name) not in WANTED:
                continue
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                yield from _from_file(path, chain + [name], st.st_mtime, limits)
    for e in errors:
        yield _Item([root_name], e.filename, 0.0, reason=f"cannot read {e.filename}: {e.strerror}")


def _from_file(path, chain, when, limits):
    if _ext(path) == ".zip":
        return _archive(path, chain, path, when, 0, limits, _Budget())
    try:
        with open(path, "rb") as f:
            data = f.read(limits.max_file_bytes + 1)
    except OSError as e:
        return [_Item(chain, path, when, reason=f"cannot read {path}: {e.strerror}")]
    if len(data) > limits.max_file_bytes:
        reason = f"{path} is larger than {_mib(limits.max_file_bytes)}"
        return [_Item(chain, path, when, reason=reason)]
    return [_Item(chain, path, when, KINDS[_ext(path)], data)]


def _member_parts(info):
    """A member's name as label components: decoded, one line, with no way out of the archive."""
    name = info.filename
    if not info.flag_bits & 0x800:  # zipfile decoded cp437; many tools store UTF-8 unflagged
        try:
            name = name.encode("cp437").decode("utf-8")
        except UnicodeError:
            pass
    name = "".join(ch if ch.isprintable() else "?" for ch in name)
    name = re.sub(r"^[A-Za-z]:", "", name)
    return [p for p in re.split(r"[\\/]+", name) if p not in ("", ".", "..")]


def _is_symlink(info):
    return stat.S_ISLNK(info.external_attr >> 16)


def _zip_time(info):
    try:
        return time.mktime(info.date_time + (0, 0, -1))
    except (OverflowError, ValueError):
        return 0.0


def _archive(source, chain, label, when, depth, limits, budget):
    """Items from a zip (a path, or bytes of a nested one); failures become problems."""
    def problem(reason, at_chain=chain, at_label=label, at_when=when):
        return _Item(at_chain, at_label, at_when, reason=reason)
    items = []
    try:  # anything a damaged archive makes zipfile raise is the archive's fault, not ours
        with zipfile.ZipFile(source if isinstance(source, str) else io.BytesIO(source)) as zf:
            members = [i for i in zf.infolist() if not i.is_dir()]
            budget.files += len(members)
            if budget.files > limits.max_files:
                return [problem(f"archive {label} has more than {limits.max_files} files")]
            for info in members:
                parts = _member_parts(info)
                if (not parts or any(_hidden(p) for p in parts)
                        or _ext(parts[-1]) not in WANTED or _is_symlink(info)):
                    continue
                inner = "/".join(parts)
                at = (chain + parts, f"{label}:{inner}", _zip_time(info))
                if info.flag_bits & 0x1:
                    items.append(problem(f"archive {label}: member {inner} is encrypted", *at))
                elif _ext(inner) == ".zip" and depth >= limits.max_depth:
                    items.append(problem(f"archive {label}: member {inner} nests archives "
                                         f"more than {limits.max_depth} deep", *at))
                else:
                    try:
                        data = _read_member(zf, info, limits, budget)
                    except _Refused as e:
                        items.append(problem(f"archive {label}: member {inner} {e}", *at))
                        continue
                    except Exception as e:
                        items.append(problem(f"archive {label}: member {inner} is unreadable "
                                             f"({type(e).__name__}: {e})", *at))
                        continue
                    if _ext(inner) == ".zip":
                        items += _archive(data, *at, depth + 1, limits, budget)
                    else:
                        items.append(_Item(*at, KINDS[_ext(inner)], data))
    except Exception as e:
        return [problem(f"archive {label} is corrupt or truncated ({type(e).__name__}: {e})")]
    return items or [problem(f"archive {label} has no .ipynb or .py file")]


def _read_member(zf, info, limits, budget):
    """A member's bytes, refused before reading when its header breaks a cap, and read under
    a hard cap so that a header that lies about the size cannot flood memory."""
    size, packed = info.file_size, max(info.compress_size, 1)
    if size > RATIO_FLOOR and size > packed * limits.max_ratio:
        raise _Refused(f"expands more than {limits.max_ratio:g}x (zip bomb?)")
    if size > limits.max_file_bytes:
        raise _Refused(f"is larger than {_mib(limits.max_file_bytes)}")
    room = limits.max_total_bytes - budget.bytes
    if size > room:
        raise _Refused(f"takes the archive past {_mib(limits.max_total_bytes)} uncompressed")
    cap = min(limits.max_file_bytes, max(RATIO_FLOOR, packed * limits.max_ratio), room)
    with zf.open(info) as f:
        data = f.read(cap + 1)
    if len(data) > cap:
        raise _Refused("expands past its declared size (zip bomb?)")
    budget.bytes += len(data)
    return data


def _drill_of(item, assignment):
    """The drill a file is for: the one given, else its setup line, else the only drill there
    is; "" when unknown (the grader then says why)."""
    if assignment or not item.kind:
        return assignment or ""
    text = item.data.decode("utf-8", "replace")
    try:
        nb = notebook.parse(text) if item.kind == "ipynb" else None
        sources = [notebook.source(c) for c in notebook.code_cells(nb)] if nb else [text]
    except Exception:  # a student's file may be anything; the grader reports it in its row
        sources = []
    known = drills.ids()
    return drills.detect(sources) or (known[0] if len(known) == 1 else "")


@dataclass(frozen=True)
class _Who:
    raw: str  # the name as written
    uid: object = None  # the LMS id in the name, else None
    lms: str = ""  # "canvas" or "moodle"
    late: bool = False
    att: int = -1  # Canvas attachment id
    by: str = "LMS name"  # what named the student: "LMS name", "folder" or "file name"


def _who(chain):
    """Who a file is from, by the innermost LMS-style name on its path, else its stem."""
    for part in reversed(chain):
        m = MOODLE.match(part)
        if m and m["name"].strip():
            return _Who(m["name"].strip(), m["uid"], "moodle")
        m = CANVAS.match(part)
        if m:
            return _Who(m["name"], m["uid"], "canvas", bool(m["late"]), int(m["att"]))
    return _Who(_stem(chain[-1]), by="file name")


def _stem(name):
    return os.path.splitext(name)[0]


def _folder_names(items, whos):
    """Files without an LMS name in a folder-per-student layout are named after their folder.

    Such a layout shows in two ways: sibling folders hold files of the same name and drill
    (alice/drill.ipynb and bob/drill.ipynb: several students' copies; every such folder, each
    holding any number of drills, is a student's), or a file is named after its own drill
    (alice/drill01_dropout.ipynb: its name tells nothing about who wrote it). Files named
    after students in folders named after drills (drill01/alice.ipynb, drill02/alice.ipynb)
    differ in drill, so they keep their names.
    """
    free = [(i, item) for i, (item, who) in enumerate(zip(items, whos))
            if who.uid is None and len(item.chain) > 1]
    siblings = defaultdict(set)  # (grandparent, stem, drill) -> the folders holding it
    for _, item in free:
        if len(item.chain) > 2:
            key = (tuple(item.chain[:-2]), _stem(item.chain[-1]).casefold(), item.drill)
            siblings[key].add(item.chain[-2])
    shared = {key[0] for key, folders in siblings.items() if len(folders) > 1}
    named = list(whos)
    for i, item in free:
        own = item.drill and item.drill.casefold() in _stem(item.chain[-1]).casefold()
        if tuple(item.chain[:-2]) in shared and len(item.chain) > 2 or own:
            folder = item.chain[-2]
            named[i] = _Who(_stem(folder) if _ext(folder) == ".zip" else folder, by="folder")
    return named


def _people(items, whos):
    """A person key per file: (raw name, LMS tag or None).

    Canvas user ids hold across a course. Moodle participant numbers hold for one assignment
    only, so the same name's n-th participant number in each drill is taken as one person."""
    moodle = defaultdict(set)
    for item, who in zip(items, whos):
        if who.lms == "moodle":
            moodle[who.raw, item.drill].add(who.uid)
    keys = []
    for item, who in zip(items, whos):
        if who.lms == "moodle":
            rank = sorted(moodle[who.raw, item.drill], key=int).index(who.uid)
            keys.append((who.raw, f"moodle#{rank}"))
        else:
            keys.append((who.raw, who.uid and f"canvas#{who.uid}"))
    return keys


def _ids(keys):
    """A distinct safe id per person key (raw name, tag).

    A key without a tag joins the one student of that name with one, if only one.
    Different students whose ids clash (also when only letter case differs, as on macOS
    disks) get -2, -3, ... in sorted order of their raw names.
    """
    tags = defaultdict(set)
    for raw, tag in keys:
        if tag is not None:
            tags[raw].add(tag)
    canon = {(raw, tag): (raw, next(iter(tags[raw])) if tag is None and len(tags[raw]) == 1
                          else tag) for raw, tag in keys}
    taken, ids = set(), {}
    for raw, tag in sorted(set(canon.values()), key=lambda k: (k[0], k[1] or "")):
        base = sid = safe_id(raw)
        n = 1
        while sid.casefold() in taken:
            n += 1
            sid = safe_id(base, ID_BYTES - len(f"-{n}")) + f"-{n}"
        taken.add(sid.casefold())
        ids[raw, tag] = sid
    return {key: ids[canon[key]] for key in keys}


def _by_key(items):
    """One submission (the latest gradable file) or one problem per (student, drill).

    A file of unknown drill (unreadable, or no setup line) joins its student's one drill;
    a student with several drills, or none, gets it as a row of its own."""
    whos = _folder_names(items, [_who(item.chain) for item in items])
    people = _people(items, whos)
    ids = _ids(set(people))
    sids = [ids[p] for p in people]
    known = defaultdict(set)
    for sid, item in zip(sids, items):
        if item.drill:
            known[sid].add(item.drill)
    groups = defaultdict(list)
    for sid, item, who in zip(sids, items, whos):
        drill = item.drill or (next(iter(known[sid])) if len(known[sid]) == 1 else "")
        groups[sid, drill].append(((who.late, who.att, item.when, item.label), item, who))
    subs, problems = [], []
    for (sid, drill), group in sorted(groups.items()):
        group.sort(key=lambda g: g[0])
        good = [g for g in group if g[1].kind]
        bad = [item for _, item, _ in group if not item.kind]
        if good:
            order, win, who = good[-1]
            older = [item.label for _, item, _ in reversed(good[:-1])]
            subs.append(Submission(
                student=sid, name=win.label, kind=win.kind, data=win.data,
                sha256=hashlib.sha256(win.data).hexdigest(), order=order,
                superseded=older + [one_line(f"{p.label} ({p.reason})") for p in bad],
                drill=drill, lms=(who.lms, who.uid) if who.uid else ()))
        else:
            more = f" (+{len(bad) - 1} more unusable)" if len(bad) > 1 else ""
            who = group[-1][2]
            problems.append(Problem(sid, bad[-1].label, one_line(bad[-1].reason + more), drill,
                                    (who.lms, who.uid) if who.uid else ()))
    return subs, problems, _guesses(sids, items, whos, known)


def _guesses(sids, items, whos, known):
    """Warnings for students named without an LMS name who have files for several drills."""
    how = defaultdict(set)
    for sid, item, who in zip(sids, items, whos):
        if who.by != "LMS name":
            how[sid].add(who.by)
    return [f"{sid}: files for {len(known[sid])} drills ({', '.join(sorted(known[sid]))}) "
            f"taken as one student, named after the {' and '.join(sorted(how[sid]))} (no LMS "
            "name: check the folder layout)" for sid in sorted(how) if len(known[sid]) > 1]
