"""Messaging: the CloudEvents envelope, the transactional outbox and its relay, the idempotent consumer."""
