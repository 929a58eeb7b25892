/*
 * OneWindow BPMN modeler: edit a diagram and save it as a new draft version. Plain ES2017, no build step,
 * no external requests.
 *
 * Needs the bpmn-js Modeler bundle first (it, too, defines the global `BpmnJS`; do not load the viewer bundle
 * on the same page):
 *   <meta name="csrf-token" content="…">
 *   <link rel="stylesheet" href="/static/vendor/bpmn-js/assets/diagram-js.css">
 *   <link rel="stylesheet" href="/static/vendor/bpmn-js/assets/bpmn-js.css">
 *   <link rel="stylesheet" href="/static/vendor/bpmn-js/assets/bpmn-font/css/bpmn-embedded.css">
 *   <link rel="stylesheet" href="/static/css/diagram.css">
 *   <script src="/static/vendor/bpmn-js/bpmn-modeler.production.min.js"></script>
 *   <script src="/static/js/modeler.js"></script>
 *
 * Markup (the toolbar and the result box are created when the page does not provide them):
 *   <div class="ow-modeler-toolbar">
 *     <button type="button" id="modeler-save">保存为新草稿 / Save as new draft</button>
 *     <a id="modeler-download" href="#">下载 XML / Download XML</a>
 *   </div>
 *   <div data-bpmn-modeler data-xml-url="…" data-save-url="…" data-process-key="…" data-file-name="…"></div>
 *   <div id="modeler-result" aria-live="polite"></div>
 *
 * data-xml-url: initial BPMN XML (empty → a new diagram whose process id is data-process-key).
 * Save POSTs {"xml", "file_name"} as JSON to data-save-url with the X-CSRFToken header; 200/201 answers
 * {"key","version","status"} (or a list of them), 422 answers {"errors": [{"file","line","element","message"}]}.
 * The container gets data-ready="true" once the diagram is imported (data-error="…" if that fails);
 * #modeler-result gets data-status="<HTTP status>" after each save.
 */
