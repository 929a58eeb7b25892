/*
 * OneWindow form editor: live preview of a JSON Schema + uiSchema as the clerk will see it. Plain ES2017.
 *
 * Markup: textareas #schema-text and #ui-text (marked data-form-editor-input), an input #form-name, and
 *   <div id="form-preview" data-preview-url="…"></div>
 * On input (debounced) the texts are POSTed as JSON {"schema", "ui", "name"} with the X-CSRFToken header (from
 * <meta name="csrf-token">). The server answers an HTML fragment it rendered and escaped itself: the fields
 * (200) or the list of problems (422). The pane gets data-state="ok" | "error" | "busy"; an answer to an older
 * request than the newest one sent is dropped.
 */
(function () {
  'use strict';

  var DELAY_MS = 300;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') || '' : '';
  }

  function value(id) {
    var el = document.getElementById(id);
    return el ? el.value : '';
  }

  function start() {
    var pane = document.getElementById('form-preview');
    var inputs = document.querySelectorAll('[data-form-editor-input]');
    if (!pane || !inputs.length) {
      return;
    }
    var url = pane.getAttribute('data-preview-url');
    var timer = null;
    var sent = 0;

    async function refresh() {
      var mine = ++sent;
      pane.setAttribute('data-state', 'busy');
      try {
        var response = await fetch(url, {
          method: 'POST',
          credentials: 'same-origin',
          headers: {
            'Content-Type': 'application/json',
            Accept: 'text/html',
            'X-CSRFToken': csrfToken()
          },
          body: JSON.stringify({ schema: value('schema-text'), ui: value('ui-text'), name: value('form-name') })
        });
        var html = await response.text();
        if (mine !== sent) {
          return;
        }
        if (response.status === 200 || response.status === 422) {
          pane.innerHTML = html; // server-rendered, every user string escaped there
          pane.setAttribute('data-state', response.status === 200 ? 'ok' : 'error');
        } else {
          pane.textContent = '预览失败 / Preview failed: HTTP ' + response.status;
          pane.setAttribute('data-state', 'error');
        }
      } catch (error) {
        if (mine === sent) {
          pane.textContent = '预览失败 / Preview failed: ' + ((error && error.message) || error);
          pane.setAttribute('data-state', 'error');
        }
      }
    }

    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(refresh, DELAY_MS);
    }

    Array.prototype.forEach.call(inputs, function (input) {
      input.addEventListener('input', schedule);
    });
    window.OneWindowFormEditor = { refresh: refresh };
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
