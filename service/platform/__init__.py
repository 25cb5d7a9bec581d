"""The plumbing every feature stands on: settings, extensions, the transaction boundary, errors, logs,
time, security headers, health checks, the database schema and the reference data."""
