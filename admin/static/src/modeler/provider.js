/*
 * OneWindow's groups in the properties panel, beside bpmn-js' own (name, id, documentation, …): ours replace
 * its message, escalation and timer groups, which would ask for ids and English.
 */

import { Group } from '@bpmn-io/properties-panel';
import { is, isAny } from 'bpmn-js/lib/util/ModelUtil';

import { ConditionEntry, DefaultFlowEntry, isConditional, isGateway } from './condition.js';
import { t } from './i18n.js';
import { ProblemsEntry } from './problems.js';
import { EscalationEntry, holderOf, MessageEntry } from './refs.js';
import { ScriptEntry } from './script.js';
import { ActionsEntry, CaseStatusEntry, DepartmentEntry, FormEntry, StepDaysEntry } from './task.js';
import { timerOf, TimerEntry } from './timer.js';

const REPLACED = new Set(['message', 'escalation', 'timer']);

function group(id, label, components) {
  return {
    id,
    label,
    component: Group,
    shouldOpen: true,
    entries: components.map(([entryId, component]) => ({ id: entryId, component, isEdited: () => false }))
  };
}

function milestoneCarrier(element) {
  return isAny(element, ['bpmn:Task', 'bpmn:SubProcess', 'bpmn:CallActivity', 'bpmn:Event']) && !element.labelTarget;
}

export function ownGroups(element, ctx) {
  const groups = [];
  if (ctx.problems && ctx.problems.has(element.id)) {
    groups.push(group('ow-problems', t('group.problems'), [['ow-problems', ProblemsEntry]]));
  }
  if (is(element, 'bpmn:UserTask')) {
    groups.push(
      group('ow-task', t('group.task'), [
        ['ow-department', DepartmentEntry],
        ['ow-form', FormEntry],
        ['ow-step-days', StepDaysEntry],
        ['ow-actions', ActionsEntry]
      ])
    );
  }
  if (milestoneCarrier(element)) {
    groups.push(group('ow-status', t('group.status'), [['ow-case-status', CaseStatusEntry]]));
  }
  if (isConditional(element)) {
    groups.push(group('ow-condition', t('group.condition'), [['ow-condition', ConditionEntry]]));
  }
  if (isGateway(element) && (element.outgoing || []).length > 1) {
    groups.push(group('ow-gateway', t('group.gateway'), [['ow-gateway-default', DefaultFlowEntry]]));
  }
  if (timerOf(element)) {
    groups.push(group('ow-timer', t('group.timer'), [['ow-timer', TimerEntry]]));
  }
  if (is(element, 'bpmn:ScriptTask')) {
    groups.push(group('ow-script', t('group.script'), [['ow-script', ScriptEntry]]));
  }
  if (holderOf(element, 'message')) {
    groups.push(group('ow-message', t('group.message'), [['ow-message', MessageEntry]]));
  }
  if (holderOf(element, 'escalation')) {
    groups.push(group('ow-escalation', t('group.escalation'), [['ow-escalation', EscalationEntry]]));
  }
  return groups;
}

function OneWindowProvider(propertiesPanel, owContext) {
  this._context = owContext;
  propertiesPanel.registerProvider(500, this);
}

OneWindowProvider.prototype.getGroups = function (element) {
  return (groups) => {
    const kept = groups.filter((g) => !REPLACED.has(g.id));
    const mine = ownGroups(element, this._context);
    const problems = mine.filter((g) => g.id === 'ow-problems');
    const rest = mine.filter((g) => g.id !== 'ow-problems');
    const general = kept.findIndex((g) => g.id === 'general');
    kept.splice(general + 1, 0, ...rest);
    return problems.concat(kept);
  };
};

OneWindowProvider.$inject = ['propertiesPanel', 'owContext'];

export function providerModule(ctx) {
  return {
    __init__: ['oneWindowProvider'],
    owContext: ['value', ctx],
    oneWindowProvider: ['type', OneWindowProvider]
  };
}
