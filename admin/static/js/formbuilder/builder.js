/* The form builder: palette, the form's fields (dragged into place, or moved with their ↑ ↓ buttons), the
   selected field's properties (inspector.js), and the two JSON texts it keeps in step with.

   The page's textareas #schema-text and #ui-text stay the form's truth: they are what the page posts when
   saved, and what the preview (form_editor.js) renders. The builder writes them on every change made in the
   designer, and reads them back whenever they are edited in the JSON tab; it never writes them on its own
   (opening a form and saving it unchanged saves the text as it was). When the JSON cannot be read, the
   designer is locked until it can. */

import { clear, debounce, h } from './dom.js';
import { t } from './i18n.js';
import { renderInspector } from './inspector.js';
import { BASE_NAMES, COLUMN_KINDS, CONTAINERS, PALETTE } from './kinds.js';
import { find, newField, readField, readForm, walk, writeForm } from './model.js';
import { uniqueName } from './naming.js';

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

export class Builder {
  constructor(root, config) {
    this.root = root;
    this.config = config || {};
    this.schemaText = document.getElementById('schema-text');
    this.uiText = document.getElementById('ui-text');
    this.form = null;
    this.selected = null;
    this.locked = null;
    this.drag = null;
  }

  start() {
    if (!this.schemaText || !this.uiText) {
      return;
    }
    clear(this.root);
    this.banner = h('div', { class: 'alert alert-warning fb-banner', id: 'fb-banner', role: 'alert', hidden: true });
    this.palette = h('div', { class: 'fb-palette', id: 'fb-palette', role: 'group', 'aria-label': t('palette') });
    this.canvas = h('ol', { class: 'fb-canvas', id: 'fb-canvas', 'aria-label': t('canvas') });
    this.inspector = h('div', { class: 'fb-inspector', id: 'fb-inspector', role: 'region', 'aria-label': t('inspector') });
    this.status = h('div', { class: 'sr-only', id: 'fb-status', role: 'status', 'aria-live': 'polite' });
    const canvasBox = h('div', { class: 'fb-canvas-box' }, h('div', { class: 'fb-heading' }, t('canvas')), this.canvas);
    this.layout = h('div', { class: 'fb-layout' }, this.palette, canvasBox, this.inspector);
    this.root.append(this.banner, this.layout, this.status);
    this.listDnD(this.canvas, null);
    this.renderPalette();
    const reread = debounce(() => this.readTexts(), 350);
    this.schemaText.addEventListener('input', reread);
    this.uiText.addEventListener('input', reread);
    this.followFormName();
    this.tabs();
    this.readTexts();
    if (this.locked) {
      this.showTab('json', false); // what cannot be designed is shown as the JSON it is
    }
    this.root.setAttribute('data-state', 'ready');
    window.OneWindowFormBuilder = this;
  }

  // -- the JSON texts ----------------------------------------------------------------------------------------

  readTexts() {
    let schema;
    let ui;
    try {
      schema = JSON.parse(this.schemaText.value);
      ui = this.uiText.value.trim() ? JSON.parse(this.uiText.value) : {};
    } catch (error) {
      return this.lock(t('json.invalid', { error: error.message }));
    }
    if (!isObj(schema) || !isObj(ui)) {
      return this.lock(t('json.notObject'));
    }
    if (schema.type !== undefined && schema.type !== 'object') {
      return this.lock(t('json.notForm'));
    }
    const path = this.selectedPath();
    this.form = readForm(schema, ui);
    this.selected = this.uidOf(path);
    this.unlock();
    this.render();
  }

  /** The form as JSON in the page's textareas, then a new preview. */
  commit(structural) {
    const { schema, ui } = writeForm(this.form);
    this.schemaText.value = JSON.stringify(schema, null, 2);
    this.uiText.value = Object.keys(ui).length ? JSON.stringify(ui, null, 2) : '{}';
    if (window.OneWindowFormEditor) {
      window.OneWindowFormEditor.schedule();
    }
    this.renderCanvas();
    if (structural) {
      this.renderInspector();
    }
  }

