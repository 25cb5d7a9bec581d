"""One application's life: commands (start, complete, claim, messages), the inbox and the task and
application read models, who may see and do what, attachments, batch actions, version moves."""
