/*
 * OneWindow's modeler page: bpmn-js (the vendored Modeler bundle, global BpmnJS) with a properties panel
 * (bpmn-js-properties-panel + OneWindow's provider), problems marked on the canvas, save / check / publish,
 * and the kept edit of a refused save offered back. Built by tools/assets.sh into
 * admin/static/vendor/onewindow-modeler/; no request leaves the site.
 *
 * Page contract (admin/templates/onewindow/definitions/modeler.html):
 *   <div data-bpmn-modeler data-xml-url data-save-url data-process-key data-file-name>  the canvas
 *   #modeler-properties  the panel; #modeler-save, #modeler-check, #modeler-publish, #modeler-download
 *   #modeler-result      answers (data-status = the last save's HTTP status, data-version = saved version)
 *   #modeler-strings     the page's strings (JSON, rendered by Flask-Babel); #modeler-config (JSON)
 *   #modeler-kept        the banner offering a kept edit (#modeler-kept-restore, #modeler-kept-discard)
 * The container gets data-ready="true" once the diagram is imported (data-error="…" if that fails).
 */

import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';

import { expressionChecker, getJson, postJson } from './api.js';
import { setProps } from './extensions.js';
import { setStrings, t, translateModule } from './i18n.js';
import { problemMarks } from './problems.js';
import { providerModule } from './provider.js';
import spiffworkflow from './spiffworkflow.json';

const NCNAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function newDiagram(processKey) {
  const key = NCNAME.test(processKey || '') ? processKey : 'Process_1';
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="Definitions_${key}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="${key}" isExecutable="true">
    <bpmn:startEvent id="Start_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Task_1" name="受理">
      <bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="End_1"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_1" targetRef="Task_1" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_1" targetRef="End_1" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram_1">
    <bpmndi:BPMNPlane id="Plane_1" bpmnElement="${key}">
      <bpmndi:BPMNShape id="Start_1_di" bpmnElement="Start_1"><dc:Bounds x="152" y="102" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Task_1_di" bpmnElement="Task_1"><dc:Bounds x="240" y="80" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="End_1_di" bpmnElement="End_1"><dc:Bounds x="392" y="102" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="Flow_1_di" bpmnElement="Flow_1"><di:waypoint x="188" y="120" /><di:waypoint x="240" y="120" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_2_di" bpmnElement="Flow_2"><di:waypoint x="340" y="120" /><di:waypoint x="392" y="120" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
`;
}

function readJson(id) {
  const node = document.getElementById(id);
  try {
    return node ? JSON.parse(node.textContent) : null;
  } catch (e) {
    return null;
  }
}

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  Object.keys(attrs || {}).forEach((name) => node.setAttribute(name, attrs[name]));
  if (text !== undefined && text !== null) {
    node.textContent = String(text);
  }
  return node;
}

function replace(target, ...children) {
  while (target.firstChild) {
    target.removeChild(target.firstChild);
  }
  children.forEach((child) => target.appendChild(child));
}

class Page {
  constructor(container, config) {
    this.container = container;
    this.config = config;
    this.fileName = container.getAttribute('data-file-name') || (config.key || 'process') + '.bpmn';
    this.saveUrl = container.getAttribute('data-save-url');
    this.result = document.getElementById('modeler-result');
    this.buttons = {
      save: document.getElementById('modeler-save'),
      check: document.getElementById('modeler-check'),
      publish: document.getElementById('modeler-publish'),
      download: document.getElementById('modeler-download')
    };
    this.dirty = false;
    this.saved = config.status === 'draft' ? { key: config.key, version: config.version } : null;
  }

  async start() {
    const urls = this.config.urls || {};
    const context = urls.context ? await getJson(urls.context).catch(() => null) : null;
    this.ctx = {
      config: this.config,
      context: (context && context.status === 200 && context.body) || { groups: [], forms: {}, case_statuses: [] },
      problems: new Map(),
      check: expressionChecker(urls.check_expression),
      actions: { newForm: (element, name) => this.newForm(element, name) }
    };
    const strings = readJson('modeler-strings') || {};
    this.modeler = new window.BpmnJS({
      container: this.container,
      propertiesPanel: { parent: '#modeler-properties' },
      additionalModules: [
        BpmnPropertiesPanelModule,
        BpmnPropertiesProviderModule,
        providerModule(this.ctx),
        translateModule(strings.bpmn)
      ],
      moddleExtensions: { spiffworkflow }
    });
    this.marks = problemMarks(this.modeler, this.ctx);
    const xml = await this.initialXml();
    await this.open(xml);
    this.modeler.on('commandStack.changed', () => {
      this.dirty = true;
      this.togglePublish();
    });
    this.wire();
    this.togglePublish();
    this.container.setAttribute('data-ready', 'true');
  }

  async initialXml() {
    const url = this.container.getAttribute('data-xml-url');
    if (!url) {
      return newDiagram(this.container.getAttribute('data-process-key'));
    }
    const response = await fetch(url, { credentials: 'same-origin' });
    if (!response.ok) {
      throw new Error('HTTP ' + response.status + ' (' + url + ')');
    }
    return response.text();
  }

  async open(xml) {
    const imported = await this.modeler.importXML(xml);
    this.modeler.get('canvas').zoom('fit-viewport');
    const lost = (imported.warnings || []).map((w) => (w.message || String(w)).split('\n')[0]);
    if (lost.length) {
      this.message('ow-warning', t('import.warnings', { count: lost.length }) + ' ' + lost.slice(0, 3).join('; '));
    }
  }

  wire() {
    const { save, check, publish, download } = this.buttons;
    save.addEventListener('click', () => this.save());
    if (check) {
      check.addEventListener('click', () => this.check());
    }
    if (publish) {
      publish.addEventListener('click', () => this.publish());
    }
    download.addEventListener('click', (event) => {
      event.preventDefault();
      this.download().catch((error) => this.message('ow-error', error.message || String(error)));
    });
    window.addEventListener('beforeunload', (event) => {
      if (this.dirty) {
        event.preventDefault();
        event.returnValue = '';
      }
    });
    const kept = readJson('modeler-kept-data');
    const restore = document.getElementById('modeler-kept-restore');
    const discard = document.getElementById('modeler-kept-discard');
    if (kept && restore) {
      restore.addEventListener('click', () => this.restore(kept));
    }
    if (discard) {
      discard.addEventListener('click', () => this.discard());
    }
  }

  togglePublish() {
    const { publish } = this.buttons;
    if (publish) {
      publish.disabled = !this.saved || this.dirty;
      publish.textContent = this.saved ? t('publish.version', { version: this.saved.version }) : t('publish');
    }
  }

  message(className, text) {
    replace(this.result, el('p', { class: className }, text));
  }

  /** Problems listed under the toolbar (each naming its element: a click selects it) and marked. */
  problems(title, problems) {
    const unplaced = new Set(this.marks.show(problems));
    const list = el('ul', { class: 'ow-errors' });
    problems.forEach((p) => {
      const where = [p.file, p.line ? t('check.line', { line: p.line }).trim() : null].filter(Boolean).join(' ');
      const item = el('li', { class: 'ow-error' });
      if (where) {
        item.appendChild(el('span', { class: 'ow-where' }, where + ' '));
      }
      if (p.element && !unplaced.has(p)) {
        const link = el('a', { href: '#', 'data-element': p.element }, p.element);
        link.addEventListener('click', (event) => {
          event.preventDefault();
          this.select(p.element);
        });
        item.appendChild(link);
        item.appendChild(document.createTextNode('：'));
      } else if (p.element) {
        item.appendChild(el('code', {}, p.element));
        item.appendChild(document.createTextNode('：'));
      }
      item.appendChild(document.createTextNode(p.message || ''));
      list.appendChild(item);
    });
    replace(this.result, el('p', { class: 'ow-errors-title' }, title), list);
  }

  select(id) {
    const element = this.marks.resolve(id);
    if (element) {
      this.modeler.get('selection').select(element);
      this.modeler.get('canvas').scrollToElement(element);
    }
  }

  async xml() {
    return (await this.modeler.saveXML({ format: true })).xml;
  }

  async save(extra) {
    const { save } = this.buttons;
    save.disabled = true;
    this.result.removeAttribute('data-status');
    this.message('ow-busy', t('save.busy'));
    try {
      const r = await postJson(this.saveUrl, { xml: await this.xml(), file_name: this.fileName, ...(extra || {}) });
      if (r.status === 200 || r.status === 201) {
        const drafts = Array.isArray(r.body) ? r.body : [r.body];
        this.marks.clear();
        const list = el('ul', { class: 'ow-ok' });
        drafts.forEach((d) => list.appendChild(el('li', {}, t('save.ok', d))));
        replace(this.result, list);
        const mine = drafts.find((d) => d.key === this.config.key) || drafts[0];
        this.saved = { key: mine.key, version: mine.version };
        this.result.setAttribute('data-version', String(mine.version));
        this.dirty = false;
        const banner = document.getElementById('modeler-kept');
        if (banner) {
          banner.remove();
        }
      } else if (r.status === 422) {
        this.problems(t(this.config.version ? 'save.refused' : 'save.refused.new'), (r.body && r.body.errors) || []);
        // The server kept what was typed (an edit of a stored version): leaving the page loses nothing.
        this.dirty = !this.config.version;
      } else {
        this.message('ow-error', t('save.failed', { status: r.status, reason: (r.body && (r.body.error || r.body.message)) || '' }));
      }
      this.result.setAttribute('data-status', String(r.status));
      this.togglePublish();
      return r;
    } catch (error) {
      this.message('ow-error', t('save.failed', { status: 0, reason: (error && error.message) || error }));
      this.result.setAttribute('data-status', '0');
      return null;
    } finally {
      save.disabled = false;
    }
  }

  async check() {
    const url = this.config.urls.check;
    this.result.removeAttribute('data-check');
    this.message('ow-busy', t('check.busy'));
    const r = await postJson(url, { xml: await this.xml(), file_name: this.fileName }).catch(() => null);
    if (!r || r.status !== 200) {
      const errors = (r && r.body && r.body.errors) || [];
      if (errors.length) {
        this.problems(t('check.problems', { count: errors.length }), errors);
      } else {
        this.message('ow-error', t('check.failed', { status: r ? r.status : 0 }));
      }
      this.result.setAttribute('data-check', 'failed');
      return;
    }
    const problems = r.body.problems || [];
    if (problems.length) {
      this.problems(t('check.problems', { count: problems.length }), problems);
    } else {
      this.marks.clear();
      this.message('ow-ok', t('check.clean'));
    }
    this.result.setAttribute('data-check', problems.length ? 'problems' : 'clean');
  }

  async publish() {
    if (!this.saved) {
      return;
    }
    const { key, version } = this.saved;
    if (!window.confirm(t('publish.confirm', { key, version }))) {
      return; // publishing supersedes the published version: asked first, as on the list's 发布
    }
    this.message('ow-busy', t('publish.busy'));
    const r = await postJson(this.config.urls.publish, { key, version }).catch(() => null);
    if (r && r.status === 200) {
      this.marks.clear();
      this.message('ow-ok', t('publish.ok', { key, version }));
    } else if (r && r.status === 422) {
      this.problems(t('publish.refused', { key, version }), (r.body && r.body.errors) || []);
    } else {
      this.message('ow-error', t('publish.failed', { status: r ? r.status : 0, reason: (r && r.body && r.body.error) || '' }));
    }
    this.result.setAttribute('data-publish', String(r ? r.status : 0));
  }

  async download() {
    const href = URL.createObjectURL(new Blob([await this.xml()], { type: 'application/xml' }));
    const a = el('a', { href, download: this.fileName });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 0);
  }

  async restore(kept) {
    await this.open(kept.xml);
    this.dirty = true;
    this.togglePublish();
    this.problems(t('kept.restored'), kept.problems || []);
    const banner = document.getElementById('modeler-kept');
    if (banner) {
      banner.setAttribute('data-state', 'restored');
      banner.hidden = true;
    }
  }

  async discard() {
    await postJson(this.config.urls.discard, {}).catch(() => null);
    const banner = document.getElementById('modeler-kept');
    if (banner) {
      banner.remove();
    }
  }

  /** 新建表单: link the task to a new form, save the diagram with an empty form, open the form editor. */
  async newForm(element, name) {
    const title = element.businessObject.name || '';
    setProps(this.modeler.get('injector'), element, { formJsonSchemaFilename: name, formUiSchemaFilename: null });
    const r = await this.save({ new_form: name, form_title: title });
    const saved = r && Array.isArray(r.body) ? r.body.find((d) => d.form_editor_url) : null;
    if (saved) {
      window.location.assign(saved.form_editor_url);
    }
  }
}

async function start() {
  const container = document.querySelector('[data-bpmn-modeler]');
  if (!container) {
    return null;
  }
  const page = new Page(container, readJson('modeler-config') || {});
  setStrings(readJson('modeler-strings') || {});
  try {
    if (typeof window.BpmnJS !== 'function') {
      throw new Error('bpmn-js is not loaded (run `make assets`)');
    }
    await page.start();
    return page.modeler;
  } catch (error) {
    const message = (error && error.message) || String(error);
    container.setAttribute('data-error', message);
    if (page.result) {
      page.message('ow-error', t('open.failed', { reason: message }));
    }
    return null;
  }
}

function boot() {
  const ready = start();
  window.OneWindowModeler = { ready, newDiagram };
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', boot);
} else {
  boot();
}
