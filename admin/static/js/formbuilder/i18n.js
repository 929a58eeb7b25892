/* The builder's strings: Chinese by default, passed by the page (_formbuilder_strings.html, each through
   Flask-Babel; English in admin/translations/en/formbuilder.po). */

let strings = {};

export function setStrings(found) {
  strings = found || {};
}

/** t('key', {name: 'x'}) → the page's string with {name} filled in (the key itself when missing). */
export function t(key, fields) {
  let text = Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key;
  if (fields) {
    text = text.replace(/\{(\w+)\}/g, (m, name) => (Object.prototype.hasOwnProperty.call(fields, name) ? String(fields[name]) : m));
  }
  return text;
}
