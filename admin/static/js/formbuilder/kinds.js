/* The palette: what each kind of field is in JSON Schema + uiSchema, and which kind a schema is.

   A kind is only the designer's name for a shape of schema; nothing of it is stored but the schema itself
   (detect() reads it back). Conventions (see README.md): formats cn-id-number, cn-credit-code, cn-mobile,
   cn-postcode, cn-amount (金额（元）); "x-catalog": "materials" (the item's materials); uiSchema
   ui:widget textarea / radio / file / heading / note, ui:prefill. */

import { t } from './i18n.js';

export const PALETTE = [
  { group: 'palette.basic', kinds: ['text', 'textarea', 'number', 'money', 'date', 'daterange', 'select', 'radio', 'checkboxes', 'yesno'] },
  { group: 'palette.hall', kinds: ['idnumber', 'creditcode', 'mobile', 'postcode', 'address', 'materials', 'table'] },
  { group: 'palette.layout', kinds: ['heading', 'note'] },
];

/** What a table's columns may be. */
export const COLUMN_KINDS = ['text', 'textarea', 'number', 'money', 'date', 'select', 'radio', 'yesno', 'idnumber', 'creditcode', 'mobile', 'postcode'];

export const FORMATS = { idnumber: 'cn-id-number', creditcode: 'cn-credit-code', mobile: 'cn-mobile', postcode: 'cn-postcode' };
export const AMOUNT = 'cn-amount';

/** Kinds whose fields are objects or tables of objects: their properties are the field's children. */
export const CONTAINERS = new Set(['table', 'group', 'address', 'daterange']);
/** Kinds that hold no data: a section heading, an explanatory text. */
export const NON_DATA = new Set(['heading', 'note']);
/** Kinds a condition may test (their values can be listed). */
export const CHOICE_KINDS = new Set(['yesno', 'select', 'radio']);
/** Kinds typed as one line of text: placeholder, lengths and prefill apply. */
export const TEXT_KINDS = new Set(['text', 'textarea', 'idnumber', 'creditcode', 'mobile', 'postcode']);

/** The name a new field of this kind starts with (a title typed later proposes another). */
export const BASE_NAMES = {
  text: 'text',
  textarea: 'notes',
  number: 'number',
  money: 'amount',
  date: 'date',
  daterange: 'period',
  select: 'choice',
  radio: 'option',
  checkboxes: 'choices',
  yesno: 'flag',
  idnumber: 'id_number',
  creditcode: 'credit_code',
  mobile: 'mobile',
  postcode: 'postcode',
  address: 'address',
  materials: 'materials_received',
  table: 'members',
  heading: 'section',
  note: 'note',
};

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function typeOf(schema) {
  let type = schema.type;
  if (Array.isArray(type)) {
    type = type.find((x) => x !== 'null');
  }
  if (!type && isObj(schema.properties)) {
    return 'object';
  }
  if (!type && isObj(schema.items)) {
    return 'array';
  }
  return typeof type === 'string' ? type : null;
}

function same(keys, wanted) {
  return keys.length === wanted.length && wanted.every((k) => keys.includes(k));
}

/** The kind of a field's schema and uiSchema ('raw' when the designer has no editor for it). */
export function detect(schema, ui) {
  schema = isObj(schema) ? schema : {};
  ui = isObj(ui) ? ui : {};
  const widget = ui['ui:widget'];
  if (widget === 'heading' || widget === 'note') {
    return widget;
  }
  if (typeof schema['x-shared'] === 'string' || typeof schema.$ref === 'string') {
    return 'shared';
  }
  if (widget === 'file') {
    return 'materials';
  }
  const type = typeOf(schema);
  if (type === 'array') {
    const items = isObj(schema.items) ? schema.items : {};
    if (items['x-catalog'] === 'materials') {
      return 'materials';
    }
    if (typeOf(items) === 'object') {
      return 'table';
    }
    return Array.isArray(items.enum) ? 'checkboxes' : 'raw';
  }
  if (type === 'object') {
    const keys = Object.keys(isObj(schema.properties) ? schema.properties : {});
    if (same(keys, ['province', 'city', 'district', 'detail'])) {
      return 'address';
    }
    if (same(keys, ['start', 'end'])) {
      return 'daterange';
    }
    return 'group';
  }
  if (type === 'boolean') {
    return 'yesno';
  }
  if (schema.oneOf || schema.anyOf) {
    return 'raw';
  }
  if (Array.isArray(schema.enum)) {
    return widget === 'radio' ? 'radio' : 'select';
  }
  if (type === 'integer' || type === 'number') {
    return schema.format === AMOUNT ? 'money' : 'number';
  }
  if (type === 'string') {
    for (const [kind, format] of Object.entries(FORMATS)) {
      if (schema.format === format) {
        return kind;
      }
    }
    if (schema.format === 'date') {
      return 'date';
    }
    if (schema.format) {
      return 'raw';
    }
    return widget === 'textarea' || (schema.maxLength || 0) > 200 ? 'textarea' : 'text';
  }
  return 'raw';
}

