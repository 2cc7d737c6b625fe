"""Plumbing shared by every service: contracts, envelope, outbox, inbox, tenancy, auth, observability."""
