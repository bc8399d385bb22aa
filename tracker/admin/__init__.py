"""Administration: stores, departments, people, commitments, working calendars, test email."""
