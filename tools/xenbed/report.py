"""`xenbed report`: one self-contained HTML page over the flights.

A pass/fail grid of jobs by kernel (the latest flight of each), the
benchmark figures plotted over the flights (matplotlib, PNG embedded as
base64, so the page is one file to mail or archive), and the recent
flights with what failed.
"""

import base64
import datetime
import html
import io
from pathlib import Path

from . import flights, jobs
from .common import XenbedError, git_revision

CSS = """
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin-bottom: 2em; }
th, td { border: 1px solid #bbb; padding: 0.3em 0.6em; text-align: left;
         vertical-align: top; }
td.pass { background: #c8f0c8; } td.fail { background: #f6b8b8; }
td.infra { background: #f6e0a0; } td.blocked { background: #ddd; }
td.none { background: #fff; color: #999; }
.small { font-size: 0.8em; color: #555; }
img { max-width: 100%; }
"""


def kernel_key(flight):
    return flight["kernel_release"] + (
        f"@{flight['kernel_revision'][:12]}" if flight["kernel_revision"]
        else "")


def grid(db, rows):
    """{(job, kernel): latest flight} over whole-job flights, with the
    jobs and kernels in first-seen order."""
    cells, job_names, kernels = {}, [], []
    for f in rows:
        if f["only_step"]:
            continue
        key = (f["job"], kernel_key(f))
        cells[key] = f                      # rows are oldest first
        if f["job"] not in job_names:
            job_names.append(f["job"])
        if key[1] not in kernels:
            kernels.append(key[1])
    return cells, job_names, kernels


def series(db, rows):
    """{figure "step/name": {"job kernel": [(time, value)]}}."""
    out = {}
    for f in rows:
        when = datetime.datetime.fromisoformat(f["started"])
        for g in flights.figures_of(db, f["id"]):
            line = out.setdefault(f"{g['step']}/{g['name']}", {}) \
                .setdefault(f"{f['job']} {kernel_key(f)}", [])
            line.append((when, g["value"]))
    return out


def plot_png(name, lines):
    """One figure's values over time, a line per job and kernel: PNG
    bytes."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise XenbedError("xenbed report needs matplotlib: run xenbed setup "
                          "(Debian package python3-matplotlib)")
    fig, ax = plt.subplots(figsize=(7, 3.2), dpi=90)
    for label, points in sorted(lines.items()):
        xs, ys = zip(*points)
        ax.plot(xs, ys, marker="o", label=label)
    ax.set_title(name)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    fig.autofmt_xdate()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def render(db, rows, title="xenbed flights"):
    e = html.escape
    cells, job_names, kernels = grid(db, rows)
    out = ["<!DOCTYPE html>", "<html><head><meta charset='utf-8'>",
           f"<title>{e(title)}</title><style>{CSS}</style></head><body>",
           f"<h1>{e(title)}</h1>",
           f"<p class='small'>{len(rows)} flights; generated "
           f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} "
           f"UTC by xenbed {e(git_revision())}</p>",
           "<h2>Latest result per job and kernel</h2>",
           "<table id='grid'><tr><th>job</th>"]
    out += [f"<th>{e(k)}</th>" for k in kernels]
    out.append("</tr>")
    for job in job_names:
        out.append(f"<tr><th>{e(job)}</th>")
        for k in kernels:
            f = cells.get((job, k))
            if f is None:
                out.append(f"<td class='none' data-job='{e(job)}' "
                           f"data-kernel='{e(k)}'>-</td>")
                continue
            bad = [s for s in flights.steps_of(db, f["id"])
                   if s["result"] != jobs.PASS]
            detail = "<br>".join(f"{e(s['step'])}: {e(s['result'])}"
                                 for s in bad)
            out.append(f"<td class='{e(f['result'])}' data-job='{e(job)}' "
                       f"data-kernel='{e(k)}' title='flight {f['id']}'>"
                       f"{e(f['result'].upper())} "
                       f"<span class='small'>#{f['id']} "
                       f"{e(f['started'][:16])}<br>{detail}</span></td>")
        out.append("</tr>")
    out.append("</table>")
    figures = series(db, rows)
    out.append("<h2>Benchmark figures over flights</h2>")
    if not figures:
        out.append("<p>No figures recorded yet.</p>")
    for name, lines in sorted(figures.items()):
        png = base64.b64encode(plot_png(name, lines)).decode()
        out.append(f"<h3>{e(name)}</h3><img alt='{e(name)}' "
                   f"src='data:image/png;base64,{png}'>")
    out += ["<h2>Flights</h2>", "<table id='flights'><tr><th>flight</th>"
            "<th>started (UTC)</th><th>job</th><th>kernel</th><th>accel</th>"
            "<th>result</th><th>what failed</th></tr>"]
    for f in reversed(rows[-200:]):
        bad = [s for s in flights.steps_of(db, f["id"])
               if s["result"] in (jobs.FAIL, jobs.INFRA)]
        why = "<br>".join(
            f"{e(s['step'])}: {e((s['message'] or '').splitlines()[0] if s['message'] else '')}"
            f" <span class='small'>{e(str(flights.log_path(s['log']) or ''))}"
            "</span>" for s in bad)
        job = f["job"] + (f" ({f['only_step']})" if f["only_step"] else "")
        out.append(f"<tr><td>{f['id']}</td><td>{e(f['started'][:19])}</td>"
                   f"<td>{e(job)}</td><td>{e(kernel_key(f))}</td>"
                   f"<td>{e(f['accel'])}</td><td class='{e(f['result'])}'>"
                   f"{e(f['result'].upper())}</td><td>{why}</td></tr>")
    out += ["</table>", "</body></html>"]
    return "\n".join(out) + "\n"


def add_arguments(p):
    p.add_argument("job", nargs="?", help="only this job")
    p.add_argument("--since", help="a date (2026-12-01), or 3d / 12h ago")
    p.add_argument("--kernel", help="kernel release, package or revision "
                   "containing this")
    p.add_argument("-o", "--output", help="HTML file (default "
                   "report.html beside flights.db)")


def main(args):
    db = flights.connect()
    rows = flights.query(db, args.job, args.since, args.kernel)
    out = Path(args.output or jobs.data_dir() / "report.html")
    out.write_text(render(db, rows))
    db.close()
    print(f"xenbed report: {out} ({len(rows)} flights)")
    return 0
