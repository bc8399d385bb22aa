"""The one scheduler: a lock held in the database, so only one process acts at a time.

PostgreSQL: a session-level advisory lock on a connection kept for the purpose; it goes when
the process (or its connection) dies. SQLite: a lease row renewed by the holder; another
process takes it over once it has expired. Either way the waiting process polls and takes over.

The lock keeps the work in one place; it is not what prevents double mail (the outbox keys and
the delivery claims are), so a stalled holder that loses its lease does no harm."""

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import insert, or_, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from tracker import clock
from tracker.reminders.models import SchedulerLease

ADVISORY_KEY = 7_261_031_001  # "tracker scheduler"; any constant bigint shared by all processes


class SchedulerLock:
    """`acquire()` tries once; `renew()` says whether we still hold it; `release()` lets go."""

    def __init__(
        self,
        engine: Engine,
        holder: str,
        *,
        lease_seconds: int = 60,
        name: str = "scheduler",
        now: Callable[[], datetime] = clock.now,
    ):
        self.engine = engine
        self.holder = holder
        self.lease = timedelta(seconds=lease_seconds)
        self.name = name
        self.now = now
        self.held = False
        self._conn = None
        self.advisory = engine.dialect.name == "postgresql"

    # --- PostgreSQL ---

    def _pg_acquire(self) -> bool:
        try:
            if self._conn is None:
                self._conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            got = self._conn.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}
            ).scalar()
        except DBAPIError:
            self._drop_connection()
            return False
        return bool(got)

    def _pg_renew(self) -> bool:
        try:
            held = self._conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                    " AND pid = pg_backend_pid() AND objid = :low"
                ),
                {"low": ADVISORY_KEY & 0xFFFFFFFF},
            ).scalar()
        except (DBAPIError, AttributeError):
            self._drop_connection()
            return False
        return bool(held)

    def _drop_connection(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            except Exception:  # noqa: S110 - already broken
                pass
        self._conn = None

    # --- the lease row (SQLite) ---

    def _lease(self, *, renewing: bool) -> bool:
        now = self.now()
        until = now + self.lease
        table = SchedulerLease.__table__
        try:
            with self.engine.begin() as conn:
                row = conn.execute(select(table).where(table.c.name == self.name)).first()
                if row is None:
                    if renewing:
                        return False
                    conn.execute(
                        insert(table).values(
                            name=self.name, holder=self.holder, acquired_at=now, expires_at=until
                        )
                    )
                    return True
                mine = table.c.holder == self.holder
                values = {"holder": self.holder, "expires_at": until}
                if row.holder != self.holder:
                    values["acquired_at"] = now
                condition = mine if renewing else or_(mine, table.c.expires_at < now)
                changed = conn.execute(
                    update(table).where(table.c.name == self.name, condition).values(**values)
                ).rowcount
                return changed == 1
        except (IntegrityError, DBAPIError):
            return False

    # --- the interface ---

    def acquire(self) -> bool:
        self.held = self._pg_acquire() if self.advisory else self._lease(renewing=False)
        return self.held

    def renew(self) -> bool:
        if not self.held:
            return False
        self.held = self._pg_renew() if self.advisory else self._lease(renewing=True)
        return self.held

    def release(self) -> None:
        if self.advisory:
            if self._conn is not None and self.held:
                try:
                    self._conn.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY}
                    )
                except DBAPIError:
                    pass
            self._close()
        elif self.held:
            try:
                with self.engine.begin() as conn:
                    table = SchedulerLease.__table__
                    conn.execute(
                        update(table)
                        .where(table.c.name == self.name, table.c.holder == self.holder)
                        .values(expires_at=self.now() - timedelta(seconds=1))
                    )
            except DBAPIError:
                pass
        self.held = False

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None
