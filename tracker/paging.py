"""One page of a list, and how many rows there are in all ("21–40 of 695"): the inbox, the
cockpit's lists, the department's list, the people, the deliverables behind a scorecard's
number. Never a silent cap: a list longer than a page says so and links to the next one.
Two queries a page (the count and the rows), however many rows there are."""

from dataclasses import dataclass
from math import ceil

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from tracker import validation


@dataclass(frozen=True)
class Page:
    """The rows of one page, and how many there are in all."""

    rows: list
    total: int
    page: int
    per_page: int
    asked: int = 1  # the page asked for; past the end, the last one is shown

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def first(self) -> int:
        """The position of the page's first row (1-based), for "21–40 of 695"."""
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0

    @property
    def past_the_end(self) -> bool:
        return self.asked > self.page


def page_number(text: str | None) -> int:
    """The page asked for in a query string: 1 when there is none or it is not a number."""
    return validation.parse_id(text or "1") or 1


def page_of(
    session: Session, query: Select, page: int, per_page: int, *, entities: bool = True
) -> Page:
    """One page of a query's rows (in the query's order) with the count of them all; a page
    past the end shows the last one. `entities`: the query selects one ORM entity (else its
    rows are returned as they are)."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    shown = min(max(1, page), max(1, ceil(total / per_page)))
    sliced = query.limit(per_page).offset((shown - 1) * per_page)
    rows = session.scalars(sliced).unique().all() if entities else session.execute(sliced).all()
    return Page(rows=list(rows), total=total, page=shown, per_page=per_page, asked=page)