  lock(message) {
    this.locked = message;
    this.banner.textContent = message;
    this.banner.hidden = false;
    this.root.classList.add('fb-locked');
    this.root.setAttribute('data-locked', 'true');
    this.layout.inert = true;
    this.palette.querySelectorAll('button').forEach((b) => (b.disabled = true));
  }

  unlock() {
    this.locked = null;
    this.banner.hidden = true;
    this.root.classList.remove('fb-locked');
    this.root.removeAttribute('data-locked');
    this.layout.inert = false;
    this.palette.querySelectorAll('button').forEach((b) => (b.disabled = false));
  }

  // -- selection ---------------------------------------------------------------------------------------------

  selectedPath() {
    const found = this.form && this.selected ? find(this.form, this.selected) : null;
    if (!found) {
      return null;
    }
    return found.parent ? [found.parent.name, found.field.name] : [found.field.name];
  }

  uidOf(path) {
    if (!path || !this.form) {
      return null;
    }
    const top = this.form.fields.find((f) => f.name === path[0]);
    if (!top || path.length === 1) {
      return top ? top.uid : null;
    }
    const inner = (top.children || []).find((f) => f.name === path[1]);
    return inner ? inner.uid : top.uid;
  }

  select(uid) {
    this.selected = uid;
    this.render();
  }

  announce(message) {
    this.status.textContent = '';
    window.setTimeout(() => (this.status.textContent = message), 30);
  }

  // -- rendering ---------------------------------------------------------------------------------------------

  render() {
    this.renderCanvas();
    this.renderInspector();
  }

  renderInspector() {
    const active = document.activeElement && this.inspector.contains(document.activeElement) ? document.activeElement.id : null;
    clear(this.inspector);
    const found = this.form && this.selected ? find(this.form, this.selected) : null;
    renderInspector(this, this.inspector, found);
    if (active && document.getElementById(active)) {
      document.getElementById(active).focus();
    }
  }

  renderPalette() {
    clear(this.palette);
    for (const group of PALETTE) {
      const items = group.kinds.map((kind) =>
        h(
          'button',
          {
            type: 'button',
            class: 'fb-palette-item',
            id: 'fb-add-' + kind,
            draggable: 'true',
            'data-kind': kind,
            title: t('palette.add', { kind: t('kind.' + kind) }),
            onclick: () => this.add(kind),
            ondragstart: (e) => this.dragStart(e, { type: 'palette', kind }),
            ondragend: () => this.dragEnd(),
          },
          t('kind.' + kind)
        )
      );
      this.palette.append(h('div', { class: 'fb-palette-group' }, h('div', { class: 'fb-heading' }, t(group.group)), items));
    }
    const shared = (this.config.shared || []).map((s) =>
      h(
        'button',
        {
          type: 'button',
          class: 'fb-palette-item fb-shared',
          id: 'fb-add-shared-' + s.file.replace(/\.schema\.json$|\.json$/, ''),
          draggable: 'true',
          'data-shared': s.file,
          title: t('shared.add', { title: s.title, file: s.ref }),
          onclick: () => this.addShared(s),
          ondragstart: (e) => this.dragStart(e, { type: 'shared', shared: s }),
          ondragend: () => this.dragEnd(),
        },
        s.title
      )
    );
    if (shared.length) {
      this.palette.append(h('div', { class: 'fb-palette-group' }, h('div', { class: 'fb-heading' }, t('palette.shared')), shared));
    }
  }

  renderCanvas() {
    clear(this.canvas);
    if (!this.form) {
      return;
    }
    if (!this.form.fields.length) {
      this.canvas.append(h('li', { class: 'fb-empty' }, t('canvas.empty')));
    }
    this.form.fields.forEach((f, i) => this.canvas.append(this.fieldItem(f, this.form.fields, i, null)));
  }

