"""The "now" cockpit: what is overdue, due and waiting right now, for leads, heads and receivers."""
