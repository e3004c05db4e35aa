"""Find the submissions in the paths given to `grade`, reading archives without extracting them.

Archives come from students and LMS exports, so nothing in one is trusted: member names are
only labels (never paths), symlink members are skipped, and every byte read counts against
Limits. Standard library only, so that `grade` starts fast.

Who a file belongs to: the innermost LMS-style name on its path (file, folder or archive;
Canvas `lastfirst[_LATE]_USERID_ATTACHID_name`, Moodle `Full Name_ID_assignsubmission_file_`),
else the file's stem. One student's several files: the latest wins, ordered by
(Canvas LATE flag, Canvas attachment id, file mtime or zip member time, name). Canvas flags
come first because an LMS export or an unzip stamps its own times; attachment ids only grow.
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


def collect(paths, limits=Limits()):
    """(submissions, problems) from files, folders and .zip archives; one entry per student."""
    return _by_student(_items(paths, limits))


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


def _who(chain):
    """(raw name, LMS user id or None, late, attachment id) from the innermost LMS-style name."""
    for part in reversed(chain):
        m = MOODLE.match(part)
        if m and m["name"].strip():
            return m["name"].strip(), m["uid"], False, -1
        m = CANVAS.match(part)
        if m:
            return m["name"], m["uid"], bool(m["late"]), int(m["att"])
    return os.path.splitext(chain[-1])[0], None, False, -1


def _ids(keys):
    """A distinct safe id per student key (raw name, user id).

    A key without a user id joins the one student of that name with an id, if only one.
    Different students whose ids clash (also when only letter case differs, as on macOS
    disks) get -2, -3, ... in sorted order of their raw names.
    """
    uids = defaultdict(set)
    for raw, uid in keys:
        if uid is not None:
            uids[raw].add(uid)
    canon = {(raw, uid): (raw, next(iter(uids[raw])) if uid is None and len(uids[raw]) == 1
                          else uid) for raw, uid in keys}
    taken, ids = set(), {}
    for raw, uid in sorted(set(canon.values()), key=lambda k: (k[0], k[1] or "")):
        base = sid = safe_id(raw)
        n = 1
        while sid.casefold() in taken:
            n += 1
            sid = safe_id(base, ID_BYTES - len(f"-{n}")) + f"-{n}"
        taken.add(sid.casefold())
        ids[raw, uid] = sid
    return {key: ids[canon[key]] for key in keys}


def _folder_names(items, whos):
    """Folder-per-student layouts (alice/drill.ipynb, bob/drill.ipynb): when files without an
    LMS name share a stem and each sits alone in its own folder at the same depth, each is
    named after its folder. Otherwise the copies are one student's several submissions."""
    parents = defaultdict(list)
    for item, (raw, uid, _, _) in zip(items, whos):
        if uid is None:
            parents[raw].append(tuple(item.chain[:-1]))
    split = {raw for raw, ps in parents.items()
             if len(ps) > 1 and len(set(ps)) == len(ps) and len({len(p) for p in ps}) == 1
             and len(ps[0]) > 1}
    return [(item.chain[-2], uid, late, att) if uid is None and raw in split
            else (raw, uid, late, att) for item, (raw, uid, late, att) in zip(items, whos)]


def _by_student(items):
    """One submission (the latest gradable file) or one problem per student."""
    whos = _folder_names(items, [_who(item.chain) for item in items])
    ids = _ids({(raw, uid) for raw, uid, _, _ in whos})
    groups = defaultdict(list)
    for item, (raw, uid, late, att) in zip(items, whos):
        groups[ids[raw, uid]].append(((late, att, item.when, item.label), item))
    subs, problems = [], []
    for sid, group in sorted(groups.items()):
        group.sort(key=lambda g: g[0])
        good = [g for g in group if g[1].kind]
        bad = [item for _, item in group if not item.kind]
        if good:
            order, win = good[-1]
            older = [item.label for _, item in reversed(good[:-1])]
            subs.append(Submission(
                student=sid, name=win.label, kind=win.kind, data=win.data,
                sha256=hashlib.sha256(win.data).hexdigest(), order=order,
                superseded=older + [one_line(f"{p.label} ({p.reason})") for p in bad]))
        else:
            more = f" (+{len(bad) - 1} more unusable)" if len(bad) > 1 else ""
            problems.append(Problem(sid, bad[-1].label, one_line(bad[-1].reason + more)))
    return subs, problems
