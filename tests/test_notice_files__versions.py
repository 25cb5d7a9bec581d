"""The notice's attachments are files of the process version: offered on the declaration page for the
unit's category, downloaded as deployed, and replaced for next year through a draft while the version
already deployed keeps offering the old file."""
import hashlib
import io
import json
import zipfile
from urllib.parse import quote

from openpyxl import load_workbook

from service.engine.bundle import Bundle
from service.versions.deploy import deploy
from service.platform.errors import Invalid
from service.platform.transactions import transaction
from tests.api import ApiScenario, first_version_id, ok, refused

ROOT_MANIFEST = json.loads(open("processes/notice_files.json", encoding="utf-8").read())["files"]


def test_the_declaration_page_offers_the_files_of_the_units_category(api, visitor):
    s = ApiScenario(api).start()
    task_id = s.open_task(s.applicant)
    unit = visitor(s.applicant)
    page = unit.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "通知附件" in page and "附件1 推荐汇总表" in page and "附件4 绿色工厂第三方评价报告模板" in page
    assert "附件5 绿色工业园区第三方评价报告模板" not in page  # a park's template is not a factory's business
    offered = ok(api.get(f"/api/tasks/{task_id}", s.applicant))["notice_files"]
    assert [f["title"] for f in offered] == ["附件1 推荐汇总表", "附件4 绿色工厂第三方评价报告模板"]
    link = f"/api/process-versions/{first_version_id()}/notice-files/{quote('附件4-绿色工厂第三方评价报告模板.docx')}"
    assert f'href="{link}"' in page
    response = unit.client.get(link)  # the page's link, with the page's login
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    content = response.get_data()
    entry = next(f for f in ROOT_MANIFEST if f["file"] == "附件4-绿色工厂第三方评价报告模板.docx")
    assert hashlib.sha256(content).hexdigest() == entry["sha256"]
    document = zipfile.ZipFile(io.BytesIO(content)).read("word/document.xml").decode()
    assert "绿色工厂评价报告（模板）" in document and "评价结论" in document and "GB/T 36132" in document


def test_the_summary_table_template_opens_as_a_workbook(api):
    version_id = first_version_id()
    response = api.get(f"/api/process-versions/{version_id}/notice-files/附件1-推荐汇总表.xlsx", "changchun")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["绿色工厂", "绿色工业园区", "绿色供应链管理企业"]
    park = book["绿色工业园区"]
    headings = [c.value for c in park[3]]
    assert headings[:6] == ["序号", "推荐排序", "市州", "县（市、区）", "单位名称", "统一社会信用代码"]
    assert "工业增加值占比（%）" in headings and headings[-1] == "备注"
    assert park.page_setup.orientation == "landscape" and park.print_title_rows == "$3:$3"
    listed = ok(api.get(f"/api/process-versions/{version_id}/notice-files?category=park", "changchun"))
    assert [f["file"] for f in listed] == ["附件1-推荐汇总表.xlsx", "附件2-绿色工业园区评价要求.docx",
                                           "附件5-绿色工业园区第三方评价报告模板.docx"]
    refused(api.get(f"/api/process-versions/{version_id}/notice-files/nothing.pdf", "changchun"), 404,
            "notice_file_not_found")


