/*
 * The server's validation report on the canvas: each element with a problem gets a red marker and a badge
 * whose hover shows the messages; the properties panel lists them too (the "problems" group).
 */

import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

import { t } from './i18n.js';

const MARKER = 'ow-problem';

/** The element on the canvas a reported id belongs to (an event definition's event, a process's pool). */
function resolve(registry, id) {
  const direct = registry.get(id);
  if (direct && !direct.labelTarget) {
    return direct;
  }
  return (
    registry.find((e) => {
      const bo = getBusinessObject(e);
      if (!bo || e.labelTarget) {
        return false;
      }
      if ((bo.eventDefinitions || []).some((d) => d.id === id)) {
        return true;
      }
      return is(e, 'bpmn:Participant') && bo.processRef && bo.processRef.id === id;
    }) || null
  );
}

export function problemMarks(modeler, ctx) {
  const canvas = modeler.get('canvas');
  const overlays = modeler.get('overlays');
  const registry = modeler.get('elementRegistry');
  const eventBus = modeler.get('eventBus');
  let marked = [];

  function clear() {
    marked.forEach((id) => {
      if (registry.get(id)) {
        canvas.removeMarker(id, MARKER);
      }
    });
    overlays.remove({ type: MARKER });
    marked = [];
    ctx.problems = new Map();
  }

  /** Mark `problems` ([{element, message, …}]); returns those that name no element on the canvas. */
  function show(problems) {
    clear();
    const unplaced = [];
    const root = canvas.getRootElement();
    (problems || []).forEach((p) => {
      const element = p.element ? resolve(registry, p.element) : null;
      if (!element) {
        unplaced.push(p);
        return;
      }
      if (!ctx.problems.has(element.id)) {
        ctx.problems.set(element.id, []);
      }
      ctx.problems.get(element.id).push(p.message);
      if (element === root) {
        unplaced.push(p);
      }
    });
    ctx.problems.forEach((messages, id) => {
      const element = registry.get(id);
      if (element === root) {
        return;
      }
      canvas.addMarker(id, MARKER);
      marked.push(id);
      const badge = document.createElement('div');
      badge.className = 'ow-problem-badge';
      badge.setAttribute('data-problem-element', id);
      badge.setAttribute('title', messages.join('\n'));
      badge.textContent = '!';
      const tip = document.createElement('div');
      tip.className = 'ow-problem-tip';
      messages.forEach((m) => {
        const line = document.createElement('div');
        line.textContent = m;
        tip.appendChild(line);
      });
      badge.appendChild(tip);
      badge.addEventListener('click', () => modeler.get('selection').select(element));
      overlays.add(id, MARKER, { position: { top: -10, left: -10 }, html: badge });
    });
    eventBus.fire('propertiesPanel.providersChanged');
    return unplaced;
  }

  function reset() {
    clear();
    eventBus.fire('propertiesPanel.providersChanged');
  }

  return { show, clear: reset, resolve: (id) => resolve(registry, id) };
}

export function ProblemsEntry({ element }) {
  const ctx = useService('owContext');
  const messages = (ctx.problems && ctx.problems.get(element.id)) || [];
  return (
    <div class="bio-properties-panel-entry ow-panel-problems" data-entry-id="ow-problems" id="ow-panel-problems">
      <div class="bio-properties-panel-description">{t('problems.hint')}</div>
      <ul>
        {messages.map((m, i) => (
          <li key={i}>{m}</li>
        ))}
      </ul>
    </div>
  );
}
