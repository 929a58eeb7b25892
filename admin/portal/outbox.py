"""短信发件箱 for admins (组织机构 menu): what the SMS sender handed out, newest first. The default sender
only writes here; a deployment's gateway marks what it sent. Phones are masked, codes are not shown."""

from __future__ import annotations

import re

from flask import request
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from orchestrator.gov.citizens import mask_phone

from ..web import service

CODE = re.compile(r"\d{6}")


class SmsOutboxView(BaseView):
    route_base = "/sms-outbox"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        phone = (request.args.get("phone") or "").strip()[:20] or None
        rows = [
            {
                **m,
                "phone": mask_phone(m["phone"]),
                "text": CODE.sub("******", m["text"]) if m["kind"] == "code" else m["text"],
            }
            for m in service().sms_outbox(phone, limit=200)
        ]
        return self.render_template("onewindow/portal/outbox.html", rows=rows, phone=phone or "")


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(
        SmsOutboxView,
        "短信发件箱",
        label=_l("短信发件箱"),
        icon="fa-envelope",
        category="组织机构",
        category_label=_l("组织机构"),
        category_icon="fa-university",
        menu_cond=lambda: appbuilder.sm.has_access("can_index", "SmsOutboxView"),
    )
