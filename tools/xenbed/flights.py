"""Flights: every job run, kept in SQLite (OSSTest's standalone.db).

${XDG_DATA_HOME:-~/.local/share}/xenbed/flights.db holds one row per
flight (what ran: job, kernel, xenbed revision, QEMU version, accelerator,
host, when), one per step (result, duration, message, log path) and one
per benchmark figure.  `xenbed history` prints them and exports JUnit XML;
`xenbed history --import` merges the flights.db of another machine (a CI
job's artifact).
"""

import datetime
import json
import socket
import sqlite3
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

from . import jobs
from .common import XenbedError, git_revision

SCHEMA = """
CREATE TABLE IF NOT EXISTS flights (
    id INTEGER PRIMARY KEY,
    uuid TEXT UNIQUE NOT NULL,      -- kept across imports
    job TEXT NOT NULL,
    only_step TEXT,                 -- --step, or NULL for the whole job
    kernel_release TEXT,
    kernel_package TEXT,            -- .deb or image file name
    kernel_revision TEXT,           -- git revision, when built from a tree
    xenbed_revision TEXT,
    qemu_version TEXT,
    accel TEXT,
    options TEXT,                   -- the job's options, JSON
    host TEXT,
    started TEXT NOT NULL,          -- ISO 8601, UTC
    seconds REAL,
    result TEXT NOT NULL,
    origin TEXT                     -- where an imported flight came from
);
CREATE TABLE IF NOT EXISTS steps (
    flight INTEGER NOT NULL REFERENCES flights(id),
    position INTEGER NOT NULL,
    step TEXT NOT NULL,
    result TEXT NOT NULL,
    seconds REAL,
    message TEXT,
    log TEXT,
    PRIMARY KEY (flight, position)
);
CREATE TABLE IF NOT EXISTS figures (
    flight INTEGER NOT NULL REFERENCES flights(id),
    step TEXT NOT NULL,
    name TEXT NOT NULL,
    value REAL NOT NULL
);
"""


def db_path():
    return jobs.data_dir() / "flights.db"


def connect(path=None):
    path = Path(path or db_path())
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        db = sqlite3.connect(path)
        db.row_factory = sqlite3.Row
        db.executescript(SCHEMA)
    except sqlite3.DatabaseError as e:
        raise XenbedError(f"flight database {path}: {e}")
    return db


def record(run, only_step=None, kernel_revision=None, db=None):
    """Store a jobs.JobRun; returns the flight's id."""
    own = db is None
    db = db or connect()
    opts = {k: v for k, v in run.options.items()
            if k not in ("description",)}
    started = datetime.datetime.fromtimestamp(
        run.started, datetime.timezone.utc).isoformat(timespec="seconds")
    source = run.kernel.source
    with db:
        cur = db.execute(
            "INSERT INTO flights (uuid, job, only_step, kernel_release, "
            "kernel_package, kernel_revision, xenbed_revision, qemu_version, "
            "accel, options, host, started, seconds, result) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (str(uuid.uuid4()), run.job, only_step,
             run.release or run.kernel.label,
             Path(source).name if source else str(run.kernel.image),
             kernel_revision, git_revision(), jobs.qemu_version(), run.accel,
             json.dumps(opts, sort_keys=True), socket.gethostname(), started,
             round(run.seconds, 2), run.result))
        flight = cur.lastrowid
        for i, step in enumerate(run.steps):
            db.execute("INSERT INTO steps VALUES (?,?,?,?,?,?,?)",
                       (flight, i, step.name, step.result, step.seconds,
                        step.message, stored_log(step.log)))
            for name, value in step.figures.items():
                db.execute("INSERT INTO figures VALUES (?,?,?,?)",
                           (flight, step.name, name, float(value)))
    if own:
        db.close()
    return flight


def stored_log(path):
    """A log under the data folder is stored relative to it, so that the
    folder can move (a CI job's artifacts) with its logs."""
    if not path:
        return None
    try:
        return str(Path(path).relative_to(jobs.data_dir()))
    except ValueError:
        return str(path)


