"""The landing page: where each role starts."""

from __future__ import annotations

from flask import redirect, url_for
from flask_appbuilder import IndexView, expose

from ..roles import role_names, username


class HomeIndexView(IndexView):
    index_template = "onewindow/home.html"

    @expose("/")
    def index(self):
        roles = role_names()
        if username() is None:
            return redirect(url_for("AuthDBView.login"))
        if roles & {"FrontDesk", "BackOffice", "Grid", "Supervisor"}:
            return redirect(url_for("InboxView.index"))
        if "Analyst" in roles:
            return redirect(url_for("DefinitionView.index"))
        return self.render_template(self.index_template)


def register(appbuilder) -> None:
    """The index view is set by FAB_INDEX_VIEW."""
