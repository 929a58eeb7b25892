/* The designer's model of a form, read from and written back to JSON Schema + uiSchema.

   form = {root, rootUi, fields, rawAllOf, extraRequired, hadOrder}
   field = {uid, name, kind, schema, ui, required, cond, children, extraRequired, autoName}

   A field's `schema` and `ui` are its own JSON, every key kept (the inspector edits some of them); a container
   (table, group, address, date range) keeps its properties as `children` instead. A conditional field
   (`cond` = {field, values}) is written as an `allOf` part the renderer and the validator both understand:
     {"if": {"properties": {"<field>": {"const": v} | {"enum": [v…]}}, "required": ["<field>"]},
      "then": {"properties": {"<name>": <schema>}, "required": ["<name>"]?}}
   Its schema lives only in `then`: while the condition does not hold the field is neither required nor
   validated, and the page hides it. Parts of the schema the designer does not understand (other `allOf`
   parts, `$defs`, …) are kept as they are. */

import { CONTAINERS, NON_DATA, create, detect } from './kinds.js';

let seq = 0;
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const clone = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
const ROOT_FIRST = ['$schema', '$id', 'title', 'description', 'type'];

function without(obj, keys) {
  const out = {};
  for (const [k, v] of Object.entries(obj || {})) {
    if (!keys.includes(k)) {
      out[k] = v;
    }
  }
  return out;
}

function order(names, wanted) {
  if (!Array.isArray(wanted)) {
    return names;
  }
  const listed = [...new Set(wanted)];
  const star = listed.includes('*') ? listed.indexOf('*') : listed.length;
  const head = listed.slice(0, star).filter((n) => names.includes(n));
  const tail = listed.slice(star + 1).filter((n) => names.includes(n));
  return [...head, ...names.filter((n) => !head.includes(n) && !tail.includes(n)), ...tail];
}

/** A field read from its schema (and, for containers, its children from their properties). */
export function readField(name, schema, ui, required) {
  schema = isObj(schema) ? clone(schema) : {};
  ui = isObj(ui) ? clone(ui) : {};
  const kind = detect(schema, ui);
  const field = { uid: ++seq, name, kind, schema, ui, required: !!required, cond: null, children: null, extraRequired: [], autoName: false };
  if (CONTAINERS.has(kind)) {
    const table = kind === 'table';
    const obj = table ? (isObj(schema.items) ? schema.items : {}) : schema;
    const objUi = table ? (isObj(ui.items) ? ui.items : {}) : ui;
    const nested = readFields(obj, objUi);
    field.children = nested.fields;
    field.extraRequired = nested.extraRequired;
    field.hadOrder = nested.hadOrder;
    const stripped = without(obj, ['properties', 'required']);
    const strippedUi = without(objUi, ['ui:order', ...nested.fields.map((f) => f.name)]);
    if (table) {
      field.schema.items = stripped;
      field.ui.items = strippedUi;
    } else {
      field.schema = stripped;
      field.ui = strippedUi;
    }
  }
  return field;
}

