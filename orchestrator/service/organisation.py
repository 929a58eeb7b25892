"""The organisation: groups and their members, org units, and the demo deployment."""

from __future__ import annotations

from orchestrator.core import events
from orchestrator.deploy import definitions
from orchestrator.deploy.definitions import VersionSummary
from orchestrator.gov import windows
from orchestrator.gov.appointments import HALL_LEVELS
from orchestrator.gov.windows import WindowSummary
from orchestrator.identity import accounts, groups, logins, orgs, passwords
from orchestrator.identity.groups import GroupListing, GroupSummary
from orchestrator.identity.orgs import OrgUnitSummary
from orchestrator.service.definitions import DefinitionsDoor

# a version naming a closed group (lane or department) is not published
events.subscribe(definitions.PUBLISHED, groups.check_published)

# Demo org (contract.md): one district, two towns, two villages each, a grid in the first village.
DEMO_ORG = [
    ("shifanqu", "示范区", "区县", None),
    ("gaoqiao", "高桥镇", "镇街", "shifanqu"),
    ("gaoqiao-xinxing", "新星村", "村社", "gaoqiao"),
    ("gaoqiao-qiaoxi", "桥西社区", "村社", "gaoqiao"),
    ("gaoqiao-xinxing-1", "新星村第一网格", "网格", "gaoqiao-xinxing"),
    ("jishigang", "集士港镇", "镇街", "shifanqu"),
    ("jishigang-wangchun", "望春村", "村社", "jishigang"),
    ("jishigang-shanxia", "山下庄村", "村社", "jishigang"),
]
DEMO_WINDOWS = {  # each hall's windows, numbered from 1
    "shifanqu": ("综合窗口", "综合窗口", "出件窗口"),
    "gaoqiao": ("综合窗口", "综合窗口", "出件窗口"),
    "jishigang": ("综合窗口", "出件窗口"),
}
# Demo accounts (contract.md): groups and where they work; the front desk also hands out results.
DEMO_MEMBERS = {
    "frontdesk": [("frontdesk", "gaoqiao"), ("delivery", "gaoqiao")],
    "minzheng": [("minzheng", "gaoqiao")],
    "renshe": [("renshe", "gaoqiao")],
    "yibao": [("yibao", "gaoqiao")],
    "shichang": [("shichang", "gaoqiao")],
    "grid": [("grid", "gaoqiao-xinxing-1")],
    "supervisor": [("command", "shifanqu")],
    "analyst": [],
    "admin": [],
}


