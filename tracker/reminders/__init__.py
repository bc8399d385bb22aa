"""Reminders: the policy, the outbox of digests, the mail transport and the one scheduler."""
