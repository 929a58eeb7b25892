/* The selected field's properties: label, name, required, default, placeholder, help, limits, pattern, the
   options of a choice, read-only, prefill from the case, and the condition under which it is shown. Every
   control writes the field's schema / uiSchema at once (builder.commit), which rewrites the JSON and the
   preview. Controls that change which other controls apply redraw the panel. */

import { append, debounce, h } from './dom.js';
import { t } from './i18n.js';
import { CHOICE_KINDS, CONTAINERS, NON_DATA, TEXT_KINDS, choicesOf } from './kinds.js';
import { nameProblem, proposeName, uniqueName } from './naming.js';

const PREFILL_PATH = /^[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,7}$/;
const PREFILL_KINDS = new Set([...TEXT_KINDS, 'number', 'money', 'date', 'select', 'radio', 'yesno']);
const DEFAULT_KINDS = new Set([...TEXT_KINDS, 'number', 'money', 'date', 'select', 'radio', 'yesno']);
const PLACEHOLDER_KINDS = new Set([...TEXT_KINDS, 'number', 'money']);

function setKey(obj, key, value) {
  if (value === undefined || value === '' || value === null || (typeof value === 'number' && !Number.isFinite(value))) {
    delete obj[key];
  } else {
    obj[key] = value;
  }
}

function group(id, label, control, help) {
  return h(
    'div',
    { class: 'form-group form-group-sm' },
    h('label', { class: 'control-label', for: id }, label),
    control,
    help ? h('p', { class: 'help-block' }, help) : null
  );
}

function textInput(id, value, onInput, extra) {
  return h('input', { type: 'text', class: 'form-control input-sm', id, value: value === undefined || value === null ? '' : String(value), oninput: (e) => onInput(e.target.value), ...(extra || {}) });
}

function numberInput(id, value, onInput, extra) {
  return h('input', {
    type: 'number',
    class: 'form-control input-sm',
    id,
    step: 'any',
    value: value === undefined || value === null ? '' : String(value),
    oninput: (e) => onInput(e.target.value.trim() === '' ? undefined : Number(e.target.value)),
    ...(extra || {}),
  });
}

function checkbox(id, checked, label, onChange) {
  return h(
    'div',
    { class: 'checkbox' },
    h('label', { for: id }, h('input', { type: 'checkbox', id, checked: !!checked, onchange: (e) => onChange(e.target.checked) }), ' ', label)
  );
}

function selectInput(id, value, options, onChange) {
  return h(
    'select',
    { class: 'form-control input-sm', id, value: value, onchange: (e) => onChange(e.target.value) },
    options.map((o) => h('option', { value: o.value }, o.label))
  );
}

/** Where a choice field's values live: its enum, or its items' enum for a multiple choice. */
function enumHolder(field) {
  if (field.kind === 'checkboxes') {
    field.schema.items = field.schema.items || {};
    return { schema: field.schema.items, ui: field.ui.items || null };
  }
  return { schema: field.schema, ui: field.ui };
}

