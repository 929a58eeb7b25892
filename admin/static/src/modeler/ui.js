/* Small panel controls with stable ids (tests and labels use them), styled as the properties panel's. */

import { useEffect, useRef, useState } from '@bpmn-io/properties-panel/preact/hooks';

import { t } from './i18n.js';

export function Entry(props) {
  const { id, label, hint, error, children, class: extra } = props;
  return (
    <div class={'bio-properties-panel-entry ow-entry ' + (error ? 'has-error ' : '') + (extra || '')} data-entry-id={id}>
      {label ? (
        <label class="bio-properties-panel-label" for={id}>
          {label}
        </label>
      ) : null}
      {children}
      {error ? <div class="bio-properties-panel-error">{error}</div> : null}
      {hint ? <div class="bio-properties-panel-description ow-hint">{hint}</div> : null}
    </div>
  );
}

/** options: [{value, label, group?}]; options sharing a group are shown under it. */
export function Select(props) {
  const { id, value, options, onChange, disabled } = props;
  const groups = [];
  options.forEach((option) => {
    const last = groups[groups.length - 1];
    if (last && last.name === (option.group || '')) {
      last.options.push(option);
    } else {
      groups.push({ name: option.group || '', options: [option] });
    }
  });
  const render = (o) => (
    <option value={o.value} key={o.value}>
      {o.label}
    </option>
  );
  return (
    <select
      id={id}
      name={id}
      class="bio-properties-panel-input ow-select"
      value={value}
      disabled={disabled}
      onChange={(e) => onChange(e.target.value)}
    >
      {groups.map((g) =>
        g.name ? (
          <optgroup label={g.name} key={g.name}>
            {g.options.map(render)}
          </optgroup>
        ) : (
          g.options.map(render)
        )
      )}
    </select>
  );
}

/**
 * Text that is written to the diagram as it is typed (when `accept` says it may be), kept locally while it
 * may not, and replaced when the diagram changes underneath (undo, another element).
 */
export function useDraft(model, accept, commit, delay) {
  const [text, setText] = useState(model);
  const timer = useRef(null);
  const last = useRef(model);
  useEffect(() => {
    if (model !== last.current) {
      last.current = model;
      setText(model);
    }
  }, [model]);
  useEffect(() => () => clearTimeout(timer.current), []);
  const onInput = (value) => {
    setText(value);
    clearTimeout(timer.current);
    const write = () => {
      if (accept(value) && value !== last.current) {
        last.current = value;
        commit(value);
      }
    };
    if (delay) {
      timer.current = setTimeout(write, delay);
    } else {
      write();
    }
  };
  return [text, onInput];
}

/**
 * The server's verdict on an expression: `data-state` is pending, ok, error or offline (tests wait on it).
 */
export function useCheck(checker, kind, source) {
  const [verdict, setVerdict] = useState(() => checker.known(kind, source) || { state: 'idle', problems: [] });
  useEffect(() => {
    if (!source || !source.trim()) {
      setVerdict({ state: 'idle', problems: [] });
      return undefined;
    }
    const known = checker.known(kind, source);
    if (known) {
      setVerdict(known);
      return undefined;
    }
    let live = true;
    setVerdict({ state: 'pending', problems: [] });
    const timer = setTimeout(() => {
      checker(kind, source).then((v) => {
        if (live) {
          setVerdict(v);
        }
      });
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [kind, source]);
  return verdict;
}

export function CheckResult(props) {
  const { id, verdict } = props;
  const { state, problems } = verdict;
  let text = '';
  if (state === 'pending') {
    text = t('check.pending');
  } else if (state === 'ok') {
    text = t('check.ok');
  } else if (state === 'offline') {
    text = t('check.offline');
  }
  return (
    <div id={id} class={'ow-check ow-check-' + state} data-state={state} aria-live="polite">
      {state === 'error' ? (
        <ul>
          {problems.map((p, i) => (
            <li key={i}>{(p.line ? t('check.line', { line: p.line }) : '') + p.message}</li>
          ))}
        </ul>
      ) : (
        text
      )}
    </div>
  );
}

/** A monospace editor with line numbers (no external editor: the page works offline). */
export function CodeEditor(props) {
  const { id, value, onInput, rows, errorLines } = props;
  const gutter = useRef(null);
  const count = Math.max((value || '').split('\n').length, rows || 6);
  const bad = new Set(errorLines || []);
  const numbers = [];
  for (let i = 1; i <= count; i++) {
    numbers.push(
      <div key={i} class={bad.has(i) ? 'ow-code-bad' : ''}>
        {i}
      </div>
    );
  }
  const onKeyDown = (event) => {
    if (event.key === 'Tab' && !event.shiftKey) {
      event.preventDefault();
      const area = event.target;
      const start = area.selectionStart;
      const text = area.value.slice(0, start) + '    ' + area.value.slice(area.selectionEnd);
      area.value = text;
      area.selectionStart = area.selectionEnd = start + 4;
      onInput(text);
    }
  };
  return (
    <div class="ow-code">
      <div class="ow-code-gutter" ref={gutter} aria-hidden="true">
        {numbers}
      </div>
      <textarea
        id={id}
        class="bio-properties-panel-input ow-code-text"
        spellcheck={false}
        wrap="off"
        rows={rows || 6}
        value={value}
        onInput={(e) => onInput(e.target.value)}
        onKeyDown={onKeyDown}
        onScroll={(e) => {
          if (gutter.current) {
            gutter.current.scrollTop = e.target.scrollTop;
          }
        }}
      />
    </div>
  );
}
