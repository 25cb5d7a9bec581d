"""The engine's errors: what the service translates into its own (see applications/saving.py run)."""
from __future__ import annotations

from SpiffWorkflow.util.task import TaskState


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


# A task's engine state as a clerk would read it in a refusal ("当前尚未开始，不能办理"), never the engine's word.
STATE_NAMES = {"MAYBE": "可能不会执行", "LIKELY": "尚未开始", "FUTURE": "尚未开始", "WAITING": "正在等待",
               "READY": "待办理", "STARTED": "正在办理", "COMPLETED": "已办理完毕", "ERROR": "出错",
               "CANCELLED": "已取消"}


def state_name(state) -> str:
    return STATE_NAMES.get(TaskState.get_name(state), "不可办理")
