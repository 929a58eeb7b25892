/*
 * Conditions of the sequence flows out of an exclusive or inclusive gateway: a builder that picks a field of
 * the forms upstream of the gateway, an operator and a value, and writes a sandbox (Python) expression such
 * as `approved == False`; checked live by the server; raw editing in the advanced mode; the default flow.
 */

import { useState } from '@bpmn-io/properties-panel/preact/hooks';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

import { formalExpression, formFields, getProp } from './extensions.js';
import { t } from './i18n.js';
import { CheckResult, Entry, Select, useCheck, useDraft } from './ui.js';

const MULTI = 'properties-panel.multi-command-executor';
const PYTHON = { eq: '==', ne: '!=', gt: '>', lt: '<' };
const EMPTY = '(None, "", [])';
const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

export function isGateway(element) {
  return is(element, 'bpmn:ExclusiveGateway') || is(element, 'bpmn:InclusiveGateway');
}

export function isConditional(element) {
  return is(element, 'bpmn:SequenceFlow') && element.source && isGateway(element.source);
}

/** The fields of the forms of the user tasks upstream of `gateway`, nearest first. */
export function upstreamFields(forms, gateway) {
  const seen = new Set([gateway.id]);
  const queue = [gateway];
  const fields = [];
  const names = new Set();
  while (queue.length) {
    const node = queue.shift();
    const sources = (node.incoming || []).filter((c) => is(c, 'bpmn:SequenceFlow')).map((c) => c.source);
    if (is(node, 'bpmn:BoundaryEvent') && node.host) {
      sources.push(node.host);
    }
    sources.forEach((source) => {
      if (!source || seen.has(source.id)) {
        return;
      }
      seen.add(source.id);
      queue.push(source);
      if (is(source, 'bpmn:UserTask')) {
        const form = getProp(source, 'formJsonSchemaFilename');
        formFields(forms[form]).forEach((f) => {
          if (!names.has(f.name) && NAME.test(f.name)) {
            names.add(f.name);
            fields.push({ ...f, task: getBusinessObject(source).name || source.id });
          }
        });
      }
    });
  }
  return fields;
}

function operators(type) {
  if (type === 'boolean') {
    return ['eq', 'ne', 'empty', 'notEmpty'];
  }
  if (type === 'number' || type === 'integer') {
    return ['eq', 'ne', 'gt', 'lt', 'empty', 'notEmpty'];
  }
  if (type === 'array') {
    return ['contains', 'empty', 'notEmpty'];
  }
  if (type === 'string') {
    return ['eq', 'ne', 'contains', 'empty', 'notEmpty'];
  }
  return ['eq', 'ne', 'gt', 'lt', 'contains', 'empty', 'notEmpty'];
}

function literal(field, raw) {
  const text = raw == null ? '' : String(raw);
  if (field.type === 'boolean') {
    return text === 'true' ? 'True' : text === 'false' ? 'False' : null;
  }
  if (field.type === 'number' || field.type === 'integer' || (field.type === 'any' && /^-?\d+(\.\d+)?$/.test(text))) {
    return /^-?\d+(\.\d+)?$/.test(text.trim()) ? text.trim() : null;
  }
  return text === '' ? null : JSON.stringify(text);
}

/** The expression a builder state stands for, or null while it is incomplete. */
export function build(state, field) {
  if (!state.field || !field) {
    return null;
  }
  if (state.op === 'empty') {
    return state.field + ' in ' + EMPTY;
  }
  if (state.op === 'notEmpty') {
    return state.field + ' not in ' + EMPTY;
  }
  const value = literal(field.type === 'array' ? { type: 'string' } : field, state.value);
  if (value === null) {
    return null;
  }
  return state.op === 'contains' ? value + ' in ' + state.field : state.field + ' ' + PYTHON[state.op] + ' ' + value;
}

