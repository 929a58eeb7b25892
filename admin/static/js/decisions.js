/*
 * OneWindow 决策表: one DMN file of a version in dmn-js' modeler (the global DmnJS of
 * vendor/dmn-js/dmn-modeler.production.min.js), opened on its decision table, saved as a new draft version.
 * Plain ES2017, no build step.
 *
 * Markup (admin/templates/onewindow/definitions/decisions.html):
 *   #decisions-editor    the editor (data-xml-url: the stored XML); data-state = loading | ready | error
 *   #decisions-save      saves: POST {"xml", "file_name"} as JSON to config.urls.save with the X-CSRFToken header
 *                        (from <meta name="csrf-token">). 201 {"url"}: the new draft's page is opened; 200: nothing
 *                        changed; 422 {"errors"}: the problems are listed and the table stays as typed.
 *   #decisions-result    answers (data-status = the last save's HTTP status)
 *   #decisions-config    JSON {key, version, file_name, urls: {save, list}}
 *   #decisions-strings   JSON: the page's strings, and under "dmn" dmn-js' own English → shown text (its
 *                        `translate` service), all through Flask-Babel
 *   #decisions-kept-data JSON of a refused save kept for this user; #decisions-kept-restore loads it
 */
(function () {
  'use strict';

  function json(id) {
    var el = document.getElementById(id);
    try {
      return el ? JSON.parse(el.textContent || '{}') : {};
    } catch (e) {
      return {};
    }
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') || '' : '';
  }

  function fill(template, params) {
    return String(template).replace(/\{(\w+)\}/g, function (match, name) {
      return params && params[name] != null ? String(params[name]) : match;
    });
  }

  function make(tag, className, text) {
    var el = document.createElement(tag);
    if (className) {
      el.className = className;
    }
    if (text != null) {
      el.textContent = text;
    }
    return el;
  }

  function translateModule(dictionary) {
    function translate(template, replacements) {
      return fill(dictionary[template] || template, replacements || {});
    }
    return { translate: ['value', translate] };
  }

  function Page() {
    this.container = document.getElementById('decisions-editor');
    this.result = document.getElementById('decisions-result');
    this.saveButton = document.getElementById('decisions-save');
    this.config = json('decisions-config');
    this.strings = json('decisions-strings');
    this.dirty = false;
  }

  Page.prototype.t = function (key, params) {
    return fill(typeof this.strings[key] === 'string' ? this.strings[key] : key, params);
  };

  Page.prototype.start = async function () {
    var self = this;
    this.say('info', this.t('loading'));
    // dmn-js hands each view only its own additionalModules (`common` ones are dropped): give each the
    // translations.
    var translations = { additionalModules: [translateModule(this.strings.dmn || {})] };
    this.modeler = new window.DmnJS({
      container: this.container,
      drd: translations,
      decisionTable: translations,
      literalExpression: translations,
      boxedExpression: translations
    });
    try {
      var response = await fetch(this.container.getAttribute('data-xml-url'), { credentials: 'same-origin' });
      if (!response.ok) {
        throw new Error('HTTP ' + response.status);
      }
      await this.open(await response.text());
    } catch (err) {
      this.container.setAttribute('data-state', 'error');
      this.say('danger', this.t('loadFailed', { error: err.message || String(err) }));
      return;
    }
    this.result.textContent = '';
    this.saveButton.disabled = false;
    this.saveButton.addEventListener('click', function () {
      self.save();
    });
    var restore = document.getElementById('decisions-kept-restore');
    if (restore) {
      restore.addEventListener('click', function () {
        self.restore();
      });
    }
    window.addEventListener('beforeunload', function (event) {
      if (self.dirty && !self.leaving) {
        event.preventDefault();
        event.returnValue = self.t('unsaved');
      }
    });
  };

  /** Import the XML and show its decision table (dmn-js would start on the DRD). */
  Page.prototype.open = async function (xml) {
    var self = this;
    await this.modeler.importXML(xml);
    var table = this.modeler.getViews().filter(function (view) {
      return view.type === 'decisionTable';
    })[0];
    if (!table) {
      throw new Error(this.t('noTable'));
    }
    await this.modeler.open(table);
    var viewer = this.modeler.getActiveViewer();
    viewer.get('eventBus').on('elements.changed', function () {
      self.dirty = true;
    });
    this.container.setAttribute('data-state', 'ready');
    this.container.setAttribute('data-decision', table.element.id);
  };

  Page.prototype.save = async function () {
    this.saveButton.disabled = true;
    this.say('info', this.t('saving'));
    var response;
    var body = null;
    try {
      var saved = await this.modeler.saveXML({ format: true });
      response = await fetch(this.config.urls.save, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': csrfToken() },
        body: JSON.stringify({ xml: saved.xml, file_name: this.config.file_name })
      });
      try {
        body = await response.json();
      } catch (e) {
        body = null;
      }
    } catch (err) {
      this.saveButton.disabled = false;
      this.say('danger', this.t('failed', { error: err.message || String(err) }));
      return;
    }
    this.result.setAttribute('data-status', String(response.status));
    this.saveButton.disabled = false;
    if (response.status === 201 && body && body.url) {
      var mine = (body.results || [])[0] || {};
      this.say('success', this.t('saved', { version: mine.version }));
      this.leaving = true;
      window.location.assign(body.url);
    } else if (response.status === 200 && body) {
      this.dirty = false;
      this.say('info', body.message || '');
    } else if (body && body.errors) {
      this.problems(this.t('refused', { count: body.errors.length }), body.errors);
    } else {
      this.say('danger', this.t('failed', { error: (body && body.error) || 'HTTP ' + response.status }));
    }
  };

  /** The kept (refused) save of this user: back into the editor, with the problems it met. */
  Page.prototype.restore = async function () {
    var kept = json('decisions-kept-data');
    if (!kept.xml) {
      return;
    }
    try {
      await this.open(kept.xml);
    } catch (err) {
      this.say('danger', this.t('loadFailed', { error: err.message || String(err) }));
      return;
    }
    this.dirty = true;
    var alert = document.getElementById('decisions-kept');
    if (alert) {
      alert.hidden = true;
    }
    this.problems(this.t('restored'), kept.problems || []);
  };

  Page.prototype.say = function (kind, text) {
    this.result.textContent = '';
    this.result.appendChild(make('div', 'alert alert-' + kind, text));
  };

  Page.prototype.problems = function (title, problems) {
    var self = this;
    this.result.textContent = '';
    var box = make('div', 'alert alert-danger');
    box.setAttribute('role', 'alert');
    box.appendChild(make('strong', null, title));
    var list = make('ul', 'ow-problems list-unstyled');
    list.id = 'decisions-problems';
    problems.forEach(function (p) {
      var where = [p.file, p.line ? self.t('where.line', { line: p.line }) : null, p.element]
        .filter(Boolean)
        .join(' · ');
      var item = make('li', null, where ? self.t('problem', { where: where, message: p.message }) : p.message);
      item.setAttribute('data-element', p.element || '');
      list.appendChild(item);
    });
    box.appendChild(list);
    this.result.appendChild(box);
  };

  document.addEventListener('DOMContentLoaded', function () {
    if (document.getElementById('decisions-editor') && window.DmnJS) {
      window.OneWindowDecisions = new Page(); // the page (its dmn-js modeler) for scripts and tests
      window.OneWindowDecisions.start();
    }
  });
})();