(function () {
  'use strict';

  var NCNAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

  function newDiagram(processKey) {
    var key = NCNAME.test(processKey || '') ? processKey : 'Process_1';
    return [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"',
      '    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"',
      '    xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"',
      '    xmlns:di="http://www.omg.org/spec/DD/20100524/DI"',
      '    id="Definitions_' + key + '" targetNamespace="http://bpmn.io/schema/bpmn">',
      '  <bpmn:process id="' + key + '" isExecutable="true">',
      '    <bpmn:startEvent id="Start_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>',
      '    <bpmn:userTask id="Task_1" name="受理">',
      '      <bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>',
      '    </bpmn:userTask>',
      '    <bpmn:endEvent id="End_1"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>',
      '    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_1" targetRef="Task_1" />',
      '    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_1" targetRef="End_1" />',
      '  </bpmn:process>',
      '  <bpmndi:BPMNDiagram id="Diagram_1">',
      '    <bpmndi:BPMNPlane id="Plane_1" bpmnElement="' + key + '">',
      '      <bpmndi:BPMNShape id="Start_1_di" bpmnElement="Start_1">',
      '        <dc:Bounds x="152" y="102" width="36" height="36" />',
      '      </bpmndi:BPMNShape>',
      '      <bpmndi:BPMNShape id="Task_1_di" bpmnElement="Task_1">',
      '        <dc:Bounds x="240" y="80" width="100" height="80" />',
      '      </bpmndi:BPMNShape>',
      '      <bpmndi:BPMNShape id="End_1_di" bpmnElement="End_1">',
      '        <dc:Bounds x="392" y="102" width="36" height="36" />',
      '      </bpmndi:BPMNShape>',
      '      <bpmndi:BPMNEdge id="Flow_1_di" bpmnElement="Flow_1">',
      '        <di:waypoint x="188" y="120" /><di:waypoint x="240" y="120" />',
      '      </bpmndi:BPMNEdge>',
      '      <bpmndi:BPMNEdge id="Flow_2_di" bpmnElement="Flow_2">',
      '        <di:waypoint x="340" y="120" /><di:waypoint x="392" y="120" />',
      '      </bpmndi:BPMNEdge>',
      '    </bpmndi:BPMNPlane>',
      '  </bpmndi:BPMNDiagram>',
      '</bpmn:definitions>',
      ''
    ].join('\n');
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') || '' : '';
  }

  function fileNameFor(container) {
    var explicit = container.getAttribute('data-file-name');
    if (explicit) {
      return explicit;
    }
    var url = container.getAttribute('data-xml-url') || '';
    var last = url.split('?')[0].split('/').pop();
    if (/\.bpmn$/i.test(last)) {
      return decodeURIComponent(last);
    }
    return (container.getAttribute('data-process-key') || 'process') + '.bpmn';
  }

  function element(tag, attrs, text) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      el.setAttribute(name, attrs[name]);
    });
    if (text !== undefined && text !== null) {
      el.textContent = String(text);
    }
    return el;
  }

  // The controls the page may already have; missing ones are created around the container.
  function controls(container) {
    var save = document.getElementById('modeler-save');
    var download = document.getElementById('modeler-download');
    var result = document.getElementById('modeler-result');
    if (!save || !download) {
      var toolbar = element('div', { class: 'ow-modeler-toolbar' });
      if (!save) {
        save = element('button', { type: 'button', id: 'modeler-save' }, '保存为新草稿 / Save as new draft');
        toolbar.appendChild(save);
      }
      if (!download) {
        download = element('a', { id: 'modeler-download', href: '#' }, '下载 XML / Download XML');
        toolbar.appendChild(download);
      }
      container.parentNode.insertBefore(toolbar, container);
    }
    if (!result) {
      result = element('div', { id: 'modeler-result', 'aria-live': 'polite' });
      container.parentNode.insertBefore(result, container.nextSibling);
    }
    return { save: save, download: download, result: result };
  }

  function replaceContent(target) {
    while (target.firstChild) {
      target.removeChild(target.firstChild);
    }
    Array.prototype.slice.call(arguments, 1).forEach(function (child) {
      target.appendChild(child);
    });
  }

  function showMessage(result, className, text) {
    replaceContent(result, element('p', { class: className }, text));
  }

  function showSaved(result, body) {
    var drafts = Array.isArray(body) ? body : [body];
    var list = element('ul', { class: 'ow-ok' });
    drafts.forEach(function (d) {
      d = d || {};
      list.appendChild(
        element('li', {}, '已保存草稿 / Saved draft: ' + d.key + ' v' + d.version + ' (' + d.status + ')')
      );
    });
    replaceContent(result, list);
  }

  function showErrors(result, body) {
    var errors = (body && Array.isArray(body.errors) && body.errors) || [];
    var list = element('ul', { class: 'ow-errors' });
    errors.forEach(function (e) {
      e = e || {};
      var where = [e.file, e.line ? 'line ' + e.line : null, e.element].filter(Boolean).join(', ');
      list.appendChild(element('li', {}, (where ? where + ': ' : '') + (e.message || '')));
    });
    if (!errors.length) {
      list.appendChild(element('li', {}, (body && body.error) || '校验失败 / Validation failed'));
    }
    replaceContent(result, element('p', { class: 'ow-errors-title' }, '未保存，请修改 / Not saved:'), list);
  }

  async function readJson(response) {
    try {
      return await response.json();
    } catch (e) {
      return null;
    }
  }

  async function save(modeler, container, ui) {
    var url = container.getAttribute('data-save-url');
    ui.save.disabled = true;
    ui.result.removeAttribute('data-status');
    showMessage(ui.result, 'ow-busy', '正在保存… / Saving…');
    try {
      if (!url) {
        throw new Error('data-save-url is missing');
      }
      var saved = await modeler.saveXML({ format: true });
      var response = await fetch(url, {
        method: 'POST',
        credentials: 'same-origin',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
          'X-CSRFToken': csrfToken()
        },
        body: JSON.stringify({ xml: saved.xml, file_name: fileNameFor(container) })
      });
      var body = await readJson(response);
      if (response.status === 200 || response.status === 201) {
        showSaved(ui.result, body);
        container.__owDirty = false;
      } else if (response.status === 422) {
        showErrors(ui.result, body);
      } else {
        var reason = (body && body.error) || response.statusText || '';
        showMessage(ui.result, 'ow-error', '保存失败 / Save failed: HTTP ' + response.status + ' ' + reason);
      }
      ui.result.setAttribute('data-status', String(response.status));
    } catch (error) {
      showMessage(ui.result, 'ow-error', '保存失败 / Save failed: ' + ((error && error.message) || error));
      ui.result.setAttribute('data-status', '0');
    } finally {
      ui.save.disabled = false;
    }
  }

  async function download(modeler, container) {
    var saved = await modeler.saveXML({ format: true });
    var href = URL.createObjectURL(new Blob([saved.xml], { type: 'application/xml' }));
    var a = element('a', { href: href, download: fileNameFor(container) });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () {
      URL.revokeObjectURL(href);
    }, 0);
  }

  async function init(container) {
    var ui = controls(container);
    ui.save.disabled = true;
    try {
      if (typeof window.BpmnJS !== 'function') {
        throw new Error('bpmn-js is not loaded (run `make assets`)');
      }
      var xmlUrl = container.getAttribute('data-xml-url');
      var xml;
      if (xmlUrl) {
        var response = await fetch(xmlUrl, { credentials: 'same-origin' });
        if (!response.ok) {
          throw new Error('HTTP ' + response.status + ' (' + xmlUrl + ')');
        }
        xml = await response.text();
      } else {
        xml = newDiagram(container.getAttribute('data-process-key'));
      }
      var modeler = new window.BpmnJS({ container: container });
      var imported = await modeler.importXML(xml);
      if (imported.warnings && imported.warnings.length) {
        console.warn('bpmn-js import warnings', imported.warnings);
      }
      modeler.get('canvas').zoom('fit-viewport');
      modeler.on('commandStack.changed', function () {
        container.__owDirty = true;
      });
      ui.save.addEventListener('click', function () {
        save(modeler, container, ui);
      });
      ui.download.addEventListener('click', function (event) {
        event.preventDefault();
        download(modeler, container).catch(function (error) {
          showMessage(ui.result, 'ow-error', error.message || String(error));
        });
      });
      window.addEventListener('beforeunload', function (event) {
        if (container.__owDirty) {
          event.preventDefault();
          event.returnValue = '';
        }
      });
      container.__owModeler = modeler;
      ui.save.disabled = false;
      container.setAttribute('data-ready', 'true');
      return modeler;
    } catch (error) {
      var message = (error && error.message) || String(error);
      container.setAttribute('data-error', message);
      showMessage(ui.result, 'ow-error', '流程图无法打开 / Diagram could not be opened: ' + message);
      return null;
    }
  }

  function start() {
    var container = document.querySelector('[data-bpmn-modeler]');
    if (container) {
      window.OneWindowModeler = { ready: init(container), newDiagram: newDiagram };
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
