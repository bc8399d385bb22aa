"""The scheduler: APScheduler jobs run by whichever process holds the database lock.

`run()` loops: wait for the lock (polling), then start a BackgroundScheduler with the jobs and
renew the lock every poll; if the lock is lost, stop the jobs and wait again. Started by
`flask --app wsgi tracker scheduler` or, for the embedded single store, in a thread of
`tracker serve`; never by create_app, so web workers never start one."""

import sys
import threading
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from tracker import clock
from tracker.extensions import db
from tracker.imports import jobs as imports
from tracker.reminders import jobs
from tracker.reminders.lock import SchedulerLock

DEFAULTS = {
    "SCHEDULER_RECURRING_SECONDS": 3600,  # keep recurring deliverables created ahead
    "SCHEDULER_SWEEP_SECONDS": 300,  # check deadlines and write reminders
    "SCHEDULER_DELIVER_SECONDS": 60,  # compose digests and deliver the outbox
    "SCHEDULER_EVIDENCE_SECONDS": 3600,  # remove evidence files no submission names
    "SCHEDULER_IMPORT_SECONDS": 600,  # import the DMS exports dropped in IMPORT_WATCH_DIR
    "SCHEDULER_LEASE_SECONDS": 60,  # SQLite lease length; a dead holder is replaced after it
    "SCHEDULER_POLL_SECONDS": 10,  # how often the holder renews and a waiting process tries
}


class Scheduler:
    """One process's scheduler: it acts only while it holds the lock."""

    def __init__(self, app: Flask, *, as_of: datetime | None = None, **overrides):
        self.app = app
        self.worker = jobs.worker_name()
        with app.app_context():
            self.intervals = {
                name: int(overrides.get(name) or jobs._setting(name, default))
                for name, default in DEFAULTS.items()
            }
            engine = db.engine
        self.lock = SchedulerLock(
            engine, self.worker, lease_seconds=self.intervals["SCHEDULER_LEASE_SECONDS"]
        )
        self._started = clock.now()
        self._as_of = as_of
        self._stop = threading.Event()
        self._scheduler: BackgroundScheduler | None = None

    def now(self) -> datetime:
        """The business clock: the real one, or for drills `as_of` running on from the start."""
        if self._as_of is None:
            return clock.now()
        return self._as_of + (clock.now() - self._started)

    def log(self, text: str) -> None:
        print(f"scheduler {self.worker}: {text}", file=sys.stderr, flush=True)

    def run_job(self, name: str) -> None:
        """One run of a job as of the scheduler's now, in the app's context; its failure is
        logged, never raised (a job's failure must not stop the scheduler)."""
        with self.app.app_context():
            now = self.now()
            try:
                if name == "recurring":
                    created = jobs.create_recurring(now)
                    self.log(f"job recurring as of {now.isoformat()}: {created} created")
                elif name == "sweep":
                    report = jobs.run_pass(now, worker=self.worker)
                    self.log(f"job sweep as of {now.isoformat()}: {report.as_dict()}")
                elif name == "evidence":
                    report = jobs.remove_orphan_evidence(now)
                    self.log(f"job evidence as of {now.isoformat()}: {report.as_dict()}")
                elif name == "import":
                    self._import(now)
                else:
                    jobs.compose(now)
                    jobs.compose_robots(now)
                    report = jobs.deliver(now, worker=self.worker)
                    self.log(f"job deliver as of {now.isoformat()}: {report.as_dict()}")
            except Exception as exc:
                db.session.rollback()
                self.log(f"job {name} failed: {type(exc).__name__}: {exc}")
            finally:
                db.session.remove()

    def _import(self, now: datetime) -> None:
        """The watched folder's new files; each one's counts or its error in the log."""
        results = imports.watch(now)
        self.log(f"job import as of {now.isoformat()}: {len(results)} file(s) to report")
        for result in results:
            self.log(f"job import: {result.as_dict()}")

    def job_names(self) -> list[tuple[str, str]]:
        """The jobs this scheduler runs, with their interval's setting: the import only when
        a watched folder is set (IMPORT_WATCH_DIR)."""
        names = [
            ("recurring", "SCHEDULER_RECURRING_SECONDS"),
            ("sweep", "SCHEDULER_SWEEP_SECONDS"),
            ("deliver", "SCHEDULER_DELIVER_SECONDS"),
            ("evidence", "SCHEDULER_EVIDENCE_SECONDS"),
        ]
        with self.app.app_context():
            if imports.settings() is not None:
                names.append(("import", "SCHEDULER_IMPORT_SECONDS"))
        return names

    def _start_jobs(self) -> None:
        scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(1)},  # one job at a time, in order
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
        )
        soon = datetime.now(UTC)
        for offset, (name, setting) in enumerate(self.job_names()):
            scheduler.add_job(
                self.run_job,
                "interval",
                args=(name,),
                seconds=self.intervals[setting],
                id=name,
                next_run_time=soon + timedelta(milliseconds=10 * offset),
            )
        scheduler.start()
        self._scheduler = scheduler

    def _stop_jobs(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

    def run(self) -> None:
        """Wait for the lock, act while holding it, until stopped."""
        poll = self.intervals["SCHEDULER_POLL_SECONDS"]
        self.log("started; waiting for the lock")
        try:
            while not self._stop.is_set():
                if self.lock.held:
                    if not self.lock.renew():
                        self.log("lost the lock; stopping jobs")
                        self._stop_jobs()
                elif self.lock.acquire():
                    self.log("holds the lock; acting")
                    self._start_jobs()
                self._stop.wait(poll)
        finally:
            self._stop_jobs()
            self.lock.release()
            self.log("stopped")

    def stop(self) -> None:
        self._stop.set()


def start_embedded(app: Flask) -> Scheduler:
    """Run a scheduler in a daemon thread of this process (the single-store `tracker serve`)."""
    scheduler = Scheduler(app)
    threading.Thread(target=scheduler.run, name="tracker-scheduler", daemon=True).start()
    return scheduler
