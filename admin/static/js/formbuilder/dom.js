/* Tiny DOM helpers: every text goes in as a text node or an attribute value, never as HTML. */

const PROPS = new Set(['value', 'checked', 'selected', 'disabled', 'indeterminate']);

/** h('button', {class: 'btn', onclick: fn, 'aria-label': '…'}, 'text', childNode, [more]) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  const later = [];
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (key === 'class') {
      el.className = value;
    } else if (key === 'text') {
      el.textContent = value;
    } else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (PROPS.has(key)) {
      later.push([key, value]);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  for (const [key, value] of later) {
    el[key] = value; // a select's value once its options are in
  }
  return el;
}

export function append(el, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) {
    el.removeChild(el.firstChild);
  }
  return el;
}

export function debounce(fn, ms) {
  let timer = null;
  const run = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  run.cancel = () => clearTimeout(timer);
  return run;
}

export function readJson(id) {
  const el = document.getElementById(id);
  if (!el) {
    return {};
  }
  try {
    return JSON.parse(el.textContent || '{}');
  } catch (e) {
    return {};
  }
}
