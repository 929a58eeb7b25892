"""One door for the CLI, the web app and workers: each call is one transaction over the core's services.

`OneWindow` is the facade, assembled from one part per area (definitions, work, cases, organisation).
"""

from __future__ import annotations

from orchestrator.service.cases import CasesDoor
from orchestrator.service.definitions import DefinitionsDoor
from orchestrator.service.items import ItemsDoor
from orchestrator.service.organisation import DEMO_MEMBERS, DEMO_ORG, OrganisationDoor
from orchestrator.service.portal import PortalDoor
from orchestrator.service.stats import StatsDoor
from orchestrator.service.work import WorkDoor

__all__ = ["DEMO_MEMBERS", "DEMO_ORG", "OneWindow"]


class OneWindow(WorkDoor, StatsDoor, CasesDoor, PortalDoor, OrganisationDoor, ItemsDoor, DefinitionsDoor):
    """The facade: every public method is one transaction (see `Facade._tx`)."""