def log_path(value):
    """The log file of a steps row."""
    if not value:
        return None
    return Path(value) if Path(value).is_absolute() else \
        jobs.data_dir() / value


def query(db, job=None, since=None, kernel=None, ids=None):
    """Flights (sqlite3.Row), oldest first, filtered."""
    where, args = [], []
    if job:
        where.append("job = ?")
        args.append(job)
    if since:
        where.append("started >= ?")
        args.append(parse_since(since))
    if kernel:
        where.append("(kernel_release LIKE ? OR kernel_package LIKE ? OR "
                     "kernel_revision LIKE ?)")
        args += [f"%{kernel}%"] * 3
    if ids:
        where.append(f"id IN ({','.join('?' * len(ids))})")
        args += list(ids)
    sql = "SELECT * FROM flights" + \
        (" WHERE " + " AND ".join(where) if where else "") + \
        " ORDER BY started, id"
    return db.execute(sql, args).fetchall()


def parse_since(text):
    """YYYY-MM-DD[THH:MM[:SS]], or Nd / Nh for days or hours ago."""
    now = datetime.datetime.now(datetime.timezone.utc)
    try:
        if text[-1:] in "dh" and text[:-1].isdigit():
            unit = "days" if text[-1] == "d" else "hours"
            return (now - datetime.timedelta(**{unit: int(text[:-1])})) \
                .isoformat(timespec="seconds")
        when = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise XenbedError(f"--since {text}: give a date (2026-12-01), a "
                          "date and time (2026-12-01T14:00), or 3d / 12h")
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return when.astimezone(datetime.timezone.utc).isoformat(
        timespec="seconds")


def steps_of(db, flight):
    return db.execute("SELECT * FROM steps WHERE flight = ? ORDER BY "
                      "position", (flight,)).fetchall()


def figures_of(db, flight):
    return db.execute("SELECT * FROM figures WHERE flight = ?",
                      (flight,)).fetchall()


def table(db, flights):
    """History lines: one per flight, the steps that did not pass."""
    head = (f"{'flight':>6}  {'started (UTC)':<19}  {'job':<18} "
            f"{'kernel':<28} {'accel':<5} {'result':<6} {'secs':>6}  "
            "xenbed        not passed")
    lines = [head]
    for f in flights:
        bad = [f"{s['step']}:{s['result']}" for s in steps_of(db, f["id"])
               if s["result"] != jobs.PASS]
        kernel = f["kernel_release"] + (f"@{f['kernel_revision'][:12]}"
                                        if f["kernel_revision"] else "")
        lines.append(f"{f['id']:>6}  {f['started'][:19]:<19}  "
                     f"{f['job'] + ('/' + f['only_step'] if f['only_step'] else ''):<18} "
                     f"{kernel:<28} {f['accel']:<5} {f['result'].upper():<6} "
                     f"{f['seconds']:>6.1f}  {f['xenbed_revision']:<12}  "
                     f"{' '.join(bad)}")
    return lines


def _read_log(path, limit=200000):
    try:
        text = log_path(path).read_text(errors="replace")
    except (OSError, TypeError):
        return ""
    return text[-limit:]