function unliteral(text) {
  if (text === 'True') {
    return 'true';
  }
  if (text === 'False') {
    return 'false';
  }
  if (/^-?\d+(\.\d+)?$/.test(text)) {
    return text;
  }
  if (/^"(?:[^"\\]|\\.)*"$/.test(text)) {
    try {
      return JSON.parse(text);
    } catch (e) {
      return undefined;
    }
  }
  return /^'[^'\\]*'$/.test(text) ? text.slice(1, -1) : undefined;
}

/** A builder state from an expression the builder could have written, else null. */
export function parse(expression) {
  const text = (expression || '').trim();
  let m = /^([A-Za-z]\w*) (not in|in) \(None, "", \[\]\)$/.exec(text);
  if (m) {
    return { field: m[1], op: m[2] === 'in' ? 'empty' : 'notEmpty', value: '' };
  }
  m = /^([A-Za-z]\w*) (==|!=|>|<) (.+)$/.exec(text);
  if (m && unliteral(m[3]) !== undefined) {
    const op = Object.keys(PYTHON).find((k) => PYTHON[k] === m[2]);
    return { field: m[1], op, value: unliteral(m[3]) };
  }
  m = /^(.+) in ([A-Za-z]\w*)$/.exec(text);
  if (m && unliteral(m[1]) !== undefined) {
    return { field: m[2], op: 'contains', value: unliteral(m[1]) };
  }
  return null;
}

function ValueInput({ field, state, onChange }) {
  if (state.op === 'empty' || state.op === 'notEmpty') {
    return null;
  }
  if (field.type === 'boolean') {
    const options = [
      { value: '', label: t('condition.pick') },
      { value: 'true', label: t('yes') },
      { value: 'false', label: t('no') }
    ];
    return <Select id="ow-cond-value" value={state.value} options={options} onChange={onChange} />;
  }
  if (field.enum) {
    const options = [{ value: '', label: t('condition.pick') }].concat(field.enum.map((v) => ({ value: String(v), label: String(v) })));
    return <Select id="ow-cond-value" value={String(state.value)} options={options} onChange={onChange} />;
  }
  const number = field.type === 'number' || field.type === 'integer';
  return (
    <input
      id="ow-cond-value"
      class="bio-properties-panel-input"
      type={number ? 'number' : 'text'}
      value={state.value}
      placeholder={t('condition.value')}
      onInput={(e) => onChange(e.target.value)}
    />
  );
}

function Builder({ fields, model, write }) {
  const [state, setState] = useState(() => parse(model) || { field: '', op: 'eq', value: '' });
  const known = fields.find((f) => f.name === state.field);
  const field = known || (state.field ? { name: state.field, title: state.field, type: 'any' } : null);
  const change = (patch) => {
    let next = { ...state, ...patch };
    if (patch.field !== undefined) {
      const picked = fields.find((f) => f.name === patch.field) || { type: 'any' };
      const ops = operators(picked.type);
      next = { field: patch.field, op: ops.includes(state.op) ? state.op : ops[0], value: '' };
    }
    setState(next);
    const expression = build(next, next.field === state.field ? field : fields.find((f) => f.name === next.field));
    if (expression !== null) {
      write(expression);
    }
  };
  const fieldOptions = [{ value: '', label: fields.length ? t('condition.pickField') : t('condition.noFields') }].concat(
    fields.map((f) => ({ value: f.name, label: f.title + '（' + f.name + '）', group: f.task }))
  );
  if (state.field && !known) {
    fieldOptions.push({ value: state.field, label: state.field });
  }
  return (
    <div class="ow-builder">
      <Entry id="ow-cond-field" label={t('condition.field')}>
        <Select id="ow-cond-field" value={state.field} options={fieldOptions} onChange={(v) => change({ field: v })} />
      </Entry>
      {field ? (
        <div class="ow-row">
          <Select
            id="ow-cond-op"
            value={state.op}
            options={operators(field.type).map((op) => ({ value: op, label: t('op.' + op) }))}
            onChange={(v) => change({ op: v })}
          />
          <ValueInput field={field} state={state} onChange={(v) => change({ value: v })} />
        </div>
      ) : null}
    </div>
  );
}

