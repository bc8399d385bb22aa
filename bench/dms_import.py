"""The DMS import's throughput: `python -m bench.dms_import --database-url URL [--rows 10000]`.

A fresh database with the default catalogue and one store; `bench.generate.write_dms_export`
writes a realistic export (Chinese headers and event names); it is imported with the columns of
docs/dms-mapping.json and every event type's Chinese name through `tracker.imports.service`,
as `tracker import events` does, in one transaction. Prints events/s and deliverables created,
as JSON; then imports the file again (every row already imported) and reports that too.
`--repeat N` measures N times, each on a database made anew; `--output FILE` also writes the
JSON there, with the command, the machine and the load average around each run."""

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import func, select

from bench.common import DEFAULT_NOW, ROOT, make_app, recreate_database
from bench.generate import write_dms_export
from bench.run import machine
from tracker.catalog.dealership import EVENT_TYPES
from tracker.catalog.service import load_catalog
from tracker.extensions import db
from tracker.imports import service
from tracker.ledger.models import Deliverable
from tracker.org import service as org


def measure(url: str, rows: int, now: datetime) -> dict:
    """Import a generated export of `rows` rows, then again; the figures."""
    recreate_database(url)
    app = make_app(url)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        load_catalog(db.session, "dealership", now)
        store = org.add_store(
            db.session,
            code="SH01",
            name="Shanghai",
            timezone="Asia/Shanghai",
            country="CN",
            now=now,
        )
        spec = json.loads((ROOT / "docs" / "dms-mapping.json").read_text(encoding="utf-8"))
        every_type = {zh: code for code, (_en, zh) in EVENT_TYPES.items()}
        service.save_mapping(db.session, "dms-daily", spec["columns"], every_type, now=now)
        db.session.commit()
        mapping = service.get_mapping(db.session, "dms-daily")
        path = Path(tempfile.mkdtemp()) / "dms-export.csv"
        write_dms_export(path, rows, store_code="SH01", now=now)
        figures = {
            "database": url.split(":")[0],
            "server": db.session.connection().dialect.server_version_info,
            "rows": rows,
            "load_average_before": _load(),
        }
        for run in ("first", "again"):
            started = time.perf_counter()
            table = service.read_table(path.name, path.read_bytes())
            outcome = service.import_table(db.session, store, mapping, table, by=None, now=now)
            db.session.commit()
            seconds = time.perf_counter() - started
            figures[run] = {
                **outcome.summary(),
                "seconds": round(seconds, 2),
                "events_per_second": round(rows / seconds),
            }
        figures["load_average_after"] = _load()
        figures["deliverables_in_db"] = db.session.scalar(
            select(func.count()).select_from(Deliverable)
        )
        db.engine.dispose()
    return figures


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--now", default=DEFAULT_NOW)
    parser.add_argument("--repeat", type=int, default=1, help="runs, each on a new database")
    parser.add_argument("--output", help="also write the JSON here")
    args = parser.parse_args(argv)
    now = datetime.fromisoformat(args.now)
    runs = [measure(args.database_url, args.rows, now) for _ in range(max(1, args.repeat))]
    result = {
        "command": "python -m bench.dms_import "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "runs": runs,
    }
    text = json.dumps(result, ensure_ascii=False, indent=2)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
