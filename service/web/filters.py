"""Template filters: times in Asia/Shanghai, durations and labels in Chinese."""
from __future__ import annotations

from datetime import datetime, timedelta

from collections.abc import Mapping

from flask import g

from service.accounts.roles import name_of, role_names
from service.applications.access import works_tasks
from service.platform.reference import CITIES
from service.versions.categories import known_categories
from service.platform.timeutil import last_day_text, to_shanghai, utcnow



class RoleNames(Mapping):
    """key -> Chinese name of the deployment's roles: a name by its key from what the process knows, the whole
    list (a page offering every role) from the table once per request."""

    def _names(self) -> dict[str, str]:
        if "role_names" not in g:
            g.role_names = role_names()
        return g.role_names

    def __getitem__(self, key):  # one account's roles: from what the process knows, without a query
        name = name_of(key)
        if name is None:
            raise KeyError(key)
        return name

    def __iter__(self):
        return iter(self._names())

    def __len__(self):
        return len(self._names())


ROLE_NAMES = RoleNames()
ACTION_NAMES = {"application_started": "开始申报", "started": "流程开始", "task_completed": "办理",
                "task_claimed": "认领", "task_released": "释放认领", "timer_fired": "期限届满",
                "message_received": "收到消息", "batch_action": "批量操作", "objection_recorded": "登记异议",
                "gateway_decision": "分支判断", "rule_evaluated": "规则判定", "script_run": "自动计算",
                "ended": "流程结束", "deadline_moved": "截止日期顺延", "expert_panel_drawn": "随机抽取专家",
                "expert_conflict_declared": "专家回避声明", "expert_substituted": "更换评审专家",
                "version_moved": "迁移流程版本", "process_retried": "流程出错后重试",
                "application_rewound": "退回到环节", "task_handed_over": "转办", "submission_taken_back": "撤回",
                "application_withdrawn": "放弃申报", "task_urged": "催办", "application_copied": "抄送",
                "attachment_uploaded": "上传附件", "attachment_replaced": "替换附件", "attachment_removed": "删除附件",
                "city_package_frozen": "封存市州推荐材料",
                "city_package_received": "省厅签收市州推荐材料", "city_package_file_uploaded": "上传盖章材料",
                "city_package_sent": "市州确认寄送推荐材料", "multi_instance_completed": "会签完成",
                "message_retried": "重发消息", "deployed": "发布流程版本", "round_opened": "开启申报轮次",
                "round_changed": "修改申报轮次", "round_deadline_extended": "顺延轮次截止日期",
                "calendar_changed": "修改工作日历", "calendar_year_confirmed": "确认年度工作日历",
                "account_registered": "注册账户", "account_access_reissued": "重发账户登录方式",
                "accounts_exported": "导出账户", "accounts_imported": "导入账户", "role_added": "添加角色",
                "password_changed": "修改密码", "password_set": "设置密码", "password_reset": "重置密码",
                "profile_changed": "修改个人信息", "invitation_sent": "发送邀请", "invitation_accepted": "接受邀请",
                "invitation_revoked": "撤销邀请", "organisation_created": "新建单位", "organisation_renamed": "单位更名",
                "registration_confirmed": "确认注册", "registration_duplicate_refused": "拒绝重复注册",
                "registration_email_verified": "验证注册邮箱", "registration_resubmitted": "重新提交注册",
                "register_entered": "列入名单", "register_imported": "导入名单", "register_removed": "移出名单",
                "report_exported": "导出报表"}


# A file's type as a clerk says it, from its extension (never the extension in capitals).
FILE_TYPES = {"pdf": "PDF 文件", "xlsx": "电子表格", "xls": "电子表格", "docx": "文字文档", "doc": "文字文档",
              "zip": "压缩包", "png": "图片", "jpg": "图片", "jpeg": "图片"}


def file_type(name: str | None) -> str:
    extension = (name or "").rsplit(".", 1)[-1].lower() if "." in (name or "") else ""
    return FILE_TYPES.get(extension, "文件")


def shanghai(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "" if moment is None else to_shanghai(moment).strftime(fmt)


def deadline(moment: datetime | None) -> str:
    """A deadline (or a task's due time) as its last day: "2026-06-10（含）" (see timeutil.last_day_text)."""
    return last_day_text(moment)


def waited(since: datetime | None) -> str:
    """How long something has waited, as a clerk would say it: 3 天 4 小时, 25 分钟."""
    if since is None:
        return ""
    delta = max(utcnow() - since, timedelta(0))
    days, hours, minutes = delta.days, delta.seconds // 3600, delta.seconds % 3600 // 60
    if days:
        return f"{days} 天 {hours} 小时"
    if hours:
        return f"{hours} 小时 {minutes} 分钟"
    return f"{minutes} 分钟"


class KnownCategories(Mapping):
    """The pages' ``CATEGORIES``: key → Chinese name of every category a deployed version declares, read once
    per request (see versions/categories.py)."""

    def _names(self) -> dict[str, str]:
        if "known_categories" not in g:
            g.known_categories = known_categories()
        return g.known_categories

    def __getitem__(self, key):
        return self._names()[key]

    def __iter__(self):
        return iter(self._names())

    def __len__(self):
        return len(self._names())


CATEGORIES = KnownCategories()


def register_filters(app) -> None:
    app.jinja_env.filters.update(shanghai=shanghai, waited=waited, deadline=deadline, file_type=file_type)
    app.jinja_env.globals.update(CITIES=CITIES, CATEGORIES=CATEGORIES, ROLE_NAMES=ROLE_NAMES,
                                 ACTION_NAMES=ACTION_NAMES, works_tasks=works_tasks)
