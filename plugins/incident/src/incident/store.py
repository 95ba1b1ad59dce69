"""The incidents' state: one JSON file per incident in
``$PAII_DATA_DIR/incidents/<id>.json`` (``$PAII_HOME/data/incident`` when
paii does not set ``PAII_DATA_DIR``), created 0600.

- An id is the declaration time and four random hex digits
  (``INC-20250314-140512-a3f9``); the file is published with a hard link of
  a complete temporary file, which fails when the name is taken, so two
  declarations in the same second (or the same process racing itself) get
  different ids and never overwrite each other.
- A change is read-modify-write under an exclusive ``flock`` of the
  incident's hidden lock file, and the file is replaced whole
  (``atomic_write``): readers such as ``list`` never take the lock and never
  see half a file.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from . import paii_plugin as paii

FILE_MODE = 0o600
STATE_VERSION = 1

ID_RE = re.compile(r"^INC-\d{8}-\d{6}-[0-9a-f]{4}$")
_ID_LOOSE_RE = re.compile(r"^\s*inc-(\d{8})-(\d{6})-([0-9a-f]{4})\s*$", re.IGNORECASE)


class NotFound(Exception):
    """No incident has this id (or the text is not an id at all)."""


class Corrupt(Exception):
    """The incident's state file cannot be read as an incident."""


# --- time ------------------------------------------------------------------------


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def utc(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text) -> datetime | None:
    """``2025-03-14T14:05:12Z`` (fractions allowed) -> an aware datetime."""
    if not isinstance(text, str) or len(text) < 19:
        return None
    try:
        return datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


# --- where -----------------------------------------------------------------------


def data_dir() -> Path:
    d = os.environ.get("PAII_DATA_DIR")
    return Path(d) if d else paii.paii_home() / "data" / "incident"


def incidents_dir() -> Path:
    return data_dir() / "incidents"


def normalise_id(text) -> str | None:
    """``inc-20250314-140512-A3F9`` -> ``INC-20250314-140512-a3f9``; ``None``
    for anything that is not an id (so it never reaches a path)."""
    m = _ID_LOOSE_RE.match(text) if isinstance(text, str) else None
    return "INC-%s-%s-%s" % (m.group(1), m.group(2), m.group(3).lower()) if m else None


def new_id(when: datetime) -> str:
    """A candidate id; :func:`create` makes it unique."""
    return when.strftime("INC-%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def path_of(incident_id: str) -> Path:
    return incidents_dir() / (incident_id + ".json")


# --- reading and writing -----------------------------------------------------------


def _encode(incident: dict) -> bytes:
    return (json.dumps(incident, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def create(when: datetime, build) -> tuple[dict, Path]:
    """Publishes ``build(new_id)`` under a fresh id; returns it and its path.

    Raises ``OSError`` when the directory cannot be written.
    """
    import tempfile

    directory = incidents_dir()
    os.makedirs(directory, exist_ok=True)
    # 65536 suffixes a second: a hundred collisions in a row means something
    # else is wrong, not luck.
    for _ in range(100):
        incident_id = new_id(when)
        incident = build(incident_id)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + incident_id + ".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(_encode(incident))
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, FILE_MODE)
            target = directory / (incident_id + ".json")
            try:
                os.link(tmp, target)
            except FileExistsError:
                continue
            paii.fsync_dir(directory)
            return incident, target
        finally:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    raise FileExistsError("no free incident id for %s in %s" % (utc(when), directory))


def load(incident_id: str) -> dict:
    """The incident; raises :class:`NotFound` or :class:`Corrupt`."""
    path = path_of(incident_id)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(incident_id) from None
    except OSError as e:
        raise Corrupt("cannot read %s: %s" % (path, e.strerror or e)) from None
    try:
        incident = json.loads(data.decode("utf-8"))
    except ValueError as e:
        raise Corrupt("%s is not JSON: %s" % (path, e)) from None
    if not isinstance(incident, dict) or incident.get("id") != incident_id:
        raise Corrupt("%s does not hold incident %s" % (path, incident_id))
    return incident


def save(incident: dict) -> Path:
    path = path_of(incident["id"])
    paii.atomic_write(path, _encode(incident), mode=FILE_MODE)
    return path


@contextmanager
def locked(incident_id: str):
    """Holds the incident's exclusive lock (none where ``fcntl`` is missing)."""
    try:
        import fcntl
    except ImportError:  # not a POSIX system: one writer at a time is the user's care
        yield
        return
    directory = incidents_dir()
    os.makedirs(directory, exist_ok=True)
    fd = os.open(directory / ("." + incident_id + ".lock"), os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def all_incidents() -> tuple[list, list]:
    """``(incidents oldest first, problems)``; a file that cannot be read is a
    problem, never a reason to hide the others."""
    directory = incidents_dir()
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        return [], []
    except OSError as e:
        return [], ["cannot list %s: %s" % (directory, e.strerror or e)]
    found, problems = [], []
    for name in names:
        if not name.endswith(".json") or name.startswith("."):
            continue
        incident_id = name[: -len(".json")]
        if not ID_RE.match(incident_id):
            continue
        try:
            found.append(load(incident_id))
        except (NotFound, Corrupt) as e:
            problems.append(str(e))
    found.sort(key=lambda i: (str(i.get("declared_at", "")), i["id"]))
    return found, problems


def add_event(incident: dict, event: str, text: str, when: datetime | None = None, **extra) -> dict:
    """Appends one line to the incident's timeline and returns it."""
    entry = {"at": utc(when or now()), "event": event, "text": text}
    entry.update({k: v for k, v in extra.items() if v is not None})
    incident.setdefault("timeline", []).append(entry)
    return entry
