"""Writes the notice's attachments (吉工信资源〔2024〕98号 附件1–6) into processes/notice_files/ and their
manifest processes/notice_files.json.

The official files are not public in a reusable form, so these are our own working documents written from
the notice and the public national requirements it cites: the 推荐汇总表 as a printable workbook, the two
evaluation requirements, and the three report templates with the headings a report must have. Each says on
its first page that the department's own file prevails. Run once when the wording changes and commit the
result (``python -m service.commands.notice_documents processes``); an administrator replaces any of them
for next year through a process draft.
"""
from __future__ import annotations

import hashlib
import io
import json
import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from service.engine.materials import NOTICE_FILES_DIR, NOTICE_FILES_FILE

SOURCE = "依据《吉林省工业和信息化厅关于组织开展2024年度省级绿色制造名单推荐工作的通知》（吉工信资源〔2024〕98号）整理"
CAVEAT = "本文件为申报系统提供的参考文本；如与省工业和信息化厅正式发布的文件不一致，以正式文件为准。"
FIXED_TIME = (2024, 4, 17, 0, 0, 0)  # the notice's date: the same text gives the same bytes

# (file, title, categories, paragraphs); a paragraph starting with "# " is a heading, "## " a sub-heading.
DOCUMENTS = [
    ("附件2-绿色工业园区评价要求.docx", "附件2 绿色工业园区评价要求", ["park"], [
        "# 绿色工业园区评价要求", SOURCE, CAVEAT,
        "## 一、适用范围",
        "适用于以产品制造和能源供给为主要功能、工业增加值占比超过50%、具有法定边界和范围、具备统一管理机构的省级及以上工业园区。",
        "## 二、基本要求",
        "1. 园区为省级及以上工业园区，具有法定边界和范围，具备统一的管理机构。",
        "2. 以产品制造和能源供给为主要功能，工业增加值占园区增加值的比例超过50%。",
        "3. 近三年未发生重大安全（含网络安全、数据安全）、质量、环境污染事故，园区内企业无偷漏税等违法违规行为，"
        "未被列入经营异常名录或失信被执行人名单（参照“信用中国”和“国家企业信用信息公示系统”）。",
        "4. 园区规划、建设符合国家和地方产业政策、国土空间规划和生态环境保护要求，依法开展规划环境影响评价。",
        "5. 未被动态调整出绿色制造名单；未被列入工业节能监察整改名单，或已按要求完成整改。",
        "## 三、评价指标",
        "评价指标分为六类，申报园区应逐项填报基准年及近三年数值、数据来源和计算方法：",
        "（一）能源利用绿色化指标：能源产出率，可再生能源使用比例，清洁能源使用率。",
        "（二）资源利用绿色化指标：水资源产出率，土地资源产出率，工业固体废物综合利用率，工业用水重复利用率，"
        "中水回用率，余热资源回收利用率，废气资源回收利用率，再生资源回收利用率。",
        "（三）基础设施绿色化指标：污水集中处理设施，新建工业建筑中绿色建筑的比例，新建公共建筑中绿色建筑的比例，"
        "500米公交站点覆盖率，节能与新能源公交车比例。",
        "（四）产业绿色化指标：高新技术产业产值占园区工业总产值比例，绿色产业增加值占园区工业增加值比例，"
        "人均工业增加值，现代服务业比例；园区内绿色工厂数量及占比。",
        "（五）生态环境绿色化指标：工业固体废物（含危险废物）处置利用率，万元工业增加值碳排放量削减率，"
        "单位工业增加值废水排放量，主要污染物弹性系数，园区空气质量优良率，绿化覆盖率，企业污染排放稳定达标率。",
        "（六）运行管理绿色化指标：绿色园区标准体系完善程度，编制绿色园区发展规划，绿色低碳主题宣传活动。",
        "## 四、评价方式",
        "园区对照基本要求和评价指标开展自评价，编写评价报告（格式参考附件5），报所在市（州）工业和信息化主管部门。"
        "基本要求须全部满足；评价指标按得分排序，绿色工厂数量多、占比高的园区优先推荐。",
    ]),
    ("附件3-绿色供应链管理企业评价要求.docx", "附件3 绿色供应链管理企业评价要求", ["supply_chain"], [
        "# 绿色供应链管理企业评价要求", SOURCE, CAVEAT,
        "## 一、适用范围",
        "适用于行业影响力大、经营实力雄厚、产业链完整、绿色供应链管理基础好、在产业链中发挥主导作用的链主企业。"
        "已发布行业指标体系的按行业指标体系评价；未发布的按本要求评价。",
        "## 二、基本要求",
        "1. 依法设立并具有独立法人资格或者视同法人的独立核算单位。",
        "2. 近三年无重大安全（含网络安全、数据安全）、质量、环境污染事故及偷漏税等违法违规行为，未被列为失信被执行人。",
        "3. 建立绿色供应链管理体系，设立绿色供应链管理部门或岗位，有明确的管理目标和实施计划。",
        "4. 未被动态调整出绿色制造名单；未被列入工业节能监察整改名单，或已按要求完成整改。",
        "## 三、评价指标（满分100分）",
        "（一）绿色供应链管理战略（20分）：纳入企业发展规划，设定绿色供应链管理目标，设置专门管理机构。",
        "（二）实施绿色供应商管理（20分）：绿色采购标准与制度，供应商认证体系，供应商审核与绩效评价，供应商培训，"
        "低风险供应商占比，绿色供应商数量及占比，供应商中绿色工厂数量。",
        "（三）绿色生产（20分）：节能减排环保合规，符合有关产业政策，绿色工厂建设或评价情况。",
        "（四）绿色回收（20分）：产品回收率，回收体系（自建或委托），废弃产品的资源化利用及无害化处置，"
        "汽车产品生产者责任延伸试点情况（适用时）。",
        "（五）绿色信息平台建设（10分）：绿色供应链管理信息平台，覆盖供应商的信息收集与管理。",
        "（六）绿色信息披露（10分）：披露主要污染物排放、能源消耗、温室气体排放、供应商节能减排及绿色采购情况，"
        "发布企业社会责任报告或可持续发展报告。",
        "## 四、评价方式",
        "企业对照基本要求和评价指标开展自评价，编写评价报告（格式参考附件6），报所在市（州）工业和信息化主管部门。"
        "优先推荐汽车、机械、电子、纺织、通信制造等行业以及供应商中绿色工厂数量多的龙头企业或汽车产品生产者责任延伸试点企业。",
    ]),
    ("附件4-绿色工厂第三方评价报告模板.docx", "附件4 绿色工厂第三方评价报告模板", ["factory"], [
        "# 绿色工厂评价报告（模板）", SOURCE, CAVEAT,
        "封面：工厂名称、统一社会信用代码、评价机构名称（自评价时填“自评价”）、报告编制负责人、报告日期。",
        "## 一、总则",
        "1. 评价目的；2. 评价依据（行业绿色工厂评价标准，或《绿色工厂评价通则》GB/T 36132，注明标准编号和版本）；"
        "3. 评价范围（厂区边界、产品、时间范围，一般为上一完整年度）；4. 评价机构与评价组成员。",
        "## 二、工厂基本情况",
        "单位简介、所属行业及代码（GB/T 4754）、主要产品及产能产量、生产工艺、能源资源消耗概况、近三年守法合规情况。",
        "## 三、评价过程",
        "文件审查、现场核查、数据核算与抽样的过程、时间和人员。",
        "## 四、评价内容",
        "（一）基本要求：合规性与相关方要求，最高管理者和工厂的基础管理职责。",
        "（二）基础设施：建筑，计量设备，照明，专用设备与通用设备。",
        "（三）管理体系：质量、职业健康安全、环境、能源管理体系，社会责任。",
        "（四）能源与资源投入：能源投入，资源投入，采购。",
        "（五）产品：生态设计，有害物质使用，节能，减碳，可回收利用率。",
        "（六）环境排放：大气污染物，水体污染物，固体废物，噪声，温室气体。",
        "（七）绩效：容积率，建筑密度，单位用地面积产值，原料无害化，绿色物料使用率，工业固体废物综合利用率，"
        "废水处理回用率，单位产品主要污染物产生量，单位产品废气产生量，单位产品废水产生量，单位产品综合能耗，"
        "单位产品碳排放量，单位产品取水量。",
        "## 五、评价结论",
        "各项得分及总分、基本要求是否全部满足、能效是否达到标杆水平或能耗限额标准先进值/1级水平、主要亮点（不超过100字）、"
        "存在问题及改进建议。",
        "## 六、附件",
        "证明材料清单（营业执照、体系证书、监测报告、能源审计或节能诊断报告等）。",
    ]),
    ("附件5-绿色工业园区第三方评价报告模板.docx", "附件5 绿色工业园区第三方评价报告模板", ["park"], [
        "# 绿色工业园区评价报告（模板）", SOURCE, CAVEAT,
        "封面：园区名称、园区级别（国家级/省级）、管理机构名称及统一社会信用代码、评价机构名称（自评价时填“自评价”）、报告日期。",
        "## 一、总则",
        "评价目的，评价依据（《绿色工业园区评价要求》，附件2），评价范围（法定边界和范围、时间范围），评价机构与评价组成员。",
        "## 二、园区基本情况",
        "设立批复、级别与四至范围、统一管理机构、主导产业、工业增加值及其占比、园区内企业和绿色工厂数量。",
        "## 三、基本要求符合性",
        "逐条说明附件2“基本要求”的符合情况及证明材料，含园区内企业近三年守法合规情况。",
        "## 四、评价指标计算与得分",
        "按能源利用、资源利用、基础设施、产业、生态环境、运行管理六类指标，列出基准年和评价年数值、数据来源、计算方法和得分。",
        "## 五、评价结论",
        "总分，基本要求是否全部满足，主要亮点（不超过100字），存在问题及改进建议。",
        "## 六、附件",
        "证明材料清单及园区边界图。",
    ]),
    ("附件6-绿色供应链管理企业第三方评价报告模板.docx", "附件6 绿色供应链管理企业第三方评价报告模板", ["supply_chain"], [
        "# 绿色供应链管理企业评价报告（模板）", SOURCE, CAVEAT,
        "封面：企业名称、统一社会信用代码、所属行业、评价机构名称（自评价时填“自评价”）、报告日期。",
        "## 一、总则",
        "评价目的，评价依据（行业指标体系或《绿色供应链管理企业评价要求》，附件3），评价范围，评价机构与评价组成员。",
        "## 二、企业基本情况",
        "企业简介、在产业链中的地位（链主情况说明）、主要产品、供应商数量及结构。",
        "## 三、基本要求符合性",
        "逐条说明附件3“基本要求”的符合情况及证明材料。",
        "## 四、评价指标与得分",
        "绿色供应链管理战略（20分）、绿色供应商管理（20分）、绿色生产（20分）、绿色回收（20分）、"
        "绿色信息平台建设（10分）、绿色信息披露（10分）：逐项说明做法、数据和得分。",
        "## 五、评价结论",
        "总分，主要亮点（不超过100字），绿色供应商数量及占比、供应商中绿色工厂数量，存在问题及改进建议。",
        "## 六、附件",
        "证明材料清单。",
    ]),
]