  fieldItem(f, list, i, parent) {
    const selected = f.uid === this.selected;
    const title = labelOf(f);
    const classes = ['fb-field'];
    if (selected) {
      classes.push('fb-selected');
    }
    if (f.cond) {
      classes.push('fb-conditional');
    }
    const li = h('li', {
      class: classes.join(' '),
      'data-uid': f.uid,
      'data-name': f.name,
      'data-kind': f.kind,
      draggable: 'true',
    });
    li.addEventListener('dragstart', (e) => {
      if (e.target !== li) {
        return;
      }
      e.stopPropagation();
      this.dragStart(e, { type: 'field', uid: f.uid, list });
    });
    li.addEventListener('dragend', () => this.dragEnd());
    const badge = f.cond
      ? h('span', { class: 'label label-info fb-cond-badge' }, t('cond.badge', { field: this.titleOf(f.cond.field) }))
      : null;
    const pick = h(
      'button',
      { type: 'button', class: 'fb-field-select', 'aria-pressed': selected ? 'true' : 'false', onclick: () => this.select(f.uid) },
      h('span', { class: 'fb-kind' }, t('kind.' + f.kind)),
      ' ',
      h('span', { class: 'fb-title' }, title),
      f.required ? h('span', { class: 'text-danger fb-star', 'aria-label': t('required') }, ' *') : null,
      ' ',
      h('code', { class: 'fb-name' }, f.name),
      badge ? ' ' : null,
      badge
    );
    const actions = h(
      'span',
      { class: 'fb-field-actions' },
      h('button', {
        type: 'button',
        class: 'btn btn-default btn-xs fb-up',
        'aria-label': t('move.up', { title }),
        title: t('move.up', { title }),
        disabled: i === 0,
        onclick: () => this.move(list, i, -1),
        text: '↑',
      }),
      h('button', {
        type: 'button',
        class: 'btn btn-default btn-xs fb-down',
        'aria-label': t('move.down', { title }),
        title: t('move.down', { title }),
        disabled: i === list.length - 1,
        onclick: () => this.move(list, i, 1),
        text: '↓',
      }),
      h('button', {
        type: 'button',
        class: 'btn btn-default btn-xs fb-remove',
        'aria-label': t('remove', { title }),
        title: t('remove', { title }),
        onclick: () => this.remove(list, i, parent),
        text: '×',
      })
    );
    li.append(h('div', { class: 'fb-field-head' }, pick, actions));
    if (f.children && CONTAINERS.has(f.kind)) {
      const ol = h('ol', { class: 'fb-children', 'aria-label': t('children', { title }), 'data-parent': f.uid });
      f.children.forEach((c, j) => ol.append(this.fieldItem(c, f.children, j, f)));
      li.append(ol);
      this.listDnD(ol, f);
      if (f.kind === 'table' || f.kind === 'group') {
        const kind = h(
          'select',
          { class: 'form-control input-sm', id: 'fb-column-kind-' + f.uid, 'aria-label': t('column.kind') },
          COLUMN_KINDS.map((k) => h('option', { value: k }, t('kind.' + k)))
        );
        li.append(
          h(
            'div',
            { class: 'form-inline fb-column-add' },
            kind,
            ' ',
            h('button', {
              type: 'button',
              class: 'btn btn-default btn-xs',
              id: 'fb-column-add-' + f.uid,
              onclick: () => this.add(kind.value, f),
              text: f.kind === 'table' ? t('column.add') : t('child.add'),
            })
          )
        );
      }
    }
    return li;
  }

  titleOf(name) {
    const f = this.form && this.form.fields.find((x) => x.name === name);
    return f ? labelOf(f) : name;
  }

  // -- editing -----------------------------------------------------------------------------------------------

  /** A new field of `kind` after the selected one (or at `index`), in the form or in a table's columns. */
  add(kind, parent, index) {
    if (this.locked || !this.form) {
      return;
    }
    const list = parent ? parent.children : this.form.fields;
    const field = newField(kind, uniqueName(BASE_NAMES[kind] || 'field', list.map((f) => f.name)));
    this.insert(list, field, index);
    this.announce(t('added', { title: labelOf(field) }));
  }

  addShared(shared, index) {
    if (this.locked || !this.form) {
      return;
    }
    const list = this.form.fields;
    const name = uniqueName(shared.name, list.map((f) => f.name));
    const field = readField(name, { $ref: shared.ref, 'x-shared': shared.ref, title: shared.title }, {}, false);
    this.insert(list, field, index);
    this.announce(t('added', { title: shared.title }));
  }

