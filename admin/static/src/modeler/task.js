/* A user task: department (its lane), form, case-status milestone, step limit and the actions offered. */

import { useState } from '@bpmn-io/properties-panel/preact/hooks';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject } from 'bpmn-js/lib/util/ModelUtil';

import { formFields, getProp, setProps } from './extensions.js';
import { t } from './i18n.js';
import { assignDepartment, groupOfLane, laneOf } from './lanes.js';
import { Entry, Select, useDraft } from './ui.js';

const YES_NO_FIELDS = ['approved', 'accepted', 'eligible']; // what a 驳回 sets to false without rejectData

const isUi = (name) => /[.-]uischema\.json$/.test(name);

export function DepartmentEntry({ element }) {
  const injector = useService('injector');
  const elementRegistry = useService('elementRegistry');
  const ctx = useService('owContext');
  const groups = ctx.context.groups || [];
  const lane = laneOf(elementRegistry, element);
  const group = groupOfLane(groups, lane);
  const options = groups.map((g) => ({ value: g.code, label: g.name + '（' + g.code + '）' }));
  if (!group) {
    const name = lane ? getBusinessObject(lane).name || '' : '';
    options.unshift({ value: '', label: lane ? t('department.unknown', { name }) : t('department.none') });
  }
  const onChange = (code) => {
    const picked = groups.find((g) => g.code === code);
    if (picked) {
      assignDepartment(injector, element, picked);
    }
  };
  return (
    <Entry id="ow-department" label={t('department')} hint={t('department.hint')}>
      <Select id="ow-department" value={group ? group.code : ''} options={options} onChange={onChange} />
    </Entry>
  );
}

function formOptions(ctx, current) {
  const forms = ctx.context.forms || {};
  const own = new Set(ctx.context.version_forms || []);
  const names = Object.keys(forms).filter((n) => !isUi(n)).sort();
  const options = [{ value: '', label: t('form.none') }];
  names.filter((n) => own.has(n)).forEach((n) => options.push({ value: n, label: label(forms, n), group: t('form.version') }));
  names.filter((n) => !own.has(n)).forEach((n) => options.push({ value: n, label: label(forms, n), group: t('form.shared') }));
  if (current && !forms[current]) {
    options.push({ value: current, label: t('form.missing', { name: current }) });
  }
  return options;
}

function label(forms, name) {
  const title = forms[name] && forms[name].title;
  return title ? title + '（' + name + '）' : name;
}

export function uiSchemaFor(forms, name) {
  if (!name) {
    return null;
  }
  const ui = name.replace(/\.json$/, '').replace(/\.schema$/, '') + '.uischema.json';
  return forms[ui] ? ui : null;
}

function newFormName(element, forms) {
  const bo = getBusinessObject(element);
  const stem = (bo.id || 'form').replace(/^(Task|Activity|UserTask)_/i, '').replace(/[^\w-]/g, '_').toLowerCase() || 'form';
  let name = stem + '.schema.json';
  for (let i = 2; forms[name]; i++) {
    name = stem + '_' + i + '.schema.json';
  }
  return name;
}

