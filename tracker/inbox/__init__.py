"""The receiving department's inbox: accept, return, waive, and raise requests."""