  insert(list, field, index) {
    if (index === undefined) {
      const at = list.findIndex((f) => f.uid === this.selected);
      index = at >= 0 ? at + 1 : list.length;
    }
    list.splice(index, 0, field);
    this.selected = field.uid;
    this.commit(true);
    const title = document.getElementById('fb-prop-title');
    if (title) {
      title.focus();
      title.select();
    }
  }

  move(list, i, delta) {
    const j = i + delta;
    if (j < 0 || j >= list.length) {
      return;
    }
    const [field] = list.splice(i, 1);
    list.splice(j, 0, field);
    this.commit(false);
    const button = this.canvas.querySelector(`li[data-uid="${field.uid}"] > .fb-field-head .${delta < 0 ? 'fb-up' : 'fb-down'}`);
    const other = this.canvas.querySelector(`li[data-uid="${field.uid}"] > .fb-field-head .${delta < 0 ? 'fb-down' : 'fb-up'}`);
    (button && !button.disabled ? button : other).focus();
    this.announce(t('moved', { title: labelOf(field), n: j + 1, total: list.length }));
  }

  remove(list, i, parent) {
    const [field] = list.splice(i, 1);
    const cleared = [];
    if (!parent) {
      for (const other of this.form.fields) {
        if (other.cond && other.cond.field === field.name) {
          other.cond = null;
          cleared.push(labelOf(other));
        }
      }
    }
    if (walk([field]).some((e) => e.field.uid === this.selected)) {
      const next = list[Math.min(i, list.length - 1)];
      this.selected = next ? next.uid : parent ? parent.uid : null;
    }
    this.commit(true);
    let message = t('removed', { title: labelOf(field) });
    if (cleared.length) {
      message += ' ' + t('removed.conditions', { fields: cleared.join('、') });
    }
    this.announce(message);
    const focus = this.canvas.querySelector('.fb-selected .fb-field-select') || this.palette.querySelector('button');
    if (focus) {
      focus.focus();
    }
  }

  /** A field renamed; the conditions that test it follow. */
  rename(field, name) {
    const old = field.name;
    if (old === name) {
      return;
    }
    field.name = name;
    if (this.form.fields.includes(field)) {
      for (const other of this.form.fields) {
        if (other.cond && other.cond.field === old) {
          other.cond.field = name;
        }
      }
    }
    this.commit(false);
  }

  siblingsOf(field) {
    const found = find(this.form, field.uid);
    return found ? found.list.filter((f) => f !== field) : [];
  }

  // -- drag and drop -----------------------------------------------------------------------------------------

  dragStart(e, drag) {
    if (this.locked) {
      e.preventDefault();
      return;
    }
    this.drag = drag;
    e.dataTransfer.effectAllowed = drag.type === 'field' ? 'move' : 'copy';
    e.dataTransfer.setData('text/plain', drag.type === 'field' ? 'field:' + drag.uid : drag.kind || drag.shared.file);
  }

  dragEnd() {
    this.drag = null;
    this.root.querySelectorAll('.fb-drop-marker').forEach((m) => m.remove());
  }

  accepts(parent, drag) {
    if (!drag || this.locked) {
      return false;
    }
    if (drag.type === 'palette') {
      return parent ? (parent.kind === 'table' || parent.kind === 'group') && COLUMN_KINDS.includes(drag.kind) : true;
    }
    if (drag.type === 'shared') {
      return !parent;
    }
    return drag.list === (parent ? parent.children : this.form.fields);
  }

  listDnD(ol, parent) {
    ol.addEventListener('dragover', (e) => {
      if (!this.accepts(parent, this.drag)) {
        return;
      }
      e.preventDefault();
      e.stopPropagation();
      e.dataTransfer.dropEffect = this.drag.type === 'field' ? 'move' : 'copy';
      this.marker(ol, this.dropIndex(ol, e.clientY));
    });
    ol.addEventListener('dragleave', (e) => {
      if (!ol.contains(e.relatedTarget)) {
        ol.querySelectorAll(':scope > .fb-drop-marker').forEach((m) => m.remove());
      }
    });
    ol.addEventListener('drop', (e) => {
      if (!this.accepts(parent, this.drag)) {
        return;
      }
      e.preventDefault();
      e.stopPropagation();
      const index = this.dropIndex(ol, e.clientY);
      const drag = this.drag;
      this.dragEnd();
      this.dropAt(parent, index, drag);
    });
  }