/** The properties of an object schema as fields, in uiSchema order (no conditions: see readForm). */
function readFields(schema, ui) {
  const props = isObj(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required.filter((r) => typeof r === 'string') : [];
  const names = order(Object.keys(props), ui['ui:order']);
  const fields = names.map((n) => readField(n, props[n], ui[n], required.includes(n)));
  return { fields, extraRequired: required.filter((n) => !names.includes(n)), hadOrder: Array.isArray(ui['ui:order']) };
}

/** A new field of a palette kind, named `name`. */
export function newField(kind, name) {
  const made = create(kind);
  const field = readField(name, made.schema, made.ui, false);
  if (made.children) {
    field.children = made.children.map((c) => readField(c.name, c.schema, c.ui, c.required));
  }
  field.kind = kind;
  field.autoName = kind !== 'materials'; // materials_received: the name the 受理 step's checklist looks for
  return field;
}

/** The `if` / `then` part of a simple condition, or null: one field equal to one of some values. */
function simpleCondition(part) {
  if (!isObj(part) || !isObj(part.if) || !isObj(part.then)) {
    return null;
  }
  if (Object.keys(part).some((k) => k !== 'if' && k !== 'then')) {
    return null;
  }
  const test = part.if;
  if (Object.keys(test).some((k) => k !== 'properties' && k !== 'required') || !isObj(test.properties)) {
    return null;
  }
  const tested = Object.keys(test.properties);
  if (tested.length !== 1) {
    return null;
  }
  const field = tested[0];
  const clause = test.properties[field];
  let values = null;
  if (isObj(clause) && Object.keys(clause).length === 1 && 'const' in clause) {
    values = [clause.const];
  } else if (isObj(clause) && Object.keys(clause).length === 1 && Array.isArray(clause.enum) && clause.enum.length) {
    values = clause.enum.slice();
  }
  if (!values || !values.every((v) => ['string', 'boolean', 'number'].includes(typeof v))) {
    return null;
  }
  if (!(Array.isArray(test.required) && test.required.length === 1 && test.required[0] === field)) {
    return null; // without `required`, a missing field would satisfy the condition: not what the page shows
  }
  const then = part.then;
  if (Object.keys(then).some((k) => k !== 'properties' && k !== 'required')) {
    return null;
  }
  const props = isObj(then.properties) ? then.properties : {};
  const required = Array.isArray(then.required) ? then.required : [];
  const names = [...new Set([...Object.keys(props), ...required])];
  return names.length && names.every((n) => typeof n === 'string') ? { field, values, props, required, names } : null;
}

/** The designer's model of a form (schema and uiSchema as parsed JSON objects). */
export function readForm(schema, ui) {
  schema = isObj(schema) ? schema : {};
  ui = isObj(ui) ? ui : {};
  const props = isObj(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required.filter((r) => typeof r === 'string') : [];
  const parts = Array.isArray(schema.allOf) ? schema.allOf : [];
  const rootPart = 'if' in schema ? without(schema, Object.keys(schema).filter((k) => !['if', 'then', 'else'].includes(k))) : null;
  const candidates = [...parts.map((p) => simpleCondition(p)), rootPart ? simpleCondition(rootPart) : null];
  const mentions = {};
  candidates.forEach((c) => c && c.names.forEach((n) => (mentions[n] = (mentions[n] || 0) + 1)));
  const taken = candidates.map((c) => (c && c.names.every((n) => mentions[n] === 1 && !required.includes(n)) ? c : null));
  const condOf = {};
  taken.forEach((c) => c && c.names.forEach((n) => (condOf[n] = c)));
  const names = Object.keys(props);
  taken.forEach((c) => c && c.names.forEach((n) => names.includes(n) || names.push(n)));
  const ordered = order(names, ui['ui:order']);
  const fields = ordered.map((n) => {
    const c = condOf[n];
    const base = isObj(props[n]) ? props[n] : {};
    const own = c && isObj(c.props[n]) ? { ...base, ...c.props[n] } : base;
    const field = readField(n, own, ui[n], c ? c.required.includes(n) : required.includes(n));
    if (c) {
      field.cond = { field: c.field, values: c.values.slice() };
    }
    return field;
  });
  const root = without(schema, ['properties', 'required', 'allOf', ...(rootPart && taken[parts.length] ? ['if', 'then', 'else'] : [])]);
  return {
    root,
    rootUi: without(ui, ['ui:order', ...ordered]),
    fields,
    rawAllOf: parts.filter((p, i) => !taken[i]).map(clone),
    extraRequired: required.filter((n) => !ordered.includes(n)),
    hadOrder: Array.isArray(ui['ui:order']),
  };
}

/** A condition the page and the validator can use: the tested field is a choice field of the form. */
export function conditionHolds(form, field) {
  const c = field.cond;
  if (!c || !c.values.length || c.field === field.name) {
    return false;
  }
  return form.fields.some((f) => f.name === c.field);
}

function childrenJson(field) {
  const properties = {};
  const required = [];
  const ui = {};
  for (const c of field.children) {
    properties[c.name] = fieldSchema(c);
    if (c.required && !NON_DATA.has(c.kind)) {
      required.push(c.name);
    }
    const cu = fieldUi(c);
    if (Object.keys(cu).length) {
      ui[c.name] = cu;
    }
  }
  required.push(...(field.extraRequired || []).filter((n) => !required.includes(n)));
  if (field.hadOrder) {
    ui['ui:order'] = field.children.map((c) => c.name);
  }
  return { properties, required, ui };
}

/** A field's JSON Schema. */
export function fieldSchema(field) {
  const s = field.schema;
  if (field.kind === 'shared' && typeof s['x-shared'] === 'string') {
    // a shared form stays a reference: each new version includes the shared form as it is then
    const out = { $ref: s['x-shared'], 'x-shared': s['x-shared'] };
    for (const key of ['title', 'description']) {
      if (s[key] !== undefined) {
        out[key] = s[key];
      }
    }
    return out;
  }
  if (!field.children) {
    return clone(s);
  }
  const { properties, required } = childrenJson(field);
  const body = { properties, ...(required.length ? { required } : {}) };
  if (field.kind === 'table') {
    return { ...clone(s), items: { ...(s.items || {}), type: 'object', ...body } };
  }
  return { ...clone(s), type: 'object', ...body };
}

/** A field's uiSchema ({} when it needs none). */
export function fieldUi(field) {
  const ui = clone(field.ui) || {};
  if (field.children) {
    const nested = childrenJson(field).ui;
    if (field.kind === 'table') {
      const items = { ...(ui.items || {}), ...nested };
      if (Object.keys(items).length) {
        ui.items = items;
      } else {
        delete ui.items;
      }
    } else {
      Object.assign(ui, nested);
    }
  }
  for (const [key, value] of Object.entries(ui)) {
    if (value === '' || value === undefined || (isObj(value) && !Object.keys(value).length)) {
      delete ui[key];
    }
  }
  return ui;
}

function ordered(root, body) {
  const out = {};
  for (const key of ROOT_FIRST) {
    if (root[key] !== undefined) {
      out[key] = root[key];
    }
  }
  out.type = 'object';
  Object.assign(out, body);
  for (const [key, value] of Object.entries(root)) {
    if (!(key in out)) {
      out[key] = value;
    }
  }
  return out;
}

/** The form as {schema, ui} JSON objects. */
export function writeForm(form) {
  const properties = {};
  const required = [];
  const allOf = [];
  const fieldUis = {};
  let conditional = false;
  for (const f of form.fields) {
    const s = fieldSchema(f);
    if (conditionHolds(form, f)) {
      conditional = true;
      const values = f.cond.values;
      const test = values.length === 1 ? { const: values[0] } : { enum: values.slice() };
      const then = { properties: { [f.name]: s } };
      if (f.required && !NON_DATA.has(f.kind)) {
        then.required = [f.name];
      }
      allOf.push({ if: { properties: { [f.cond.field]: test }, required: [f.cond.field] }, then });
    } else {
      properties[f.name] = s;
      if (f.required && !NON_DATA.has(f.kind)) {
        required.push(f.name);
      }
    }
    const u = fieldUi(f);
    if (Object.keys(u).length) {
      fieldUis[f.name] = u;
    }
  }
  required.push(...form.extraRequired.filter((n) => !required.includes(n)));
  allOf.push(...form.rawAllOf.map(clone));
  const body = { properties };
  if (required.length) {
    body.required = required;
  }
  if (allOf.length) {
    body.allOf = allOf;
  }
  const ui = { ...clone(form.rootUi) };
  if (conditional || form.hadOrder) {
    ui['ui:order'] = form.fields.map((f) => f.name);
  }
  Object.assign(ui, fieldUis);
  return { schema: ordered(form.root, body), ui };
}

/** Every field and column, depth first: [{field, list, parent}]. */
export function walk(fields, parent = null, out = []) {
  for (const f of fields) {
    out.push({ field: f, list: fields, parent });
    if (f.children) {
      walk(f.children, f, out);
    }
  }
  return out;
}

export function find(form, uid) {
  return walk(form.fields).find((e) => e.field.uid === uid) || null;
}
