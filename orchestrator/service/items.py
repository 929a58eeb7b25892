"""The item studio: templates, new items made from them, and templates saved from published items."""

from __future__ import annotations

from collections.abc import Sequence

from orchestrator.deploy.definitions import VersionSummary
from orchestrator.gov import items
from orchestrator.gov.items import NewItem, TemplateSummary
from orchestrator.service.base import Facade


class ItemsDoor(Facade):
    def item_templates(self) -> list[TemplateSummary]:
        return self._tx(lambda s: items.templates(s, self.settings.templates_dir))

    def new_item(
        self,
        key: str,
        *,
        template: str,
        name: str,
        code: str,
        lead: str,
        statutory_days: int,
        promised_days: int,
        co: Sequence[str] = (),
        org: str | None = None,
        item_type: str | None = None,
        materials: Sequence[str] = (),
        actor: str | None = None,
    ) -> VersionSummary:
        """A draft version of a new service item made from `template` (a code from `item_templates`, or a
        case class: 即办, 承诺, 联办, 上报, 代办)."""
        item = NewItem(
            key,
            template,
            name,
            code,
            lead,
            statutory_days,
            promised_days,
            tuple(co),
            org,
            item_type,
            tuple(materials),
        )

        def work(s) -> VersionSummary:
            made = items.new_item(
                s,
                self.settings.templates_dir,
                item,
                forms_dir=self.settings.forms_dir,
                max_bytes=self.settings.max_upload_bytes,
                actor=actor,
            )
            return next(v for v in made if v["key"] == key)

        return self._tx(work)

    def save_template(
        self,
        key: str,
        version: int,
        code: str,
        name: str,
        description: str | None = None,
        actor: str | None = None,
    ) -> TemplateSummary:
        return self._tx(lambda s: items.save_template(s, key, version, code, name, description, actor))