  dropIndex(ol, y) {
    const items = Array.from(ol.children).filter((li) => li.classList.contains('fb-field'));
    for (let i = 0; i < items.length; i++) {
      const box = items[i].getBoundingClientRect();
      if (y < box.top + Math.min(box.height, 40) / 2) {
        return i;
      }
    }
    return items.length;
  }

  marker(ol, index) {
    ol.querySelectorAll(':scope > .fb-drop-marker').forEach((m) => m.remove());
    const items = Array.from(ol.children).filter((li) => li.classList.contains('fb-field'));
    const mark = h('li', { class: 'fb-drop-marker', 'aria-hidden': 'true' });
    ol.insertBefore(mark, items[index] || null);
  }

  dropAt(parent, index, drag) {
    const list = parent ? parent.children : this.form.fields;
    if (drag.type === 'palette') {
      return this.add(drag.kind, parent, index);
    }
    if (drag.type === 'shared') {
      return this.addShared(drag.shared, index);
    }
    const from = list.findIndex((f) => f.uid === drag.uid);
    if (from < 0) {
      return;
    }
    const [field] = list.splice(from, 1);
    const to = from < index ? index - 1 : index;
    list.splice(to, 0, field);
    this.selected = field.uid;
    this.commit(true);
    this.announce(t('moved', { title: labelOf(field), n: to + 1, total: list.length }));
  }

  // -- the page around the designer ----------------------------------------------------------------------------

  /** The uiSchema's file name follows the form's, while it is the one made from it. */
  followFormName() {
    const form = document.getElementById('form-name');
    const ui = document.getElementById('ui-name');
    if (!form || !ui) {
      return;
    }
    const uiFor = (name) => name.replace(/\.json$/, '').replace(/\.schema$/, '') + '.uischema.json';
    let before = form.value;
    form.addEventListener('input', () => {
      if (ui.value === uiFor(before)) {
        ui.value = uiFor(form.value);
      }
      before = form.value;
    });
  }

  /** 设计 / JSON（高级）: the JSON pane stays in the page when not shown (its textareas are the form's). */
  tabs() {
    const tabs = Array.from(document.querySelectorAll('[data-fb-tab]'));
    const show = (name, focus) => {
      for (const tab of tabs) {
        const on = tab.getAttribute('data-fb-tab') === name;
        const pane = document.getElementById(tab.getAttribute('aria-controls'));
        tab.setAttribute('aria-selected', on ? 'true' : 'false');
        tab.setAttribute('tabindex', on ? '0' : '-1');
        tab.parentElement.classList.toggle('active', on);
        if (pane) {
          pane.classList.toggle('fb-pane-off', !on);
          pane.setAttribute('aria-hidden', on ? 'false' : 'true');
          pane.querySelectorAll('textarea').forEach((area) => (on ? area.removeAttribute('tabindex') : area.setAttribute('tabindex', '-1')));
        }
        if (on && focus) {
          tab.focus();
        }
      }
      if (name === 'design' && this.form && !this.locked) {
        this.render();
      }
    };
    tabs.forEach((tab, i) => {
      tab.addEventListener('click', (e) => {
        e.preventDefault();
        show(tab.getAttribute('data-fb-tab'), false);
      });
      tab.addEventListener('keydown', (e) => {
        if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
          e.preventDefault();
          const next = tabs[(i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length];
          show(next.getAttribute('data-fb-tab'), true);
        }
      });
    });
    show(window.location.hash === '#json' ? 'json' : 'design', false);
    this.showTab = show;
  }
}

export function labelOf(field) {
  const s = field.schema || {};
  return String(s.title || (field.kind === 'note' ? s.description || '' : '') || field.name).slice(0, 60);
}