def junit(db, flights):
    """JUnit XML: a testsuite per flight, a testcase per step; a failed
    assertion is a <failure>, an infrastructure fault an <error>, a
    blocked step <skipped>; the step's log is its system-out."""
    root = ET.Element("testsuites", name="xenbed flights")
    for f in flights:
        steps = steps_of(db, f["id"])
        count = {r: sum(s["result"] == r for s in steps)
                 for r in (jobs.FAIL, jobs.INFRA, jobs.BLOCKED)}
        suite = ET.SubElement(
            root, "testsuite", name=f"{f['job']} {f['kernel_release']}",
            tests=str(len(steps)), failures=str(count[jobs.FAIL]),
            errors=str(count[jobs.INFRA]), skipped=str(count[jobs.BLOCKED]),
            timestamp=f["started"], hostname=f["host"] or "",
            time=str(f["seconds"]), id=str(f["id"]))
        props = ET.SubElement(suite, "properties")
        for key in ("job", "kernel_release", "kernel_package",
                    "kernel_revision", "xenbed_revision", "qemu_version",
                    "accel", "options", "uuid"):
            ET.SubElement(props, "property", name=key,
                          value=str(f[key] or ""))
        for s in steps:
            case = ET.SubElement(suite, "testcase",
                                 classname=f"xenbed.{f['job']}",
                                 name=s["step"], time=str(s["seconds"] or 0))
            message = (s["message"] or "").splitlines()
            if s["result"] == jobs.FAIL:
                ET.SubElement(case, "failure", message=message[0] if message
                              else "failed").text = s["message"]
            elif s["result"] == jobs.INFRA:
                ET.SubElement(case, "error", message="infrastructure fault: "
                              + (message[0] if message else "")).text = \
                    s["message"]
            elif s["result"] == jobs.BLOCKED:
                ET.SubElement(case, "skipped", message=s["message"] or
                              "blocked")
            log = _read_log(s["log"])
            if log:
                ET.SubElement(case, "system-out").text = log
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def write_junit(db, flights, path):
    Path(path).write_text(junit(db, flights) + "\n")


def import_db(db, other_path, origin=None):
    """Merge another flights.db; flights already here (same uuid) are
    skipped.  Returns (imported, skipped)."""
    other_path = Path(other_path)
    if not other_path.is_file():
        raise XenbedError(f"--import {other_path}: no such file")
    other = connect(other_path)
    imported = skipped = 0
    with db:
        for f in other.execute("SELECT * FROM flights ORDER BY id"):
            if db.execute("SELECT 1 FROM flights WHERE uuid = ?",
                          (f["uuid"],)).fetchone():
                skipped += 1
                continue
            row = dict(f)
            old = row.pop("id")
            row["origin"] = row["origin"] or origin or str(other_path)
            cur = db.execute(
                f"INSERT INTO flights ({','.join(row)}) VALUES "
                f"({','.join('?' * len(row))})", list(row.values()))
            new = cur.lastrowid
            for s in steps_of(other, old):
                s = dict(s)
                log = s["log"]
                if log and not Path(log).is_absolute():
                    # Logs travel with the database: relative to it.
                    log = str(other_path.parent / log)
                db.execute("INSERT INTO steps VALUES (?,?,?,?,?,?,?)",
                           (new, s["position"], s["step"], s["result"],
                            s["seconds"], s["message"], log))
            for g in figures_of(other, old):
                db.execute("INSERT INTO figures VALUES (?,?,?,?)",
                           (new, g["step"], g["name"], g["value"]))
            imported += 1
    other.close()
    return imported, skipped


def add_history_arguments(p):
    p.add_argument("job", nargs="?", help="only this job")
    p.add_argument("--since", help="a date (2026-12-01), or 3d / 12h ago")
    p.add_argument("--kernel", help="kernel release, package or revision "
                   "containing this")
    p.add_argument("--junit", metavar="FILE", help="also write the flights "
                   "shown as JUnit XML")
    p.add_argument("--import", dest="import_dbs", metavar="DB",
                   action="append", default=[], help="first merge this "
                   "flights.db (e.g. a CI job's artifact); repeatable")


def history_main(args):
    db = connect()
    for other in args.import_dbs:
        imported, skipped = import_db(db, other)
        print(f"imported {imported} flights from {other}"
              + (f" ({skipped} already here)" if skipped else ""))
    flights = query(db, args.job, args.since, args.kernel)
    for line in table(db, flights):
        print(line)
    if not flights:
        print(f"(no flights in {db_path()} match)")
    if args.junit:
        write_junit(db, flights, args.junit)
        print(f"JUnit XML: {args.junit} ({len(flights)} flights)")
    db.close()
    return 0
