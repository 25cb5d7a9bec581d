"""The audit trail: hash chains per application and for the system, daily anchors, verification."""