export function renderInspector(b, panel, found) {
  if (!found) {
    panel.append(h('div', { class: 'fb-heading' }, t('inspector')), h('p', { class: 'text-muted fb-none' }, t('inspector.none')));
    return;
  }
  const { field: f, parent } = found;
  const s = f.schema;
  const top = !parent;
  append(panel, [
    h('div', { class: 'fb-heading' }, t('inspector.of', { kind: t('kind.' + f.kind) })),
    f.kind === 'raw' ? h('p', { class: 'alert alert-info fb-raw' }, t('raw.hint')) : null,
  ]);
  const redraw = () => b.commit(true);
  const change = () => b.commit(false);

  // -- label and name --
  if (f.kind !== 'note') {
    const propose = debounce(async () => {
      if (!f.autoName) {
        return;
      }
      const base = await proposeName(b.config.urls.field_name, s.title || '');
      const name = uniqueName(base, b.siblingsOf(f).map((x) => x.name));
      if (f.autoName && name !== f.name) {
        b.rename(f, name);
        const input = document.getElementById('fb-prop-name');
        if (input && document.activeElement !== input) {
          input.value = name;
        }
      }
    }, 250);
    panel.append(
      group(
        'fb-prop-title',
        t('prop.title'),
        textInput('fb-prop-title', s.title, (v) => {
          setKey(s, 'title', v);
          change();
          propose();
        })
      )
    );
  }
  const nameError = h('p', { class: 'help-block fb-error', id: 'fb-prop-name-error', 'aria-live': 'polite' });
  panel.append(
    h(
      'div',
      { class: 'form-group form-group-sm' },
      h('label', { class: 'control-label', for: 'fb-prop-name' }, t('prop.name')),
      textInput(
        'fb-prop-name',
        f.name,
        (v) => {
          const problem = nameProblem(v.trim(), b.siblingsOf(f).map((x) => x.name));
          nameError.textContent = problem ? t(problem) : '';
          nameError.parentElement.classList.toggle('has-error', !!problem);
          if (!problem) {
            f.autoName = false;
            b.rename(f, v.trim());
          }
        },
        { spellcheck: 'false', autocomplete: 'off', 'aria-describedby': 'fb-prop-name-help fb-prop-name-error' }
      ),
      h('p', { class: 'help-block', id: 'fb-prop-name-help' }, t(f.autoName ? 'prop.name.auto' : 'prop.name.help')),
      nameError
    )
  );

  if (f.kind === 'note') {
    panel.append(
      group('fb-prop-title', t('prop.noteTitle'), textInput('fb-prop-title', s.title, (v) => (setKey(s, 'title', v), change()))),
      group(
        'fb-prop-description',
        t('prop.noteText'),
        h('textarea', { class: 'form-control input-sm', rows: 4, id: 'fb-prop-description', value: s.description || '', oninput: (e) => (setKey(s, 'description', e.target.value), change()) })
      )
    );
  }
  if (f.kind === 'heading') {
    panel.append(
      group('fb-prop-description', t('prop.subtitle'), textInput('fb-prop-description', s.description, (v) => (setKey(s, 'description', v), change())))
    );
  }
  if (NON_DATA.has(f.kind)) {
    if (top) {
      panel.append(conditionControl(b, f, redraw));
    }
    return;
  }
  if (f.kind === 'shared') {
    panel.append(h('p', { class: 'help-block' }, t('shared.hint', { file: s['x-shared'] || s.$ref || '' })));
  }

  // -- required, read-only --
  if (!NON_DATA.has(f.kind)) {
    panel.append(
      checkbox('fb-prop-required', f.required, f.cond ? t('prop.required.when') : t('prop.required'), (v) => {
        f.required = v;
        change();
      })
    );
  }
  if (f.kind !== 'shared' && f.kind !== 'raw') {
    panel.append(
      checkbox('fb-prop-readonly', f.ui['ui:readonly'], t('prop.readonly'), (v) => {
        setKey(f.ui, 'ui:readonly', v || undefined);
        redraw();
      })
    );
  }

  // -- kind-specific --
  if (f.kind === 'materials') {
    const upload = f.ui['ui:widget'] === 'file';
    const mode = (value) => {
      if (value === 'file') {
        f.schema = { type: 'string', title: s.title };
        f.ui['ui:widget'] = 'file';
      } else {
        f.schema = { type: 'array', title: s.title, items: { type: 'string', 'x-catalog': 'materials' }, uniqueItems: true };
        delete f.ui['ui:widget'];
      }
      redraw();
    };
    const materials = b.config.materials || [];
    panel.append(
      group(
        'fb-prop-materials-mode',
        t('materials.mode'),
        selectInput(
          'fb-prop-materials-mode',
          upload ? 'file' : 'list',
          [
            { value: 'list', label: t('materials.list') },
            { value: 'file', label: t('materials.file') },
          ],
          mode
        ),
        upload ? t('materials.file.hint') : materials.length ? t('materials.list.hint', { names: materials.join('、') }) : t('materials.list.none')
      )
    );
  }
  if (PLACEHOLDER_KINDS.has(f.kind)) {
    panel.append(
      group('fb-prop-placeholder', t('prop.placeholder'), textInput('fb-prop-placeholder', f.ui['ui:placeholder'], (v) => (setKey(f.ui, 'ui:placeholder', v), change())))
    );
  }
  if (DEFAULT_KINDS.has(f.kind)) {
    panel.append(defaultControl(f, change));
  }
  if (f.kind === 'number' || f.kind === 'money') {
    panel.append(
      h(
        'div',
        { class: 'fb-pair' },
        group('fb-prop-minimum', t('prop.minimum'), numberInput('fb-prop-minimum', s.minimum, (v) => (setKey(s, 'minimum', v), change()))),
        group('fb-prop-maximum', t('prop.maximum'), numberInput('fb-prop-maximum', s.maximum, (v) => (setKey(s, 'maximum', v), change())))
      )
    );
  }
  if (f.kind === 'number') {
    panel.append(
      checkbox('fb-prop-integer', s.type === 'integer', t('prop.integer'), (v) => {
        s.type = v ? 'integer' : 'number';
        change();
      })
    );
  }
  if (f.kind === 'text' || f.kind === 'textarea') {
    panel.append(
      h(
        'div',
        { class: 'fb-pair' },
        group('fb-prop-minLength', t('prop.minLength'), numberInput('fb-prop-minLength', s.minLength, (v) => (setKey(s, 'minLength', v === undefined ? v : Math.max(0, Math.floor(v))), change()), { min: 0, step: 1 })),
        group('fb-prop-maxLength', t('prop.maxLength'), numberInput('fb-prop-maxLength', s.maxLength, (v) => (setKey(s, 'maxLength', v === undefined ? v : Math.max(0, Math.floor(v))), change()), { min: 0, step: 1 }))
      )
    );
  }
  if (f.kind === 'text') {
    const error = h('p', { class: 'help-block fb-error', id: 'fb-prop-pattern-error' });
    panel.append(
      group(
        'fb-prop-pattern',
        t('prop.pattern'),
        textInput(
          'fb-prop-pattern',
          s.pattern,
          (v) => {
            let problem = '';
            try {
              new RegExp(v, 'u');
            } catch (e) {
              problem = t('prop.pattern.invalid', { error: e.message });
            }
            error.textContent = problem;
            if (!problem) {
              setKey(s, 'pattern', v);
              change();
            }
          },
          { spellcheck: 'false', 'aria-describedby': 'fb-prop-pattern-error' }
        ),
        t('prop.pattern.help')
      ),
      error
    );
  }
  if ((CHOICE_KINDS.has(f.kind) && f.kind !== 'yesno') || f.kind === 'checkboxes') {
    panel.append(optionEditor(b, f, redraw, change));
  }
  if (f.kind === 'checkboxes' || f.kind === 'table' || (f.kind === 'materials' && f.ui['ui:widget'] !== 'file')) {
    panel.append(
      h(
        'div',
        { class: 'fb-pair' },
        group('fb-prop-minItems', t('prop.minItems'), numberInput('fb-prop-minItems', s.minItems, (v) => (setKey(s, 'minItems', v === undefined ? v : Math.max(0, Math.floor(v))), change()), { min: 0, step: 1 })),
        group('fb-prop-maxItems', t('prop.maxItems'), numberInput('fb-prop-maxItems', s.maxItems, (v) => (setKey(s, 'maxItems', v === undefined ? v : Math.max(0, Math.floor(v))), change()), { min: 0, step: 1 }))
      )
    );
  }
  if (CONTAINERS.has(f.kind)) {
    panel.append(h('p', { class: 'help-block' }, t(f.kind === 'table' ? 'table.hint' : 'group.hint')));
  }
  if (!NON_DATA.has(f.kind)) {
    panel.append(
      group('fb-prop-help', t('prop.help'), textInput('fb-prop-help', f.ui['ui:help'], (v) => (setKey(f.ui, 'ui:help', v), change())))
    );
  }
  if (top && PREFILL_KINDS.has(f.kind)) {
    panel.append(prefillControl(b, f, redraw, change));
  }
  if (top) {
    panel.append(conditionControl(b, f, redraw));
  }
}