SUMMARY = ("附件1-推荐汇总表.xlsx", "附件1 推荐汇总表", [])
SUMMARY_COLUMNS = ["序号", "推荐排序", "市州", "县（市、区）", "单位名称", "统一社会信用代码", "所属行业及代码", "主要产品",
                   "单位性质", "评价依据标准", "评价方式", "第三方机构", "评价得分", "优先推荐情形", "联系人", "联系电话/手机", "备注"]
SUMMARY_SHEETS = [("绿色工厂", []), ("绿色工业园区", ["园区级别", "工业增加值占比（%）", "园区内绿色工厂数量"]),
                  ("绿色供应链管理企业", ["行业", "绿色供应商数量", "绿色供应商占比（%）"])]


def _paragraph(text: str) -> str:
    size, bold = (36, True) if text.startswith("# ") else (28, True) if text.startswith("## ") else (24, False)
    text = text.lstrip("# ")
    props = f'<w:rFonts w:ascii="宋体" w:eastAsia="宋体" w:hAnsi="宋体"/>{"<w:b/>" if bold else ""}<w:sz w:val="{size}"/>'
    align = '<w:pPr><w:jc w:val="center"/></w:pPr>' if size == 36 else ""
    return f'<w:p>{align}<w:r><w:rPr>{props}</w:rPr><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'