def new_template(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        zipped.writestr("word/document.xml", f"<w:document><w:t>{text}</w:t></w:document>")
    return buffer.getvalue()


def post_notice_file(api, draft, content, name, who="admin", **form):
    return api.post(f"/api/process-drafts/{draft['id']}/notice-files", who, data={
        "revision": str(draft["revision"]), "file": (io.BytesIO(content), name), **form},
        content_type="multipart/form-data")


def test_an_administrator_replaces_a_template_for_next_year(api):
    old_version = first_version_id()
    path = "/notice-files/附件4-绿色工厂第三方评价报告模板.docx"
    before = api.get(f"/api/process-versions/{old_version}{path}", "admin").data
    draft = ok(api.post("/api/process-drafts", "admin", json={"from_version": old_version}), 201)
    content = new_template("2025年度绿色工厂评价报告模板（新）")
    refused(post_notice_file(api, draft, content, "附件4-绿色工厂评价报告模板2025.docx", who="province",
                             title="x"), 403, "forbidden")
    refused(post_notice_file(api, draft, b"MZ not a document", "附件4-2025.docx", title="附件4"), 422,
            "validation_failed", "file")
    refused(post_notice_file(api, draft, content, "evil.exe", title="附件4"), 422, "validation_failed", "file")
    refused(post_notice_file(api, draft, content, "附件4-2025.docx", title="  "), 422, "validation_failed", "title")
    ok(post_notice_file(api, draft, content, "附件4-绿色工厂评价报告模板2025.docx",
                        title="附件4 绿色工厂评价报告模板（2025年版）", categories="factory",
                        replaces="附件4-绿色工厂第三方评价报告模板.docx"))
    draft = ok(api.get(f"/api/process-drafts/{draft['id']}", "admin"))
    manifest = json.loads(draft["files"]["processes/notice_files.json"])["files"]
    assert manifest[3]["file"] == "附件4-绿色工厂评价报告模板2025.docx"  # in the old one's place
    new = ok(api.post(f"/api/process-drafts/{draft['id']}/deploy", "admin", json={"note": "2025年评价报告模板"}), 201)
    offered = ok(api.get(f"/api/process-versions/{new['id']}/notice-files?category=factory", "admin"))
    assert [f["title"] for f in offered] == ["附件1 推荐汇总表", "附件4 绿色工厂评价报告模板（2025年版）"]
    assert api.get(f"/api/process-versions/{new['id']}/notice-files/附件4-绿色工厂评价报告模板2025.docx",
                   "admin").data == content
    # The version already deployed still offers, byte for byte, what it offered.
    assert api.get(f"/api/process-versions/{old_version}{path}", "admin").data == before
    refused(api.get(f"/api/process-versions/{new['id']}{path}", "admin"), 404, "notice_file_not_found")


def test_deploy_refuses_a_manifest_naming_a_file_stored_nowhere(app, version, bundle):
    manifest = json.loads(bundle.processes["notice_files.json"])
    manifest["files"].append({"file": "附件7-未上传.pdf", "title": "附件7", "categories": [],
                              "sha256": "0" * 64, "size": 10})
    changed = Bundle({**bundle.processes, "notice_files.json": json.dumps(manifest, ensure_ascii=False)},
                     dict(bundle.forms))
    try:
        with transaction():
            deploy(changed, actor="admin", note="缺文件")
        raise AssertionError("deployed a version naming a missing file")
    except Invalid as err:
        assert err.code == "bundle_invalid" and "附件7-未上传.pdf" in err.details[0] and "未上传" in err.details[0]


def test_files_on_disk_must_match_the_manifest(bundle):
    from service.engine.validation import validate_bundle

    tampered = Bundle(dict(bundle.processes), dict(bundle.forms),
                      {**bundle.files, "附件1-推荐汇总表.xlsx": b"PK\x03\x04 changed", "extra.pdf": b"%PDF-1.4"})
    messages = [p.message for p in validate_bundle(tampered)]
    assert "文件 附件1-推荐汇总表.xlsx 的内容与清单中的摘要或大小不符；请重新生成清单" in messages
    assert "notice_files 目录中的 extra.pdf 未列入清单 notice_files.json" in messages


def test_a_versions_zip_carries_its_notice_files_and_deploys_as_it_is(api, tmp_path):
    from service.engine.validation import validate_bundle

    archive = api.get(f"/api/process-versions/{first_version_id()}/archive.zip", "admin")
    zipfile.ZipFile(io.BytesIO(archive.data)).extractall(tmp_path)
    unpacked = Bundle.from_directories(tmp_path / "processes", tmp_path / "forms")
    assert sorted(unpacked.files) == sorted(f["file"] for f in ROOT_MANIFEST)
    assert validate_bundle(unpacked) == []
