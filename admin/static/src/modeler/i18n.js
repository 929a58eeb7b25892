/*
 * The page's strings come from the server (admin/templates/onewindow/definitions/_modeler_strings.html, each
 * through Flask-Babel), so the panel speaks the request's language and holds no wording of its own.
 */

let STRINGS = {};

export function setStrings(strings) {
  STRINGS = strings || {};
}

/** The string for `key` with its {placeholders} filled in (the key itself when the page gave none). */
export function t(key, params) {
  const template = typeof STRINGS[key] === 'string' ? STRINGS[key] : key;
  return fill(template, params);
}

function fill(template, params) {
  if (!params) {
    return template;
  }
  return template.replace(/\{(\w+)\}/g, (match, name) => (params[name] == null ? match : String(params[name])));
}

/** bpmn-js' own `translate` service, fed from the page's dictionary (English source text → shown text). */
export function translateModule(dictionary) {
  const table = dictionary || {};
  function translate(template, replacements) {
    return fill(table[template] || template, replacements || {});
  }
  return { translate: ['value', translate] };
}