function defaultControl(f, change) {
  const s = f.schema;
  const id = 'fb-prop-default';
  let control;
  if (f.kind === 'yesno') {
    const value = s.default === true ? 'true' : s.default === false ? 'false' : '';
    control = selectInput(
      id,
      value,
      [
        { value: '', label: t('default.none') },
        { value: 'true', label: t('yes') },
        { value: 'false', label: t('no') },
      ],
      (v) => (setKey(s, 'default', v === '' ? undefined : v === 'true'), change())
    );
  } else if (f.kind === 'select' || f.kind === 'radio') {
    const options = [{ value: '', label: t('default.none') }].concat(choicesOf(f).map((c) => ({ value: String(c.value), label: c.label })));
    control = selectInput(id, s.default === undefined ? '' : String(s.default), options, (v) => (setKey(s, 'default', v), change()));
  } else if (f.kind === 'number' || f.kind === 'money') {
    control = numberInput(id, s.default, (v) => (setKey(s, 'default', v), change()));
  } else if (f.kind === 'date') {
    control = h('input', { type: 'date', class: 'form-control input-sm', id, value: s.default || '', oninput: (e) => (setKey(s, 'default', e.target.value), change()) });
  } else {
    control = textInput(id, s.default, (v) => (setKey(s, 'default', v), change()));
  }
  return group(id, t('prop.default'), control);
}

