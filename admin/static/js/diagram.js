/*
 * OneWindow read-only BPMN diagrams with progress markers. Plain ES2017, no build step, no external requests.
 *
 * Needs the bpmn-js NavigatedViewer bundle first (it defines the global `BpmnJS`):
 *   <link rel="stylesheet" href="/static/vendor/bpmn-js/assets/diagram-js.css">
 *   <link rel="stylesheet" href="/static/vendor/bpmn-js/assets/bpmn-js.css">
 *   <link rel="stylesheet" href="/static/css/diagram.css">
 *   <script src="/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js"></script>
 *   <script src="/static/js/diagram.js"></script>
 *
 * Markup:
 *   <div class="ow-diagram" data-bpmn-viewer data-xml-url="…" data-marks-url="…"></div>
 *
 * data-xml-url returns the BPMN XML as text; the optional data-marks-url returns JSON
 * {"completed": [ids], "current": [ids], "pending": [ids], "incident": [ids]}; each id gets the canvas
 * marker "ow-<kind>". When done the container gets data-rendered="true"; on failure data-error="<message>"
 * and the message is shown inside it.
 */
(function () {
  'use strict';

  var KINDS = ['completed', 'current', 'pending', 'incident'];

  async function fetchOk(url, accept) {
    var response = await fetch(url, { credentials: 'same-origin', headers: { Accept: accept } });
    if (!response.ok) {
      throw new Error('HTTP ' + response.status + ' ' + (response.statusText || '') + ' (' + url + ')');
    }
    return response;
  }

  function showError(container, error) {
    var message = (error && error.message) || String(error);
    container.removeAttribute('data-rendered');
    container.setAttribute('data-error', message);
    var box = container.querySelector('.ow-diagram-error');
    if (!box) {
      box = document.createElement('div');
      box.className = 'ow-diagram-error';
      box.setAttribute('role', 'alert');
      container.appendChild(box);
    }
    box.textContent = '流程图无法显示 / Diagram could not be shown: ' + message;
  }

  function applyMarks(viewer, marks) {
    var canvas = viewer.get('canvas');
    var registry = viewer.get('elementRegistry');
    KINDS.forEach(function (kind) {
      var ids = (marks && marks[kind]) || [];
      ids.forEach(function (id) {
        // Canvas#addMarker throws on an unknown id; a mark for an element not in this diagram is ignored.
        if (registry.get(id)) {
          canvas.addMarker(id, 'ow-' + kind);
        }
      });
    });
  }

  // Renders one container once; calling it again returns the same promise (of the viewer, or null on error).
  function render(container) {
    if (!container.__owRender) {
      container.__owRender = renderOnce(container).then(function (viewer) {
        if (!viewer) {
          container.__owRender = null; // failed: a later call may retry
        }
        return viewer;
      });
    }
    return container.__owRender;
  }

  async function renderOnce(container) {
    var viewer = null;
    try {
      if (typeof window.BpmnJS !== 'function') {
        throw new Error('bpmn-js is not loaded (run `make assets`)');
      }
      var xmlUrl = container.getAttribute('data-xml-url');
      if (!xmlUrl) {
        throw new Error('data-xml-url is missing');
      }
      var marksUrl = container.getAttribute('data-marks-url');
      var requests = [fetchOk(xmlUrl, 'application/xml, text/xml, text/plain').then(function (r) {
        return r.text();
      })];
      if (marksUrl) {
        requests.push(fetchOk(marksUrl, 'application/json').then(function (r) {
          return r.json();
        }));
      }
      var results = await Promise.all(requests);

      viewer = new window.BpmnJS({ container: container });
      await viewer.importXML(results[0]);
      viewer.get('canvas').zoom('fit-viewport');
      if (results.length > 1) {
        applyMarks(viewer, results[1]);
      }
      var stale = container.querySelector('.ow-diagram-error');
      if (stale) {
        stale.remove();
      }
      container.removeAttribute('data-error');
      container.setAttribute('data-rendered', 'true');
      return viewer;
    } catch (error) {
      if (viewer) {
        viewer.destroy();
      }
      showError(container, error);
      return null;
    }
  }

  function renderAll(root) {
    var containers = (root || document).querySelectorAll('[data-bpmn-viewer]');
    return Promise.all(Array.prototype.map.call(containers, render));
  }

  window.OneWindowDiagram = { render: render, renderAll: renderAll };

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () {
      renderAll();
    });
  } else {
    renderAll();
  }
})();
