"""The API's resources under /api/v1 (flask-smorest: each view's arguments and answers are its
schemas, and the OpenAPI document is generated from them). Views only parse, call the API's
service and commit; who may do what is decided by the areas' own permission rules."""

from flask import g, request
from flask_smorest import Blueprint, abort

from tracker import clock
from tracker.extensions import db

from . import schemas, service

bp = Blueprint("api", __name__, url_prefix="/api/v1", description="The tracker's REST API")


@bp.before_request
def authenticate():
    """Every resource needs `Authorization: Bearer <token>`: 401 without a usable one."""
    kind, _, secret = request.headers.get("Authorization", "").partition(" ")
    token = service.token_for(db.session, secret.strip(), clock.now())
    if kind.lower() != "bearer" or token is None:
        abort(401, message="A valid API token is needed: Authorization: Bearer <token>.")
    db.session.commit()  # its last use
    g.api_token, g.api_person = token, token.person


@bp.post("/events")
@bp.arguments(schemas.EventIn)
@bp.response(201, schemas.EventWithDeliverables, description="Recorded, with its deliverables")
@bp.alt_response(200, schema=schemas.EventWithDeliverables, description="Already recorded")
def post_event(data):
    """Record a business event once per (store, external_id): the same id again answers 200
    with the first event and creates nothing."""
    event, created = service.record(db.session, g.api_person, data, clock.now())
    db.session.commit()
    return event, 201 if created else 200


@bp.get("/events")
@bp.arguments(schemas.EventListArgs, location="query")
@bp.response(200, schemas.EventPage)
def list_events(args):
    """The events one sees, oldest first, a page at a time."""
    query = service.events_query(
        db.session, g.api_person, store=args["store"], reference=args["reference"]
    )
    return service.page_of(db.session, query, service.BusinessEvent, args["cursor"], args["limit"])


@bp.get("/events/<int:event_id>")
@bp.etag
@bp.response(200, schemas.EventWithDeliverables)
def get_event(event_id):
    """One event with the deliverables it created that one sees."""
    return service.event_with_deliverables(db.session, g.api_person, event_id)


@bp.get("/deliverables")
@bp.arguments(schemas.DeliverableListArgs, location="query")
@bp.response(200, schemas.DeliverablePage)
def list_deliverables(args):
    """The deliverables one sees, filtered (store, department, status, due range, reference,
    overdue), in id order, a page at a time."""
    filters = service.DeliverableFilters(
        **{k: args[k] for k in ("store", "department", "status", "due_from", "due_to")},
        reference=args["reference"],
        overdue=args["overdue"],
    )
    query = service.deliverables_query(db.session, g.api_person, filters, clock.now())
    return service.page_of(db.session, query, service.Deliverable, args["cursor"], args["limit"])


@bp.get("/deliverables/<int:deliverable_id>")
@bp.etag
@bp.response(200, schemas.DeliverableOut)
def get_deliverable(deliverable_id):
    """One deliverable with its submissions and its history."""
    return service.deliverable_detail(db.session, g.api_person, deliverable_id)


@bp.post("/deliverables/<int:deliverable_id>/submit")
@bp.arguments(schemas.SubmitIn, location="form", content_type="multipart/form-data")
@bp.response(200, schemas.DeliverableOut)
def submit(data, deliverable_id):
    """Hand it in (multipart form: the evidence fields and an optional `file`)."""
    upload = request.files.get("file")
    found = service.submit(db.session, g.api_token, deliverable_id, data, upload, clock.now())
    db.session.commit()
    return found


def _decide(action: str, schema):
    @bp.post(f"/deliverables/<int:deliverable_id>/{action}", endpoint=action)
    @bp.arguments(schema)
    @bp.response(200, schemas.DeliverableOut)
    def decide(data, deliverable_id):
        found = service.act(db.session, g.api_token, deliverable_id, action, data, clock.now())
        db.session.commit()
        return found

    decide.__doc__ = f"The receiving department's decision: {action} it."
    return decide


accept = _decide("accept", schemas.AcceptIn)
return_ = _decide("return", schemas.ReturnIn)
waive = _decide("waive", schemas.WaiveIn)


@bp.get("/commitments")
@bp.arguments(schemas.PageArgs, location="query")
@bp.response(200, schemas.CommitmentPage)
def list_commitments(args):
    """The catalogue's commitments."""
    query = service.commitments_query()
    return service.page_of(db.session, query, service.Commitment, args["cursor"], args["limit"])


@bp.get("/stores/<code>/calendar/<int:year>")
@bp.etag
@bp.response(200, schemas.CalendarOut)
def store_calendar(code, year):
    """A store's working calendar for a year: each day working or not, and its holiday."""
    return service.calendar_of(db.session, g.api_person, code, year)


@bp.get("/scorecards/<month>")
@bp.arguments(schemas.ScorecardArgs, location="query")
@bp.response(200, schemas.ScorecardOut)
def scorecard(args, month):
    """A month's scorecard as one may see it; a closed month gives the figures kept at its
    close, with the decisions made since."""
    return service.scorecard_of(db.session, g.api_person, month, args, clock.now())


@bp.get("/cockpit")
@bp.arguments(schemas.CockpitArgs, location="query")
@bp.response(200, schemas.CockpitOut)
def cockpit(args):
    """The cockpit's numbers for one: overdue by age, due today and this week, waiting."""
    return service.cockpit_of(db.session, g.api_person, args["store"], clock.now())