function optionEditor(b, f, redraw, change) {
  const holder = enumHolder(f);
  if (!Array.isArray(holder.schema.enum)) {
    holder.schema.enum = [];
  }
  const values = holder.schema.enum;
  const names = holder.ui && Array.isArray(holder.ui['ui:enumNames']) ? holder.ui['ui:enumNames'] : null;
  const fixDefault = () => {
    if (f.schema.default !== undefined && !values.includes(f.schema.default)) {
      delete f.schema.default;
    }
  };
  const swap = (i, j) => {
    for (const list of [values, names]) {
      if (list && j >= 0 && j < values.length) {
        [list[i], list[j]] = [list[j], list[i]];
      }
    }
  };
  const problems = [];
  if (!values.length) {
    problems.push(t('options.empty'));
  }
  if (new Set(values.map(String)).size !== values.length) {
    problems.push(t('options.duplicate'));
  }
  if (values.some((v) => String(v).trim() === '')) {
    problems.push(t('options.blank'));
  }
  const list = h('ol', { class: 'fb-options', id: 'fb-options', 'aria-label': t('options') });
  values.forEach((value, i) => {
    const label = t('option.label', { n: i + 1 });
    list.append(
      h(
        'li',
        { class: 'fb-option' },
        h('input', {
          type: 'text',
          class: 'form-control input-sm',
          id: 'fb-option-' + i,
          value: String(value),
          'aria-label': label,
          oninput: (e) => {
            const old = values[i];
            values[i] = e.target.value;
            if (f.schema.default === old) {
              f.schema.default = e.target.value;
            }
            for (const other of b.form.fields) {
              if (other.cond && other.cond.field === f.name) {
                other.cond.values = other.cond.values.map((v) => (v === old ? e.target.value : v));
              }
            }
            change();
          },
        }),
        h('button', { type: 'button', class: 'btn btn-default btn-xs', id: `fb-option-${i}-up`, 'aria-label': t('option.up', { n: i + 1 }), disabled: i === 0, text: '↑', onclick: () => (swap(i, i - 1), redraw(), focusId(`fb-option-${i - 1}-up`)) }),
        h('button', { type: 'button', class: 'btn btn-default btn-xs', id: `fb-option-${i}-down`, 'aria-label': t('option.down', { n: i + 1 }), disabled: i === values.length - 1, text: '↓', onclick: () => (swap(i, i + 1), redraw(), focusId(`fb-option-${i + 1}-down`)) }),
        h('button', {
          type: 'button',
          class: 'btn btn-default btn-xs',
          id: `fb-option-${i}-remove`,
          'aria-label': t('option.remove', { n: i + 1 }),
          text: '×',
          onclick: () => {
            values.splice(i, 1);
            if (names) {
              names.splice(i, 1);
            }
            fixDefault();
            redraw();
            focusId('fb-option-add');
          },
        })
      )
    );
  });
  const add = h('button', {
    type: 'button',
    class: 'btn btn-default btn-xs',
    id: 'fb-option-add',
    text: t('option.add'),
    onclick: () => {
      let n = values.length + 1;
      while (values.includes(t('option.new', { n }))) {
        n++;
      }
      values.push(t('option.new', { n }));
      if (names) {
        names.push(t('option.new', { n }));
      }
      redraw();
      focusId('fb-option-' + (values.length - 1));
    },
  });
  return h(
    'fieldset',
    { class: 'fb-options-box' },
    h('legend', {}, t('options')),
    list,
    add,
    problems.length ? h('p', { class: 'help-block fb-error', role: 'alert' }, problems.join(' ')) : null
  );
}

