"""The 推荐材料 pages without JavaScript: the city ranks, freezes, uploads and sends; the province signs receipt."""
import io

from tests.api import ApiScenario, ok
from tests.pages import text


def test_the_city_and_the_province_run_the_package_from_their_pages(api, visitor):
    first = ApiScenario(api).start().declare().city_review("recommend")
    round_id, city = first.round_id, "220100"
    page_path = f"/rounds/{round_id}/cities/{city}/package"

    city_user = visitor("changchun")
    page = text(city_user.get(page_path))
    assert "长春示范汽车零部件有限公司" in page and f'name="rank-{first.application_id}" value="1"' in page
    assert "市州推荐截止" in page and "排序并封存推荐汇总表" in page

    unconfirmed = city_user.post(page_path, {f"rank-{first.application_id}": "1", "filler_name": "王填报",
                                             "filler_phone": "0431-88886666"})
    assert unconfirmed.status_code == 302
    assert "请勾选确认" in text(city_user.get(page_path))
    wrong = city_user.post(page_path, {f"rank-{first.application_id}": "2", "filler_name": "王填报",
                                       "filler_phone": "0431-88886666", "confirm": "yes"})
    assert "排序应在 1–1 之间" in text(city_user.get(wrong.headers["Location"]))
    city_user.post(page_path, {f"rank-{first.application_id}": "1", "filler_name": "王填报",
                               "filler_phone": "0431-88886666", "confirm": "yes"})
    page = text(city_user.get(page_path))
    assert "已封存第 1 批推荐材料" in page and "已封存，待上传盖章材料并寄送" in page
    package_id = ok(api.get(f"/api/rounds/{round_id}/cities/{city}/package", "changchun"))["packages"][0]["id"]

    city_user.post(f"/packages/{package_id}/files/letter", {"file": (io.BytesIO(b"GIF89a"), "letter.pdf")},
                   content_type="multipart/form-data")
    assert "只接受 PDF 文件" in text(city_user.get(page_path))
    for kind in ("letter", "sealed_table"):
        city_user.post(f"/packages/{package_id}/files/{kind}", {"file": (io.BytesIO(b"%PDF-1.4 x"), f"{kind}.pdf")},
                       content_type="multipart/form-data")
    city_user.post(f"/packages/{package_id}/sent", {"note": "EMS 1100", "paper": "yes"})
    assert "已确认寄送，等待省厅签收" in text(city_user.get(page_path))

    assert visitor("jilin").get(page_path).status_code == 403
    assert visitor("changchun").get(f"/rounds/{round_id}/packages").status_code == 403

    province = visitor("province")
    overview = text(province.get(f"/rounds/{round_id}/packages"))
    assert "已寄送，待省厅签收" in overview and "登记签收" in overview and "全省推荐汇总表" in overview
    assert overview.count("尚未封存") == 10  # the other ten cities
    response = province.post(f"/packages/{package_id}/received")
    assert response.status_code == 302
    assert "已登记签收，1 个推荐申报进入形式审查" in text(province.get(response.headers["Location"]))
    assert first.detail()["stage"] == "形式审查与遴选专家"
    assert "各市州推荐材料" in text(province.get(f"/rounds/{round_id}"))
    timeline = text(province.get(f"/applications/{first.application_id}"))
    assert "封存市州推荐材料" in timeline and "省厅签收市州推荐材料" in timeline and "推荐汇总表 SHA-256" in timeline
