/*
 * Timer events and boundary timers, written as other modelers write them (bare ISO 8601): a duration (P5D,
 * PT2H), a fixed date (2026-12-01T09:00:00+08:00) or a cycle (R3/PT1H). Working days are a duration of the
 * same number of days with `spiffworkflow:property name="workingDays"` beside it, which the engine waits by
 * (orchestrator/bpmn/timers.py). Checked live.
 */

import { useState } from '@bpmn-io/properties-panel/preact/hooks';
import { useService } from 'bpmn-js-properties-panel';

import { eventDefinition, formalExpression, getProp, setProps } from './extensions.js';
import { t } from './i18n.js';
import { CheckResult, Entry, Select, useCheck, useDraft } from './ui.js';

const FIELD = { duration: 'timeDuration', date: 'timeDate', cycle: 'timeCycle' };
const UNITS = { workday: ['P', 'D'], day: ['P', 'D'], hour: ['PT', 'H'], minute: ['PT', 'M'] };

export function timerOf(element) {
  return eventDefinition(element, 'bpmn:TimerEventDefinition');
}

function written(timer) {
  for (const kind of ['duration', 'date', 'cycle']) {
    const expression = timer.get(FIELD[kind]);
    if (expression) {
      return { kind, text: (expression.body || '').trim() };
    }
  }
  return { kind: 'duration', text: '' };
}

/** The picker state an ISO value stands for, else null (then the value is shown in the expression mode). */
export function parse(kind, text, workingDays) {
  const value = text.replace(/^"(.*)"$/, '$1');
  let m;
  if (kind === 'duration' && (m = /^P(\d+)D$/.exec(value))) {
    return { mode: 'duration', amount: m[1], unit: workingDays === m[1] ? 'workday' : 'day' };
  }
  if (kind === 'duration' && (m = /^PT(\d+)([HM])$/.exec(value))) {
    return { mode: 'duration', amount: m[1], unit: m[2] === 'H' ? 'hour' : 'minute' };
  }
  if (kind === 'date' && (m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:00)?\+08:00$/.exec(value))) {
    return { mode: 'date', date: m[1] };
  }
  if (kind === 'cycle' && (m = /^R(\d*)\/P(T?)(\d+)([DHM])$/.exec(value))) {
    const unit = m[4] === 'D' ? 'day' : m[4] === 'H' ? 'hour' : 'minute';
    if ((unit === 'day') === (m[2] === '')) {
      return { mode: 'cycle', repeat: m[1], every: m[3], everyUnit: unit };
    }
  }
  return null;
}

/** [kind, ISO text, workingDays] for a picker state, or null while it is incomplete. */
export function build(state) {
  const whole = (v) => /^[1-9]\d{0,4}$/.test(String(v || '').trim());
  if (state.mode === 'duration') {
    if (!whole(state.amount)) {
      return null;
    }
    const [prefix, suffix] = UNITS[state.unit];
    const n = String(state.amount).trim();
    return ['duration', prefix + n + suffix, state.unit === 'workday' ? n : null];
  }
  if (state.mode === 'date') {
    return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(state.date || '') ? ['date', state.date + ':00+08:00', null] : null;
  }
  if (state.mode === 'cycle') {
    if (!whole(state.every) || !(state.repeat === '' || whole(state.repeat))) {
      return null;
    }
    const [prefix, suffix] = UNITS[state.everyUnit];
    return ['cycle', 'R' + String(state.repeat).trim() + '/' + prefix + String(state.every).trim() + suffix, null];
  }
  return null;
}

