/*
 * OneWindow process tests (流程测试) pages: admin/templates/onewindow/definitions/tests*.html. Plain ES2017, no
 * build step, no inline handlers (the pages' Content-Security-Policy allows only scripts from this site).
 *
 * - The diagram (#tests-diagram, drawn by diagram.js) shows a verdict's marks: the path it took as
 *   "ow-completed", the element where it left what was expected as "ow-incident" (red). The marks come from
 *   `data-test-marks` and, on the tests tab, from the row whose "在图上查看" is clicked. When drawn the
 *   container gets data-marked="<test>".
 * - The editor: steps added (a user task or a wait), removed and moved; each data field as key/value rows or
 *   JSON (switching converts one into the other); the expected path as a list, filled from the steps on request.
 *   The server reads the fields in the order they stand, so moving rows is all reordering needs.
 * - Forms with data-confirm ask before they are sent (deleting a test).
 */
(function () {
  'use strict';

  var KINDS = ['completed', 'incident'];

  // -- the diagram ------------------------------------------------------------------------------------------

  function parseMarks(text) {
    try {
      var marks = JSON.parse(text || '{}');
      return marks && typeof marks === 'object' ? marks : {};
    } catch (error) {
      return {};
    }
  }

  function showMarks(marks, label) {
    var container = document.getElementById('tests-diagram');
    if (!container || !window.OneWindowDiagram) {
      return Promise.resolve(null);
    }
    return window.OneWindowDiagram.render(container).then(function (viewer) {
      if (!viewer) {
        return null;
      }
      var canvas = viewer.get('canvas');
      var registry = viewer.get('elementRegistry');
      registry.getAll().forEach(function (element) {
        KINDS.forEach(function (kind) {
          canvas.removeMarker(element.id, 'ow-' + kind);
        });
      });
      KINDS.forEach(function (kind) {
        (marks[kind] || []).forEach(function (id) {
          if (registry.get(id)) {
            canvas.addMarker(id, 'ow-' + kind);
          }
        });
      });
      container.setAttribute('data-marked', label || '');
      return viewer;
    });
  }

  function setupDiagram() {
    var container = document.getElementById('tests-diagram');
    if (!container) {
      return;
    }
    var shown = document.querySelector('.ow-test-row.ow-shown');
    showMarks(parseMarks(container.getAttribute('data-test-marks')), shown ? shown.getAttribute('data-test') : 'verdict');
    document.querySelectorAll('[data-show-test]').forEach(function (button) {
      button.addEventListener('click', function () {
        var row = button.closest('.ow-test-row');
        document.querySelectorAll('.ow-test-row.ow-shown').forEach(function (other) {
          other.classList.remove('ow-shown');
        });
        row.classList.add('ow-shown');
        var caption = document.getElementById('tests-diagram-caption');
        if (caption) {
          caption.textContent = row.getAttribute('data-caption') || '';
        }
        showMarks(parseMarks(row.getAttribute('data-marks')), row.getAttribute('data-test'));
        container.scrollIntoView({ behavior: 'smooth', block: 'center' });
      });
    });
  }

  // -- data fields: key/value rows or JSON -----------------------------------------------------------------

  function typedValue(type, text) {
    if (type === 'number') {
      var number = Number(text.trim());
      if (text.trim() === '' || !isFinite(number)) {
        throw new Error(text);
      }
      return number;
    }
    if (type === 'bool') {
      var word = text.trim().toLowerCase();
      if (['true', '是', '1', 'yes'].indexOf(word) >= 0) {
        return true;
      }
      if (['false', '否', '0', 'no'].indexOf(word) >= 0) {
        return false;
      }
      throw new Error(text);
    }
    if (type === 'json') {
      return JSON.parse(text);
    }
    return text;
  }

  function typeOf(value) {
    if (typeof value === 'boolean') {
      return 'bool';
    }
    if (typeof value === 'number') {
      return 'number';
    }
    return typeof value === 'string' ? 'string' : 'json';
  }

  function rowsToObject(box) {
    var data = {};
    box.querySelectorAll('[data-kv-rows] [data-kv-row]').forEach(function (row) {
      var fields = row.querySelectorAll('input, select');
      var key = fields[0].value.trim();
      if (!key) {
        return;
      }
      data[key] = typedValue(fields[1].value, fields[2].value);
    });
    return data;
  }

  function addRow(box, key, type, text) {
    var template = box.querySelector('template[data-kv-template]');
    var holder = document.createElement('tbody');
    holder.innerHTML = template.innerHTML;
    var row = holder.firstElementChild;
    var fields = row.querySelectorAll('input, select');
    fields[0].value = key || '';
    fields[1].value = type || 'text';
    fields[2].value = text || '';
    box.querySelector('[data-kv-rows]').appendChild(row);
    return row;
  }

  function objectToRows(box, data) {
    box.querySelector('[data-kv-rows]').innerHTML = '';
    Object.keys(data).forEach(function (key) {
      var value = data[key];
      var type = typeOf(value);
      if (type === 'string') {
        addRow(box, key, 'text', value);
      } else if (type === 'json') {
        addRow(box, key, 'json', JSON.stringify(value));
      } else {
        addRow(box, key, type, String(value));
      }
    });
  }

  function showMode(box, mode) {
    box.querySelector('[data-kv-part]').hidden = mode !== 'kv';
    box.querySelector('[data-json-part]').hidden = mode !== 'json';
  }

  function setupBox(box) {
    if (box.__owReady) {
      return;
    }
    box.__owReady = true;
    var radios = box.querySelectorAll('input[data-mode]');
    var current = function () {
      var checked = box.querySelector('input[data-mode]:checked');
      return checked ? checked.value : 'kv';
    };
    var mode = current();
    showMode(box, mode);
    radios.forEach(function (radio) {
      radio.addEventListener('change', function () {
        var wanted = current();
        var textarea = box.querySelector('textarea[data-json]');
        try {
          if (wanted === 'json' && mode === 'kv') {
            var data = rowsToObject(box);
            textarea.value = Object.keys(data).length ? JSON.stringify(data, null, 2) : '';
          } else if (wanted === 'kv' && mode === 'json') {
            var parsed = textarea.value.trim() ? JSON.parse(textarea.value) : {};
            if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
              throw new Error('not an object');
            }
            objectToRows(box, parsed);
          }
        } catch (error) {
          // What is there cannot be shown the other way: stay, and let the server say what is wrong.
          box.querySelector('input[data-mode][value="' + mode + '"]').checked = true;
          box.setAttribute('data-convert-error', String(error.message || error));
          return;
        }
        box.removeAttribute('data-convert-error');
        mode = wanted;
        showMode(box, mode);
      });
    });
    box.addEventListener('click', function (event) {
      var target = event.target;
      if (target.closest('[data-kv-add]') && target.closest('[data-databox]') === box) {
        addRow(box).querySelector('input').focus();
      } else if (target.closest('[data-kv-remove]') && target.closest('[data-databox]') === box) {
        target.closest('[data-kv-row]').remove();
      }
    });
  }

  // -- steps ------------------------------------------------------------------------------------------------

  var counter = 0;

  function setupStep(step) {
    var kind = step.querySelector('[data-step-kind]');
    var show = function () {
      step.setAttribute('data-kind', kind.value);
      step.querySelector('[data-task-part]').hidden = kind.value !== 'task';
      step.querySelector('[data-wait-part]').hidden = kind.value !== 'wait';
    };
    kind.addEventListener('change', show);
    show();
    step.querySelectorAll('[data-databox]').forEach(setupBox);
  }

  function addStep(list, kindValue) {
    var template = document.getElementById('test-step-template');
    counter += 1;
    var token = 'n' + Date.now().toString(36).slice(-6) + counter;
    var holder = document.createElement('ol');
    holder.innerHTML = template.innerHTML.split('__S__').join(token);
    var step = holder.firstElementChild;
    list.appendChild(step);
    step.querySelector('[data-step-kind]').value = kindValue;
    setupStep(step);
    var first = step.querySelector(kindValue === 'wait' ? '[data-wait-number]' : '[data-step-task]');
    if (first) {
      first.focus();
    }
    return step;
  }

  function move(item, selector, up) {
    var sibling = up ? item.previousElementSibling : item.nextElementSibling;
    while (sibling && !sibling.matches(selector)) {
      sibling = up ? sibling.previousElementSibling : sibling.nextElementSibling;
    }
    if (!sibling) {
      return;
    }
    if (up) {
      sibling.before(item);
    } else {
      sibling.after(item);
    }
  }

  function setupSteps() {
    var list = document.getElementById('test-steps');
    if (!list) {
      return;
    }
    list.querySelectorAll('[data-step]').forEach(setupStep);
    document.querySelectorAll('[data-add-step]').forEach(function (button) {
      button.addEventListener('click', function () {
        addStep(list, button.getAttribute('data-add-step'));
      });
    });
    list.addEventListener('click', function (event) {
      var step = event.target.closest('[data-step]');
      if (!step) {
        return;
      }
      if (event.target.closest('[data-step-up]')) {
        move(step, '[data-step]', true);
      } else if (event.target.closest('[data-step-down]')) {
        move(step, '[data-step]', false);
      } else if (event.target.closest('[data-step-remove]')) {
        step.remove();
      }
    });
  }

  // -- the expected path ------------------------------------------------------------------------------------

  function addPathItem(list, value) {
    var template = document.getElementById('test-path-template');
    var holder = document.createElement('ol');
    holder.innerHTML = template.innerHTML;
    var item = holder.firstElementChild;
    var select = item.querySelector('select');
    if (value) {
      select.value = value;
    }
    list.appendChild(item);
    return item;
  }

  function setupPath() {
    var list = document.getElementById('test-path');
    if (!list) {
      return;
    }
    var usePath = document.getElementById('test-use-path');
    document.getElementById('test-path-add').addEventListener('click', function () {
      addPathItem(list).querySelector('select').focus();
      usePath.checked = true;
    });
    document.getElementById('test-path-fill').addEventListener('click', function () {
      list.innerHTML = '';
      document.querySelectorAll('#test-steps [data-step]').forEach(function (step) {
        if (step.querySelector('[data-step-kind]').value === 'task') {
          var task = step.querySelector('[data-step-task]').value;
          if (task) {
            addPathItem(list, task);
          }
        }
      });
      usePath.checked = true;
    });
    list.addEventListener('click', function (event) {
      var item = event.target.closest('[data-path-item]');
      if (!item) {
        return;
      }
      if (event.target.closest('[data-path-up]')) {
        move(item, '[data-path-item]', true);
      } else if (event.target.closest('[data-path-down]')) {
        move(item, '[data-path-item]', false);
      } else if (event.target.closest('[data-path-remove]')) {
        item.remove();
      }
    });
  }

  // -- confirmations ----------------------------------------------------------------------------------------

  function setupConfirm() {
    document.querySelectorAll('form[data-confirm]').forEach(function (form) {
      form.addEventListener('submit', function (event) {
        if (!window.confirm(form.getAttribute('data-confirm'))) {
          event.preventDefault();
        }
      });
    });
  }

  function setup() {
    document.querySelectorAll('#test-form > fieldset > [data-databox]').forEach(setupBox);
    setupSteps();
    setupPath();
    setupConfirm();
    setupDiagram();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', setup);
  } else {
    setup();
  }
})();