export function FormEntry({ element }) {
  const injector = useService('injector');
  const ctx = useService('owContext');
  const forms = ctx.context.forms || {};
  const current = getProp(element, 'formJsonSchemaFilename') || '';
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const onChange = (value) =>
    setProps(injector, element, { formJsonSchemaFilename: value || null, formUiSchemaFilename: uiSchemaFor(forms, value) });
  const valid = /^[\w\-. ()\u4e00-\u9fff]{1,120}\.json$/.test(name) && !isUi(name) && !forms[name];
  const create = async () => {
    setBusy(true);
    try {
      await ctx.actions.newForm(element, name);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Entry id="ow-form" label={t('form')} hint={t('form.hint')}>
      <Select id="ow-form" value={current} options={formOptions(ctx, current)} onChange={onChange} />
      {ctx.config.key ? (
        !creating ? (
          <button
            type="button"
            id="ow-form-new"
            class="btn btn-default btn-xs ow-button"
            onClick={() => {
              setName(newFormName(element, forms));
              setCreating(true);
            }}
          >
            {t('form.new')}
          </button>
        ) : (
          <div class="ow-new-form">
            <label class="bio-properties-panel-label" for="ow-form-new-name">
              {t('form.new.name')}
            </label>
            <input
              id="ow-form-new-name"
              class="bio-properties-panel-input"
              value={name}
              onInput={(e) => setName(e.target.value.trim())}
            />
            <button type="button" id="ow-form-new-create" class="btn btn-primary btn-xs ow-button" disabled={!valid || busy} onClick={create}>
              {t('form.new.create')}
            </button>
            <button type="button" class="btn btn-link btn-xs" onClick={() => setCreating(false)}>
              {t('cancel')}
            </button>
            <div class="bio-properties-panel-description ow-hint">{valid ? t('form.new.hint') : t('form.new.invalid')}</div>
          </div>
        )
      ) : null}
    </Entry>
  );
}

export function CaseStatusEntry({ element }) {
  const injector = useService('injector');
  const ctx = useService('owContext');
  const statuses = ctx.context.case_statuses || [];
  const current = getProp(element, 'caseStatus') || '';
  const pause = getProp(element, 'casePause') || '';
  const options = [{ value: '', label: t('status.none') }].concat(
    statuses.map((s) => ({ value: String(s.code), label: s.code + ' ' + s.name }))
  );
  if (current && !statuses.some((s) => String(s.code) === current)) {
    options.push({ value: current, label: t('status.unknown', { code: current }) });
  }
  const [pauseText, onPause] = useDraft(pause, () => true, (v) => setProps(injector, element, { casePause: v.trim() || null }), 300);
  return (
    <div>
      <Entry id="ow-case-status" label={t('status')} hint={t('status.hint')}>
        <Select
          id="ow-case-status"
          value={current}
          options={options}
          onChange={(v) => setProps(injector, element, { caseStatus: v || null, casePause: v === '9' ? pause || null : null })}
        />
      </Entry>
      {current === '9' ? (
        <Entry id="ow-case-pause" label={t('status.pause')} hint={t('status.pause.hint')}>
          <input
            id="ow-case-pause"
            class="bio-properties-panel-input"
            list="ow-case-pause-kinds"
            value={pauseText}
            onInput={(e) => onPause(e.target.value)}
          />
          <datalist id="ow-case-pause-kinds">
            {(t('status.pause.kinds') || '').split('、').map((k) => (
              <option value={k} key={k} />
            ))}
          </datalist>
        </Entry>
      ) : null}
    </div>
  );
}

export function StepDaysEntry({ element }) {
  const injector = useService('injector');
  const model = getProp(element, 'stepDays') || '';
  const ok = (v) => v.trim() === '' || /^[1-9]\d{0,3}$/.test(v.trim());
  const [text, onInput] = useDraft(model, ok, (v) => setProps(injector, element, { stepDays: v.trim() || null }));
  return (
    <Entry id="ow-step-days" label={t('stepDays')} hint={t('stepDays.hint')} error={ok(text) ? null : t('stepDays.invalid')}>
      <input
        id="ow-step-days"
        type="number"
        min="1"
        step="1"
        class="bio-properties-panel-input"
        value={text}
        onInput={(e) => onInput(e.target.value)}
      />
    </Entry>
  );
}

function taskFields(ctx, element) {
  const name = getProp(element, 'formJsonSchemaFilename');
  return formFields((ctx.context.forms || {})[name]);
}

function parseObject(text) {
  try {
    const value = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch (e) {
    return null;
  }
}

/** 驳回 / 补正: offered with the data it sets (a JSON object), built from the form's yes/no and choice fields. */
function ActionData({ element, kind, property }) {
  const injector = useService('injector');
  const ctx = useService('owContext');
  const model = getProp(element, property);
  const fields = taskFields(ctx, element).filter((f) => f.type === 'boolean' || f.enum);
  const write = (v) => setProps(injector, element, { [property]: v });
  const [text, onInput] = useDraft(model || '', (v) => parseObject(v) !== null, write, 300);
  const data = parseObject(text) || {};
  const auto = kind === 'reject' ? fields.find((f) => f.type === 'boolean' && YES_NO_FIELDS.includes(f.name)) : null;
  const setField = (field, raw) => {
    const next = { ...data };
    if (raw === '') {
      delete next[field.name];
    } else {
      next[field.name] = field.type === 'boolean' ? raw === 'true' : field.type === 'number' || field.type === 'integer' ? Number(raw) : raw;
    }
    const json = JSON.stringify(next);
    onInput(json);
  };
  const id = 'ow-' + kind;
  return (
    <div class="ow-action" data-action={kind}>
      <label class="ow-checkbox" for={id + '-on'}>
        <input
          id={id + '-on'}
          type="checkbox"
          checked={model !== undefined}
          onChange={(e) => write(e.target.checked ? JSON.stringify(auto ? { [auto.name]: false } : {}) : null)}
        />{' '}
        {t('actions.' + kind)}
      </label>
      {model === undefined ? (
        <div class="bio-properties-panel-description ow-hint">
          {auto ? t('actions.reject.auto', { field: auto.title }) : t('actions.' + kind + '.off')}
        </div>
      ) : (
        <div class="ow-action-data">
          <div class="bio-properties-panel-description ow-hint">{t('actions.' + kind + '.on')}</div>
          {fields.map((f) => (
            <div class="ow-row" key={f.name}>
              <label for={id + '-' + f.name}>{f.title}</label>
              <Select
                id={id + '-' + f.name}
                value={data[f.name] === undefined ? '' : String(data[f.name])}
                options={[{ value: '', label: t('actions.unset') }].concat(
                  f.type === 'boolean'
                    ? [{ value: 'true', label: t('yes') }, { value: 'false', label: t('no') }]
                    : f.enum.map((v) => ({ value: String(v), label: String(v) }))
                )}
                onChange={(v) => setField(f, v)}
              />
            </div>
          ))}
          <textarea
            id={id + '-data'}
            class="bio-properties-panel-input ow-mono"
            rows="2"
            value={text}
            onInput={(e) => onInput(e.target.value)}
          />
          {parseObject(text) === null ? <div class="bio-properties-panel-error">{t('actions.json.invalid')}</div> : null}
        </div>
      )}
    </div>
  );
}

export function ActionsEntry({ element }) {
  return (
    <Entry id="ow-actions" label={t('actions')}>
      <div id="ow-action-send-back" class="ow-info">
        {t('actions.sendBack')}
      </div>
      <ActionData element={element} kind="reject" property="rejectData" />
      <ActionData element={element} kind="supplement" property="supplementData" />
    </Entry>
  );
}