function child(name, kind, title, required, extra) {
  const made = create(kind);
  made.schema.title = title;
  Object.assign(made.schema, extra || {});
  return { name, kind, required, ...made };
}

/** A new field of a kind: {schema, ui, children?} (children: [{name, kind, required, schema, ui}]). */
export function create(kind) {
  const title = t('kind.' + kind);
  switch (kind) {
    case 'text':
      return { schema: { type: 'string', title, maxLength: 100 }, ui: {} };
    case 'textarea':
      return { schema: { type: 'string', title, maxLength: 2000 }, ui: { 'ui:widget': 'textarea' } };
    case 'number':
      return { schema: { type: 'number', title }, ui: {} };
    case 'money':
      return { schema: { type: 'number', title: t('kind.money.title'), format: AMOUNT, minimum: 0 }, ui: {} };
    case 'date':
      return { schema: { type: 'string', title, format: 'date' }, ui: {} };
    case 'daterange':
      return {
        schema: { type: 'object', title },
        ui: {},
        children: [child('start', 'date', t('daterange.start'), true), child('end', 'date', t('daterange.end'), true)],
      };
    case 'select':
      return { schema: { type: 'string', title, enum: [t('option.one'), t('option.two')] }, ui: {} };
    case 'radio':
      return { schema: { type: 'string', title, enum: [t('option.one'), t('option.two')] }, ui: { 'ui:widget': 'radio' } };
    case 'checkboxes':
      return {
        schema: { type: 'array', title, items: { type: 'string', enum: [t('option.one'), t('option.two')] }, uniqueItems: true },
        ui: {},
      };
    case 'yesno':
      return { schema: { type: 'boolean', title }, ui: {} };
    case 'idnumber':
    case 'creditcode':
    case 'mobile':
    case 'postcode':
      return { schema: { type: 'string', title, format: FORMATS[kind] }, ui: {} };
    case 'address':
      return {
        schema: { type: 'object', title },
        ui: {},
        children: [
          child('province', 'text', t('address.province'), true, { maxLength: 20 }),
          child('city', 'text', t('address.city'), true, { maxLength: 20 }),
          child('district', 'text', t('address.district'), true, { maxLength: 20 }),
          child('detail', 'text', t('address.detail'), true, { maxLength: 200 }),
        ],
      };
    case 'materials':
      return {
        schema: { type: 'array', title, items: { type: 'string', 'x-catalog': 'materials' }, uniqueItems: true },
        ui: {},
      };
    case 'table':
      return {
        schema: { type: 'array', title: t('table.title'), maxItems: 50, items: { type: 'object', title: t('table.row') } },
        ui: {},
        children: [
          child('name', 'text', t('table.name'), true, { maxLength: 50 }),
          {
            ...child('relation', 'select', t('table.relation'), true),
            schema: { type: 'string', title: t('table.relation'), enum: t('table.relations').split('、') },
          },
          child('id_number', 'idnumber', t('kind.idnumber'), true),
          child('monthly_income', 'money', t('table.income'), false),
        ],
      };
    case 'heading':
      return { schema: { title, readOnly: true }, ui: { 'ui:widget': 'heading' } };
    case 'note':
      return { schema: { description: t('note.text'), readOnly: true }, ui: { 'ui:widget': 'note' } };
    default:
      return { schema: { type: 'string', title }, ui: {} };
  }
}

/** The values a choice field offers and how they read: [{value, label}]. */
export function choicesOf(field) {
  if (field.kind === 'yesno') {
    return [
      { value: true, label: t('yes') },
      { value: false, label: t('no') },
    ];
  }
  const values = Array.isArray(field.schema.enum) ? field.schema.enum : [];
  const names = Array.isArray(field.ui['ui:enumNames']) ? field.ui['ui:enumNames'] : [];
  return values.map((value, i) => ({ value, label: names[i] !== undefined ? String(names[i]) : String(value) }));
}
