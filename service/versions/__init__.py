"""Process versions: deployment, drafts, rehearsal, and the standard paths and sample declarations
they are rehearsed with."""
