"""Where uploaded and generated files live: one folder outside the web root, shared by both edges."""
from __future__ import annotations

from pathlib import Path

from flask import current_app


def files_folder() -> Path:
    """The attachments folder (GREENLIST_ATTACHMENTS_DIR, else instance/attachments): uploaded PDFs, the
    frozen 推荐汇总表 and the sealed scans of the city packages, each under a generated name."""
    return Path(current_app.config.get("GREENLIST_ATTACHMENTS_DIR") or Path(current_app.instance_path) / "attachments")
