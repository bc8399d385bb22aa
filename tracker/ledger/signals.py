"""What the ledger announces to whoever listens (scorecards, later reminders and the API).

`deliverable_decided` is sent with the session as sender, in the transaction that decided the
deliverable, right after its conditional UPDATE: a receiver writes in the same transaction, so a
rollback undoes its work too. Keyword arguments: `deliverable_id`, `status`."""

from blinker import Namespace

ledger_signals = Namespace()

deliverable_decided = ledger_signals.signal("deliverable-decided")