function ConditionBody({ element }) {
  const ctx = useService('owContext');
  const modeling = useService('modeling');
  const commandStack = useService('commandStack');
  const injector = useService('injector');
  const bo = getBusinessObject(element);
  const gateway = element.source;
  const isDefault = getBusinessObject(gateway).default === bo;
  const model = bo.conditionExpression ? bo.conditionExpression.body || '' : '';
  const fields = upstreamFields(ctx.context.forms || {}, gateway);
  const [mode, setMode] = useState(model && !parse(model) ? 'raw' : 'builder');
  const write = (text) => {
    const body = text.trim();
    modeling.updateProperties(element, { conditionExpression: body ? formalExpression(injector, body, bo) : undefined });
  };
  const [raw, onRaw] = useDraft(model, () => true, write, 300);
  const verdict = useCheck(ctx.check, 'condition', isDefault ? '' : model);
  const setDefault = (on) => {
    const commands = [{ cmd: 'element.updateProperties', context: { element: gateway, properties: { default: on ? bo : undefined } } }];
    if (on && bo.conditionExpression) {
      commands.push({ cmd: 'element.updateProperties', context: { element, properties: { conditionExpression: undefined } } });
    }
    commandStack.execute(MULTI, commands);
  };
  return (
    <div class="ow-condition" data-mode={mode}>
      <label class="ow-checkbox" for="ow-cond-default">
        <input id="ow-cond-default" type="checkbox" checked={isDefault} onChange={(e) => setDefault(e.target.checked)} />{' '}
        {t('condition.default')}
      </label>
      {isDefault ? (
        <div class="bio-properties-panel-description ow-hint">{t('condition.default.hint')}</div>
      ) : (
        <div>
          <div class="ow-tabs" role="tablist">
            <button type="button" id="ow-cond-mode-builder" class={mode === 'builder' ? 'active' : ''} onClick={() => setMode('builder')}>
              {t('condition.builder')}
            </button>
            <button type="button" id="ow-cond-mode-raw" class={mode === 'raw' ? 'active' : ''} onClick={() => setMode('raw')}>
              {t('condition.raw')}
            </button>
          </div>
          {mode === 'builder' ? (
            <Builder fields={fields} model={model} write={write} />
          ) : (
            <Entry id="ow-cond-raw" label={t('condition.expression')} hint={t('condition.raw.hint')}>
              <textarea id="ow-cond-raw" class="bio-properties-panel-input ow-mono" rows="3" spellcheck={false} value={raw} onInput={(e) => onRaw(e.target.value)} />
            </Entry>
          )}
          <div class="ow-expression">
            {t('condition.written')} <code id="ow-cond-expression">{model || t('condition.none')}</code>
          </div>
          <CheckResult id="ow-cond-check" verdict={verdict} />
        </div>
      )}
    </div>
  );
}

export function ConditionEntry({ element }) {
  return <ConditionBody key={element.id} element={element} />;
}

/** On the gateway itself: which outgoing flow is taken when no condition holds. */
export function DefaultFlowEntry({ element }) {
  const modeling = useService('modeling');
  const bo = getBusinessObject(element);
  const flows = (element.outgoing || []).filter((c) => is(c, 'bpmn:SequenceFlow'));
  const options = [{ value: '', label: t('gateway.noDefault') }].concat(
    flows.map((f) => {
      const target = f.target ? getBusinessObject(f.target).name || f.target.id : '';
      const name = getBusinessObject(f).name;
      return { value: f.id, label: (name ? name + ' → ' : '→ ') + target };
    })
  );
  const onChange = (id) => {
    const flow = flows.find((f) => f.id === id);
    modeling.updateProperties(element, { default: flow ? getBusinessObject(flow) : undefined });
    if (flow && getBusinessObject(flow).conditionExpression) {
      modeling.updateProperties(flow, { conditionExpression: undefined });
    }
  };
  return (
    <Entry id="ow-gateway-default" label={t('gateway.default')} hint={t('gateway.default.hint')}>
      <Select id="ow-gateway-default" value={bo.default ? bo.default.id : ''} options={options} onChange={onChange} />
    </Entry>
  );
}
