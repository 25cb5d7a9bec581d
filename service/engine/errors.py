"""The engine's errors: what the service translates into its own (see applications/saving.py run)."""
from __future__ import annotations


class EngineError(Exception):
    code = "engine_error"


class TaskNotFound(EngineError):
    code = "task_not_found"


class TaskNotReady(EngineError):
    code = "task_not_ready"


class MessageNotExpected(EngineError):
    code = "message_not_expected"


class ScriptFailed(EngineError):
    """A diagram expression failed while the engine ran; nothing may be saved."""

    code = "script_failed"

    def __init__(self, message: str, element_id: str | None = None):
        self.element_id = element_id
        super().__init__(message)
