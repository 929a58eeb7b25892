/*
 * OneWindow's extensions are SpiffWorkflow's:
 *   <bpmn:extensionElements><spiffworkflow:properties>
 *     <spiffworkflow:property name="…" value="…"/>
 *   </spiffworkflow:properties></bpmn:extensionElements>
 * Read and written here, each change one undoable command.
 */

import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

const MULTI = 'properties-panel.multi-command-executor';

export function spiffProperties(bo) {
  const ext = bo && bo.get ? bo.get('extensionElements') : null;
  if (!ext) {
    return null;
  }
  return (ext.get('values') || []).find((v) => is(v, 'spiffworkflow:Properties')) || null;
}

/** The value of property `name` on an element (undefined when it has none). */
export function getProp(element, name) {
  const props = spiffProperties(getBusinessObject(element));
  const found = props ? (props.get('properties') || []).find((p) => p.name === name) : null;
  return found ? found.value : undefined;
}

function created(bpmnFactory, type, attrs, parent) {
  const element = bpmnFactory.create(type, attrs);
  element.$parent = parent;
  return element;
}

/**
 * Set (or, for null/undefined/'', remove) several properties at once: `values` maps names to values.
 * The extensionElements and spiffworkflow:properties are created when missing and dropped when emptied.
 */
export function setProps(injector, element, values) {
  const bpmnFactory = injector.get('bpmnFactory');
  const bo = getBusinessObject(element);
  const commands = [];
  const update = (moddleElement, properties) =>
    commands.push({ cmd: 'element.updateModdleProperties', context: { element, moddleElement, properties } });

  const props = spiffProperties(bo);
  const list = props ? (props.get('properties') || []).slice() : [];
  let listChanged = false;
  Object.keys(values).forEach((name) => {
    const value = values[name];
    const index = list.findIndex((p) => p.name === name);
    if (value === null || value === undefined || value === '') {
      if (index >= 0) {
        list.splice(index, 1);
        listChanged = true;
      }
    } else if (index >= 0) {
      if (list[index].value !== String(value)) {
        update(list[index], { value: String(value) });
      }
    } else {
      list.push(created(bpmnFactory, 'spiffworkflow:Property', { name, value: String(value) }, props));
      listChanged = true;
    }
  });

  if (listChanged) {
    let ext = bo.get('extensionElements');
    if (props && list.length) {
      update(props, { properties: list });
    } else if (props) {
      const rest = ext.get('values').filter((v) => v !== props);
      if (rest.length) {
        update(ext, { values: rest });
      } else {
        update(bo, { extensionElements: undefined });
      }
    } else if (list.length) {
      if (!ext) {
        ext = created(bpmnFactory, 'bpmn:ExtensionElements', { values: [] }, bo);
        update(bo, { extensionElements: ext });
      }
      const fresh = created(bpmnFactory, 'spiffworkflow:Properties', { properties: list }, ext);
      list.forEach((p) => {
        p.$parent = fresh;
      });
      update(ext, { values: [...(ext.get('values') || []), fresh] });
    }
  }
  if (commands.length) {
    injector.get('commandStack').execute(MULTI, commands);
  }
}

/** Run several updateModdleProperties as one undoable step. */
export function updateAll(injector, element, changes) {
  const commands = changes.map(([moddleElement, properties]) => ({
    cmd: 'element.updateModdleProperties',
    context: { element, moddleElement, properties }
  }));
  if (commands.length) {
    injector.get('commandStack').execute(MULTI, commands);
  }
}

export function formalExpression(injector, body, parent) {
  return created(injector.get('bpmnFactory'), 'bpmn:FormalExpression', { body }, parent);
}

export function create(injector, type, attrs, parent) {
  return created(injector.get('bpmnFactory'), type, attrs, parent);
}

export function eventDefinition(element, type) {
  const bo = getBusinessObject(element);
  return ((bo && bo.get && bo.eventDefinitions) || []).find((d) => is(d, type)) || null;
}

export function definitionsOf(element) {
  let bo = getBusinessObject(element);
  while (bo && !is(bo, 'bpmn:Definitions')) {
    bo = bo.$parent;
  }
  return bo || null;
}

/** The fields of a form (its JSON Schema's top-level properties) as [{name, title, type, enum}]. */
export function formFields(schema) {
  const properties = (schema && typeof schema.properties === 'object' && schema.properties) || {};
  return Object.keys(properties).map((name) => {
    const field = properties[name] || {};
    let type = Array.isArray(field.type) ? field.type.find((x) => x !== 'null') : field.type;
    const choices = Array.isArray(field.enum) ? field.enum : field.items && Array.isArray(field.items.enum) ? field.items.enum : null;
    if (!type && choices) {
      type = typeof choices[0] === 'number' ? 'number' : 'string';
    }
    return { name, title: field.title || name, type: type || 'string', enum: choices };
  });
}
