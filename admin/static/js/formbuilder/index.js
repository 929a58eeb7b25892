/* The form builder's entry point (an ES module served as is, no bundler): reads the page's config and
   strings, and starts the builder on #formbuilder. */

import { Builder } from './builder.js';
import { readJson } from './dom.js';
import { setStrings } from './i18n.js';

function start() {
  const root = document.getElementById('formbuilder');
  if (!root) {
    return;
  }
  setStrings(readJson('formbuilder-strings'));
  new Builder(root, readJson('formbuilder-config')).start();
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', start);
} else {
  start();
}
