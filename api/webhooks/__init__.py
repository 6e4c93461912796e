"""Signed webhooks (issue 14 §2): subscriptions, the outbox written with each event
(fanout), sending with retries (sending), and the office's and clients' writes (services)."""