function TimerBody({ element }) {
  const ctx = useService('owContext');
  const injector = useService('injector');
  const modeling = useService('modeling');
  const timer = timerOf(element);
  const current = written(timer);
  const workingDays = getProp(element, 'workingDays');
  const initial = parse(current.kind, current.text, workingDays);
  const [state, setState] = useState(
    initial || (current.text ? { mode: 'expression' } : { mode: 'duration', amount: '', unit: 'workday' })
  );
  const [rawKind, setRawKind] = useState(current.kind);

  const write = (kind, text, days) => {
    const props = { timeDuration: undefined, timeDate: undefined, timeCycle: undefined };
    if (text) {
      props[FIELD[kind]] = formalExpression(injector, text, timer);
    }
    modeling.updateModdleProperties(element, timer, props);
    setProps(injector, element, { workingDays: days });
  };
  const change = (patch) => {
    const next = { ...state, ...patch };
    if (patch.mode && patch.mode !== state.mode) {
      Object.assign(next, { amount: '', unit: 'workday', date: '', repeat: '', every: '', everyUnit: 'hour' });
    }
    setState(next);
    const built = build(next);
    if (built) {
      write(built[0], built[1], built[2]);
    }
  };
  const [raw, onRaw] = useDraft(current.text, () => true, (v) => write(rawKind, v.trim(), null), 300);
  const verdict = useCheck(ctx.check, current.kind, current.text);
  const modes = ['duration', 'date', 'cycle', 'expression'].map((m) => ({ value: m, label: t('timer.' + m) }));
  const unitOptions = (units) => units.map((u) => ({ value: u, label: t('timer.unit.' + u) }));
  return (
    <div class="ow-timer" data-mode={state.mode}>
      <Entry id="ow-timer-kind" label={t('timer.kind')}>
        <Select id="ow-timer-kind" value={state.mode} options={modes} onChange={(v) => change({ mode: v })} />
      </Entry>
      {state.mode === 'duration' ? (
        <Entry id="ow-timer-amount" label={t('timer.after')} hint={state.unit === 'workday' ? t('timer.workday.hint') : null}>
          <div class="ow-row">
            <input id="ow-timer-amount" class="bio-properties-panel-input" type="number" min="1" value={state.amount} onInput={(e) => change({ amount: e.target.value })} />
            <Select id="ow-timer-unit" value={state.unit} options={unitOptions(['workday', 'day', 'hour', 'minute'])} onChange={(v) => change({ unit: v })} />
          </div>
        </Entry>
      ) : null}
      {state.mode === 'date' ? (
        <Entry id="ow-timer-date" label={t('timer.at')} hint={t('timer.date.hint')}>
          <input id="ow-timer-date" class="bio-properties-panel-input" type="datetime-local" value={state.date} onInput={(e) => change({ date: e.target.value })} />
        </Entry>
      ) : null}
      {state.mode === 'cycle' ? (
        <Entry id="ow-timer-every" label={t('timer.every')} hint={t('timer.cycle.hint')}>
          <div class="ow-row">
            <input id="ow-timer-every" class="bio-properties-panel-input" type="number" min="1" value={state.every} onInput={(e) => change({ every: e.target.value })} />
            <Select id="ow-timer-every-unit" value={state.everyUnit} options={unitOptions(['day', 'hour', 'minute'])} onChange={(v) => change({ everyUnit: v })} />
          </div>
          <label class="bio-properties-panel-label" for="ow-timer-repeat">
            {t('timer.repeat')}
          </label>
          <input id="ow-timer-repeat" class="bio-properties-panel-input" type="number" min="1" value={state.repeat} placeholder={t('timer.repeat.forever')} onInput={(e) => change({ repeat: e.target.value })} />
        </Entry>
      ) : null}
      {state.mode === 'expression' ? (
        <Entry id="ow-timer-raw" label={t('timer.expression')} hint={t('timer.expression.hint')}>
          <Select
            id="ow-timer-raw-kind"
            value={rawKind}
            options={['duration', 'date', 'cycle'].map((k) => ({ value: k, label: t('timer.' + k) }))}
            onChange={(v) => {
              setRawKind(v);
              write(v, raw.trim(), null);
            }}
          />
          <textarea id="ow-timer-raw" class="bio-properties-panel-input ow-mono" rows="2" spellcheck={false} value={raw} onInput={(e) => onRaw(e.target.value)} />
        </Entry>
      ) : null}
      <div class="ow-expression">
        {t('timer.written')} <code id="ow-timer-value">{current.text ? t('timer.' + current.kind) + ' ' + current.text : t('timer.none')}</code>
        {workingDays ? <span class="ow-tag">workingDays={workingDays}</span> : null}
      </div>
      <CheckResult id="ow-timer-check" verdict={verdict} />
    </div>
  );
}

export function TimerEntry({ element }) {
  return <TimerBody key={element.id} element={element} />;
}
