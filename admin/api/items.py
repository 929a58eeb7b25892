"""The item studio's API: the templates, a new item made from one, and the catalog entry's JSON Schema."""

from __future__ import annotations

from flask import Response
from flask_appbuilder.api import expose, protect

from ..web import service, username
from .answers import NewItemMadeSchema, TemplatesSchema
from .base import OneWindowApi, get, load, ok, post
from .schemas import NewItemSchema

ANY_OBJECT = {"type": "object", "description": "a JSON Schema (draft 2020-12)"}


class TemplateApi(OneWindowApi):
    resource_name = "templates"
    class_permission_name = "DefinitionApi"
    method_permission_name = {"listing": "get"}
    openapi_spec_methods = {"listing": get("List the item templates", TemplatesSchema, "every template")}

    @expose("/", methods=["GET"])
    @protect()
    def listing(self) -> Response:
        """The class templates of the repository and those saved from published items."""
        return ok({"templates": service().item_templates()})


class ItemApi(OneWindowApi):
    resource_name = "items"
    class_permission_name = "DefinitionApi"
    method_permission_name = {"new": "post"}
    openapi_spec_methods = {
        "new": post(
            "Make a new service item from a template (a draft version)",
            NewItemMadeSchema,
            {201: "the draft version"},
            takes=NewItemSchema,
            errors=(404, 422),
        )
    }

    @expose("/", methods=["POST"])
    @protect()
    def new(self) -> Response:
        """新建事项: the template's diagram, forms and catalog entry with the answers put in."""
        body = load(NewItemSchema)
        made = service().new_item(
            body["key"],
            template=body["template"],
            name=body["name"],
            code=body["code"],
            lead=body["lead"],
            co=body["co"],
            org=body.get("org"),
            item_type=body.get("type"),
            statutory_days=body["statutory_days"],
            promised_days=body["promised_days"],
            materials=body["materials"],
            actor=username(),
        )
        return ok({"key": made["key"], "version": made["version"], "status": made["status"]}, 201)


class SchemaApi(OneWindowApi):
    resource_name = "schemas"
    class_permission_name = "DefinitionApi"
    method_permission_name = {"item": "get"}
    openapi_spec_methods = {
        "item": get("The JSON Schema of a service item's catalog entry (item.yaml)", ANY_OBJECT)
    }

    @expose("/item", methods=["GET"])
    @protect()
    def item(self) -> Response:
        """item.yaml's rules as a published JSON Schema (the few rules that span fields are checked too)."""
        return ok(service().item_schema(with_groups=False))
