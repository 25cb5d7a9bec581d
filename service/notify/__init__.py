"""Notifications: the outbox written with each state change, and the senders the worker uses."""