def docx(paragraphs: list[str]) -> bytes:
    """A minimal Word document (the three parts Word and WPS need)."""
    body = "".join(_paragraph(p) for p in paragraphs)
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="word/document.xml"/></Relationships>',
        "word/document.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
        f'{body}<w:sectPr><w:pgSz w:w="11906" w:h="16838"/>'
        '<w:pgMar w:top="1440" w:right="1800" w:bottom="1440" w:left="1800"/></w:sectPr></w:body></w:document>',
    }
    return _zip(parts)


def _zip(parts: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, content in parts.items():
            zipped.writestr(zipfile.ZipInfo(name, FIXED_TIME), content)
    return buffer.getvalue()


def summary_workbook() -> bytes:
    """附件1: one sheet per category, a title row, the columns, ten empty numbered rows, the seal footer."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    thin = Side(style="thin")
    book = Workbook()
    book.remove(book.active)
    for name, extra in SUMMARY_SHEETS:
        sheet = book.create_sheet(name)
        columns = SUMMARY_COLUMNS[:-1] + extra + SUMMARY_COLUMNS[-1:]
        sheet.append([f"2024年度省级绿色制造名单推荐汇总表（{name}）"])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
        sheet["A1"].font, sheet["A1"].alignment = Font(size=16, bold=True), Alignment(horizontal="center")
        sheet.append(["推荐单位（盖章）："])
        sheet.append(columns)
        for n in range(1, 11):
            sheet.append([n] + [None] * (len(columns) - 1))
        for row in sheet.iter_rows(min_row=3, max_row=13, max_col=len(columns)):
            for cell in row:
                cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
                cell.alignment = Alignment(wrap_text=True, vertical="center")
        for cell in sheet[3]:
            cell.font = Font(bold=True)
        sheet.append([])
        sheet.append(["填报人：", None, None, "联系电话：", None, None, "日期：    年  月  日"])
        sheet.append(["说明：推荐排序为本市（州）在该类别内的推荐顺序（1 为最优先）；优先推荐情形填写能效标杆水平、"
                      "能耗限额先进值/1级、重点行业、开展过工业节能诊断服务等。" + CAVEAT])
        for index in range(1, len(columns) + 1):
            sheet.column_dimensions[sheet.cell(3, index).column_letter].width = 14
        sheet.page_setup.orientation, sheet.page_setup.paperSize = "landscape", sheet.PAPERSIZE_A4
        sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.print_title_rows = "3:3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write(processes_dir: Path) -> list[dict]:
    folder = processes_dir / NOTICE_FILES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    produced = [(SUMMARY[0], SUMMARY[1], SUMMARY[2], summary_workbook())]
    produced += [(file, title, categories, docx(paragraphs)) for file, title, categories, paragraphs in DOCUMENTS]
    produced.sort(key=lambda entry: entry[0])
    manifest = []
    for file, title, categories, content in produced:
        (folder / file).write_bytes(content)
        manifest.append({"file": file, "title": title, "categories": categories,
                         "sha256": hashlib.sha256(content).hexdigest(), "size": len(content)})
    (processes_dir / NOTICE_FILES_FILE).write_text(json.dumps({"files": manifest}, ensure_ascii=False, indent=2) + "\n",
                                                   encoding="utf-8")
    return manifest


if __name__ == "__main__":
    for entry in write(Path(sys.argv[1] if len(sys.argv) > 1 else "processes")):
        print(entry["file"], entry["size"])
