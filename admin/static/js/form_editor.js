/*
 * OneWindow form editor: the live preview of a JSON Schema + uiSchema as the clerk will see it, and the check
 * of sample input typed into it. Plain ES2017; the form builder (js/formbuilder/) edits the same textareas.
 *
 * Markup: textareas #schema-text and #ui-text (marked data-form-editor-input), an input #form-name, and
 *   <form id="preview-form"><div id="form-preview" data-preview-url="…" data-check-url="…"></div></form>
 *   <div id="preview-result"></div>
 * On input (debounced) the texts are POSTed as JSON {"schema", "ui", "name", "key", "version", "sample"} with
 * the X-CSRFToken header (from <meta name="csrf-token">); `sample` is what was typed into the preview, kept
 * across edits. The server answers an HTML fragment it rendered and escaped itself: the fields (200) or the
 * list of problems (422). The pane gets data-state="ok" | "error" | "busy"; an answer to an older request
 * than the newest one sent is dropped. Submitting the preview form checks the sample input on the server as
 * a clerk's submission is checked: the fields come back with their messages, #preview-result says the
 * outcome (data-check="passed" | "failed") and shows the data as it would be stored.
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

  function strings() {
    var el = document.getElementById('formbuilder-strings');
    try {
      return el ? JSON.parse(el.textContent || '{}') : {};
    } catch (e) {
      return {};
    }
  }

  function config() {
    var el = document.getElementById('formbuilder-config');
    try {
      return el ? JSON.parse(el.textContent || '{}') : {};
    } catch (e) {
      return {};
    }
  }

  function start() {
    var pane = document.getElementById('form-preview');
    var inputs = document.querySelectorAll('[data-form-editor-input]');
    if (!pane || !inputs.length) {
      return;
    }
    var url = pane.getAttribute('data-preview-url');
    var checkUrl = pane.getAttribute('data-check-url');
    var sampleForm = document.getElementById('preview-form');
    var result = document.getElementById('preview-result');
    var text = strings();
    var cfg = config();
    var timer = null;
    var sent = 0;

    function say(key, fallback) {
      return Object.prototype.hasOwnProperty.call(text, key) ? text[key] : fallback;
    }

    function sample() {
      if (!sampleForm) {
        return null;
      }
      var found = {};
      var any = false;
      new FormData(sampleForm).forEach(function (v, k) {
        if (typeof v === 'string' && k.indexOf('__') !== 0) {
          (found[k] = found[k] || []).push(v);
          any = any || v !== '';
        }
      });
      return any ? found : null;
    }

    function show(html, state) {
      pane.innerHTML = html; // server-rendered, every user string escaped there
      pane.setAttribute('data-state', state);
      if (window.owFormSync) {
        window.owFormSync(); // conditional groups as the clerk's page shows them
      }
    }

    function clearResult() {
      if (result) {
        result.textContent = '';
        result.removeAttribute('data-check');
      }
    }

    async function refresh(keepSample) {
      var mine = ++sent;
      pane.setAttribute('data-state', 'busy');
      var body = { schema: value('schema-text'), ui: value('ui-text'), name: value('form-name'), key: cfg.key, version: cfg.version };
      var typed = keepSample === false ? null : sample();
      if (typed) {
        body.sample = typed;
      }
      try {
        var response = await fetch(url, {
          method: 'POST',
          credentials: 'same-origin',
          headers: {
            'Content-Type': 'application/json',
            Accept: 'text/html',
            'X-CSRFToken': csrfToken()
          },
          body: JSON.stringify(body)
        });
        var html = await response.text();
        if (mine !== sent) {
          return;
        }
        if (response.status === 200 || response.status === 422) {
          show(html, response.status === 200 ? 'ok' : 'error');
        } else {
          pane.textContent = say('preview.failed', '预览失败 / Preview failed') + ': HTTP ' + response.status;
          pane.setAttribute('data-state', 'error');
        }
      } catch (error) {
        if (mine === sent) {
          pane.textContent = say('preview.failed', '预览失败 / Preview failed') + ': ' + ((error && error.message) || error);
          pane.setAttribute('data-state', 'error');
        }
      }
    }

    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(refresh, DELAY_MS);
    }

    function report(body) {
      if (!result) {
        return;
      }
      result.textContent = '';
      var ok = body && body.ok;
      result.setAttribute('data-check', ok ? 'passed' : 'failed');
      var box = document.createElement('div');
      box.className = 'alert ' + (ok ? 'alert-success' : 'alert-danger');
      box.setAttribute('role', ok ? 'status' : 'alert');
      var errors = (body && body.errors) || [];
      var head = document.createElement('strong');
      head.textContent = ok ? say('check.passed', '示例数据通过校验') : say('check.failed', '示例数据未通过校验：{n} 个问题').replace('{n}', String(errors.length));
      box.appendChild(head);
      if (errors.length) {
        var list = document.createElement('ul');
        errors.forEach(function (e) {
          var li = document.createElement('li');
          li.textContent = e.message;
          list.appendChild(li);
        });
        box.appendChild(list);
      }
      result.appendChild(box);
      if (body && body.data) {
        var details = document.createElement('details');
        var summary = document.createElement('summary');
        summary.textContent = say('check.data', '将保存的数据');
        var pre = document.createElement('pre');
        pre.className = 'ow-sample-data';
        pre.textContent = JSON.stringify(body.data, null, 2);
        details.appendChild(summary);
        details.appendChild(pre);
        result.appendChild(details);
      }
    }

    async function check(event) {
      event.preventDefault();
      if (!checkUrl) {
        return;
      }
      var data = new FormData();
      new FormData(sampleForm).forEach(function (v, k) {
        if (typeof v === 'string') {
          data.append(k, v);
        }
      });
      data.append('__schema', value('schema-text'));
      data.append('__ui', value('ui-text'));
      data.append('__name', value('form-name'));
      data.append('__key', cfg.key || '');
      data.append('__version', cfg.version || '');
      var mine = ++sent;
      pane.setAttribute('data-state', 'busy');
      try {
        var response = await fetch(checkUrl, {
          method: 'POST',
          credentials: 'same-origin',
          headers: { Accept: 'application/json', 'X-CSRFToken': csrfToken() },
          body: data
        });
        var body = await response.json();
        if (mine !== sent) {
          return;
        }
        show(body.html || '', response.status === 200 ? 'ok' : 'error');
        if (response.status === 200) {
          report(body);
        } else {
          clearResult();
        }
      } catch (error) {
        if (mine === sent) {
          pane.setAttribute('data-state', 'error');
          if (result) {
            result.textContent = say('check.error', '校验失败') + ': ' + ((error && error.message) || error);
          }
        }
      }
    }

    Array.prototype.forEach.call(inputs, function (input) {
      input.addEventListener('input', schedule);
    });
    if (sampleForm) {
      sampleForm.addEventListener('submit', check);
      var reset = document.getElementById('preview-reset');
      if (reset) {
        reset.addEventListener('click', function () {
          clearResult();
          refresh(false);
        });
      }
    }
    window.OneWindowFormEditor = { refresh: refresh, schedule: schedule };
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
