/* Messages and escalations: picked by name from those the diagram defines, or a new one named here. */

import { useState } from '@bpmn-io/properties-panel/preact/hooks';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

import { create, definitionsOf, eventDefinition } from './extensions.js';
import { t } from './i18n.js';
import { Entry, Select } from './ui.js';

const MULTI = 'properties-panel.multi-command-executor';
const NEW = '__new__';

const KINDS = {
  message: { type: 'bpmn:Message', definition: 'bpmn:MessageEventDefinition', ref: 'messageRef', prefix: 'Message_' },
  escalation: {
    type: 'bpmn:Escalation',
    definition: 'bpmn:EscalationEventDefinition',
    ref: 'escalationRef',
    prefix: 'Escalation_'
  }
};

/** The moddle element that holds the reference (an event definition, or a send/receive task), or null. */
export function holderOf(element, kind) {
  const found = eventDefinition(element, KINDS[kind].definition);
  if (found) {
    return found;
  }
  const bo = getBusinessObject(element);
  return kind === 'message' && (is(bo, 'bpmn:ReceiveTask') || is(bo, 'bpmn:SendTask')) ? bo : null;
}

function freeId(definitions, prefix, name) {
  const used = new Set();
  (definitions.get('rootElements') || []).forEach((e) => used.add(e.id));
  const base = prefix + (/^[A-Za-z_][\w.-]*$/.test(name) ? name : Math.random().toString(36).slice(2, 9));
  let id = base;
  for (let i = 2; used.has(id); i++) {
    id = base + '_' + i;
  }
  return id;
}

function RefBody({ element, kind }) {
  const commandStack = useService('commandStack');
  const injector = useService('injector');
  const spec = KINDS[kind];
  const holder = holderOf(element, kind);
  const definitions = definitionsOf(element);
  const defined = (definitions.get('rootElements') || []).filter((e) => is(e, spec.type));
  const current = holder.get(spec.ref);
  const [adding, setAdding] = useState(false);
  const [name, setName] = useState('');
  const options = [{ value: '', label: t(kind + '.none') }]
    .concat(defined.map((e) => ({ value: e.id, label: e.name || e.id })))
    .concat([{ value: NEW, label: t(kind + '.new') }]);
  const pick = (id) => {
    if (id === NEW) {
      setAdding(true);
      return;
    }
    setAdding(false);
    const target = defined.find((e) => e.id === id);
    commandStack.execute(MULTI, [
      { cmd: 'element.updateModdleProperties', context: { element, moddleElement: holder, properties: { [spec.ref]: target } } }
    ]);
  };
  const taken = defined.some((e) => (e.name || '') === name.trim());
  const add = () => {
    const clean = name.trim();
    const attrs = { id: freeId(definitions, spec.prefix, clean), name: clean };
    if (kind === 'escalation') {
      attrs.escalationCode = clean;
    }
    const made = create(injector, spec.type, attrs, definitions);
    commandStack.execute(MULTI, [
      {
        cmd: 'element.updateModdleProperties',
        context: { element, moddleElement: definitions, properties: { rootElements: [...definitions.get('rootElements'), made] } }
      },
      { cmd: 'element.updateModdleProperties', context: { element, moddleElement: holder, properties: { [spec.ref]: made } } }
    ]);
    setAdding(false);
    setName('');
  };
  const id = 'ow-' + kind;
  return (
    <Entry id={id} label={t(kind)} hint={t(kind + '.hint')}>
      <Select id={id} value={adding ? NEW : current ? current.id : ''} options={options} onChange={pick} />
      {adding ? (
        <div class="ow-row">
          <input
            id={id + '-name'}
            class="bio-properties-panel-input"
            placeholder={t(kind + '.name')}
            value={name}
            onInput={(e) => setName(e.target.value)}
          />
          <button type="button" id={id + '-create'} class="btn btn-primary btn-xs ow-button" disabled={!name.trim() || taken} onClick={add}>
            {t('create')}
          </button>
        </div>
      ) : null}
      {adding && taken ? <div class="bio-properties-panel-error">{t(kind + '.taken')}</div> : null}
    </Entry>
  );
}

export function MessageEntry({ element }) {
  return <RefBody key={element.id} element={element} kind="message" />;
}

export function EscalationEntry({ element }) {
  return <RefBody key={element.id} element={element} kind="escalation" />;
}