function focusId(id) {
  window.setTimeout(() => {
    const el = document.getElementById(id);
    if (el && !el.disabled) {
      el.focus();
      if (el.select) {
        el.select();
      }
    }
  }, 0);
}

function prefillControl(b, f, redraw, change) {
  const paths = b.config.prefill || [];
  const current = f.ui['ui:prefill'];
  const known = paths.some((p) => p.path === current);
  const value = current === undefined ? '' : known ? current : '*';
  const options = [{ value: '', label: t('prefill.none') }]
    .concat(paths.map((p) => ({ value: p.path, label: p.label + '（' + p.path + '）' })))
    .concat([{ value: '*', label: t('prefill.other') }]);
  const box = h(
    'div',
    { class: 'fb-prefill' },
    group(
      'fb-prop-prefill',
      t('prop.prefill'),
      selectInput('fb-prop-prefill', value, options, (v) => {
        setKey(f.ui, 'ui:prefill', v === '*' ? current || 'applicant.name' : v);
        redraw();
      }),
      t('prefill.help')
    )
  );
  if (value === '*') {
    const error = h('p', { class: 'help-block fb-error', id: 'fb-prop-prefill-error' });
    box.append(
      group(
        'fb-prop-prefill-path',
        t('prefill.path'),
        textInput(
          'fb-prop-prefill-path',
          current,
          (v) => {
            const ok = PREFILL_PATH.test(v.trim());
            error.textContent = ok ? '' : t('prefill.invalid');
            if (ok) {
              f.ui['ui:prefill'] = v.trim();
              change();
            }
          },
          { spellcheck: 'false' }
        )
      ),
      error
    );
  }
  return box;
}

/** The fields a condition of `field` may test: choice fields of the form that do not depend on it. */
function controllers(b, field) {
  const depends = (f, seen) => {
    if (!f || !f.cond || seen.has(f.name)) {
      return false;
    }
    if (f.cond.field === field.name) {
      return true;
    }
    seen.add(f.name);
    return depends(b.form.fields.find((x) => x.name === f.cond.field), seen);
  };
  return b.form.fields.filter((f) => f !== field && CHOICE_KINDS.has(f.kind) && !depends(f, new Set()));
}

function conditionControl(b, f, redraw) {
  const offered = controllers(b, f);
  const cond = f.cond;
  const box = h('fieldset', { class: 'fb-condition', id: 'fb-condition' }, h('legend', {}, t('cond')));
  const options = [{ value: '', label: t('cond.always') }].concat(offered.map((c) => ({ value: c.name, label: (c.schema.title || c.name) + '（' + c.name + '）' })));
  if (cond && !offered.some((c) => c.name === cond.field)) {
    options.push({ value: cond.field, label: t('cond.missing', { field: cond.field }) });
  }
  box.append(
    group(
      'fb-prop-cond-field',
      t('cond.field'),
      selectInput('fb-prop-cond-field', cond ? cond.field : '', options, (v) => {
        if (!v) {
          f.cond = null;
        } else {
          const controller = b.form.fields.find((x) => x.name === v);
          const first = controller ? choicesOf(controller)[0] : null;
          f.cond = { field: v, values: first ? [first.value] : [] };
        }
        redraw();
      })
    )
  );
  const controller = cond ? b.form.fields.find((x) => x.name === cond.field) : null;
  if (cond && controller) {
    const values = h('div', { class: 'fb-cond-values', role: 'group', 'aria-label': t('cond.values') }, h('div', { class: 'control-label' }, t('cond.values')));
    choicesOf(controller).forEach((choice, i) => {
      values.append(
        checkbox('fb-cond-value-' + i, cond.values.includes(choice.value), choice.label, (on) => {
          const rest = cond.values.filter((v) => v !== choice.value);
          cond.values = on ? choicesOf(controller).map((c) => c.value).filter((v) => v === choice.value || rest.includes(v)) : rest;
          redraw();
        })
      );
    });
    box.append(values);
    box.append(h('p', { class: cond.values.length ? 'help-block' : 'help-block fb-error' }, cond.values.length ? t('cond.help') : t('cond.incomplete')));
  } else {
    box.append(h('p', { class: 'help-block' }, offered.length ? t('cond.hint') : t('cond.none')));
  }
  return box;
}