class OrganisationDoor(DefinitionsDoor):
    # -- groups (departments): every change audited; see identity.groups -----------------------------
    def add_group(self, code: str, name: str) -> None:
        """Make sure a group exists (deployment loading; an existing code is kept as it is)."""
        self._tx(lambda s: groups.add(s, code, name))

    def create_group(self, code: str, name: str, actor: str | None = None) -> GroupSummary:
        """A new group: a unique lower-case code and a unique name (InvalidInput lists every problem)."""
        return self._tx(lambda s: groups.create(s, code, name, actor))

    def rename_group(self, code: str, name: str, actor: str | None = None) -> GroupSummary:
        return self._tx(lambda s: groups.rename(s, code, name, actor))

    def close_group(self, code: str, actor: str | None = None) -> GroupSummary:
        """Close a group (Conflict with every reason while it has open work or a published process names it)."""
        return self._tx(lambda s: groups.close(s, code, actor))

    def reopen_group(self, code: str, actor: str | None = None) -> GroupSummary:
        return self._tx(lambda s: groups.reopen(s, code, actor))

    def add_member(self, username: str, code: str, org: str | None = None, actor: str | None = None) -> None:
        self._tx(lambda s: groups.add_member(s, username, code, actor, org))

    def remove_member(self, username: str, code: str, actor: str | None = None) -> None:
        self._tx(lambda s: groups.remove_member(s, username, code, actor))

    def groups(self, include_closed: bool = False) -> list[GroupListing]:
        """Groups with their members; open groups only (pickers) unless `include_closed` (the admin page)."""
        return self._tx(lambda s: groups.listing(s, include_closed))

    def memberships(self, username: str) -> list[tuple[str, str]]:
        return self._tx(lambda s: groups.memberships(s, username))

    # -- org units: every change audited; see identity.orgs ------------------------------------------
    def add_org_unit(
        self, code: str, name: str, level: str, parent: str | None = None, actor: str | None = None
    ) -> OrgUnitSummary:
        return self._tx(lambda s: orgs.add(s, code, name, level, parent, actor))

    def rename_org_unit(self, code: str, name: str, actor: str | None = None) -> OrgUnitSummary:
        return self._tx(lambda s: orgs.rename(s, code, name, actor))

    def move_org_unit(self, code: str, parent: str | None, actor: str | None = None) -> OrgUnitSummary:
        """Move a unit under another parent; members, cases and steps below it follow (one transaction)."""
        return self._tx(lambda s: orgs.move(s, code, parent, actor))

    def close_org_unit(self, code: str, actor: str | None = None) -> OrgUnitSummary:
        """Close a unit (Conflict with every reason while cases are open or members work in it or below)."""
        return self._tx(lambda s: orgs.close(s, code, actor))

    def reopen_org_unit(self, code: str, actor: str | None = None) -> OrgUnitSummary:
        return self._tx(lambda s: orgs.reopen(s, code, actor))

    def org_units(self, include_closed: bool = False) -> list[OrgUnitSummary]:
        """The tree, parents first; open units only (pickers) unless `include_closed` (the admin page)."""
        return self._tx(lambda s: orgs.tree(s, include_closed))

    def halls(self) -> list[OrgUnitSummary]:
        """The open halls (区县 and 镇街 service centres): where windows are and appointments are made."""
        return [u for u in self.org_units() if u["level"] in HALL_LEVELS]

    # -- windows of the halls (窗口): admins open and close them, a clerk sits at one; see gov.windows --
    def windows(self, hall: str | None = None, include_closed: bool = False) -> list[WindowSummary]:
        return self._tx(lambda s: windows.listing(s, hall, include_closed))

    def add_window(self, hall: str, number: object, kind: str, actor: str | None = None) -> WindowSummary:
        return self._tx(lambda s: windows.add(s, hall, number, kind, actor))

    def close_window(self, window_id: int, actor: str | None = None) -> WindowSummary:
        return self._tx(lambda s: windows.close(s, window_id, actor))

    def reopen_window(self, window_id: int, actor: str | None = None) -> WindowSummary:
        return self._tx(lambda s: windows.reopen(s, window_id, actor))

    def window_choices(self, user: str) -> list[WindowSummary]:
        """The open windows of the halls where `user` works (我的窗口 picks one)."""
        return self._tx(lambda s: windows.choices(s, user))

    def my_window(self, user: str) -> WindowSummary | None:
        return self._tx(lambda s: windows.mine(s, user))

    def choose_window(self, user: str, window_id: int | None) -> WindowSummary | None:
        return self._tx(lambda s: windows.choose(s, user, window_id))

    # -- web accounts (Flask-AppBuilder's tables): the web app changes them and reports it here ---------
    def record_account_change(
        self,
        actor: str | None,
        username: str,
        change: str,
        before: dict | None = None,
        after: dict | None = None,
    ) -> None:
        """Audit a change to a web account (create, disable, enable, password, role); never a secret."""
        self._tx(lambda s: accounts.record(s, actor, username, change, before, after))

    # -- logins (the web app reports each attempt; see identity.logins) -----------------------------
    def login_allowed(self, username: str, source: str | None = None) -> logins.LoginState:
        return self._tx(lambda s: logins.allowed(s, username, source))

    def login_failed(self, username: str, source: str | None = None) -> logins.LoginState:
        return self._tx(lambda s: logins.failed(s, username, source))

    def login_succeeded(self, username: str, source: str | None = None) -> None:
        self._tx(lambda s: logins.succeeded(s, username, source))

    def login_state(self, username: str) -> logins.LoginState:
        return self._tx(lambda s: logins.state(s, username))

    def unlock_login(self, username: str, actor: str | None = None) -> logins.LoginState:
        return self._tx(lambda s: logins.unlock(s, username, actor))

    @staticmethod
    def password_problems(password: str, username: str = "") -> list[str]:
        """Why a new password may not be used, in the current language (empty: it may)."""
        return [str(m) for m in passwords.problems(password, username)]

    def load_demo_org(self) -> None:
        """The demo org units, their halls' windows and where the demo users work (contract.md)."""
        for code, name, level, parent in DEMO_ORG:
            self.add_org_unit(code, name, level, parent, actor="demo")
        for user, places in DEMO_MEMBERS.items():
            for code, org in places:
                self.add_member(user, code, org)
        for hall, kinds in DEMO_WINDOWS.items():
            if not self.windows(hall, include_closed=True):  # a second `demo` adds none
                for number, kind in enumerate(kinds, 1):
                    self.add_window(hall, number, kind, actor="demo")
        if self.my_window("frontdesk") is None:
            first = self.windows("gaoqiao")[0]
            self.choose_window("frontdesk", first["id"])

    def load_demo(self) -> list[VersionSummary]:
        """The demo org, users' groups and every process folder of the repository, published."""
        self.load_demo_org()
        deployed = []
        for folder in sorted(p for p in self.settings.processes_dir.iterdir() if p.is_dir()):
            deployed += self.deploy(folder, publish=True, actor="demo", run_tests=False)
        return deployed
