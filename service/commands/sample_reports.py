"""Sample evaluation reports for the demo seed and the tests: a declaration needs the reports its version's
materials.json requires (a self-evaluation or a third-party report), so whatever declares on a unit's behalf
attaches them first, through the same upload path a unit uses."""
from __future__ import annotations

from pathlib import Path

from flask import current_app

from service.accounts.models import User
from service.applications.attachments import UploadLimits, kinds_present, store_attachment
from service.applications.models import Application, Attachment
from service.platform.extensions import db
from service.versions.deploy import loaded_version


def _pdf(text: str) -> bytes:
    """A one-page PDF (ASCII text: the sample's content matters less than being a real, openable file)."""
    stream = f"BT /F1 14 Tf 72 760 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


SAMPLE_REPORT_PDF = _pdf("Sample evaluation report (demo)")


def attachments_folder() -> Path:
    return Path(current_app.config.get("GREENLIST_ATTACHMENTS_DIR") or Path(current_app.instance_path) / "attachments")


def required_kinds(application: Application, declaration: dict) -> list:
    """The reports the declaration still lacks (materials.json of the application's version)."""
    definition = loaded_version(application.process_version_id).definition
    return definition.materials.missing(application.category, declaration, kinds_present(application.id))


def attach_sample_reports(*, user: User, application_id: int, declaration: dict) -> list[Attachment]:
    """Upload, as ``user``, a sample PDF for each report ``declaration`` needs and the application lacks
    (in the caller's transaction)."""
    application = db.session.get(Application, application_id)
    return [store_attachment(user=user, application_id=application_id, kind=required.kind,
                             filename=f"{required.label}.pdf", content=SAMPLE_REPORT_PDF, folder=attachments_folder(),
                             limits=UploadLimits.from_config(current_app.config))
            for required in required_kinds(application, declaration)]
