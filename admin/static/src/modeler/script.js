/* A script task's Python, in a code editor with line numbers and a live sandbox check. */

import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject } from 'bpmn-js/lib/util/ModelUtil';

import { t } from './i18n.js';
import { CheckResult, CodeEditor, Entry, useCheck, useDraft } from './ui.js';

function ScriptBody({ element }) {
  const ctx = useService('owContext');
  const modeling = useService('modeling');
  const bo = getBusinessObject(element);
  const model = bo.script || '';
  const write = (text) => modeling.updateProperties(element, { script: text || undefined, scriptFormat: bo.scriptFormat || 'python' });
  const [text, onInput] = useDraft(model, () => true, write, 300);
  const verdict = useCheck(ctx.check, 'script', model);
  const lines = verdict.state === 'error' ? verdict.problems.map((p) => p.line).filter(Boolean) : [];
  return (
    <Entry id="ow-script" label={t('script')} hint={t('script.hint')}>
      <CodeEditor id="ow-script" value={text} onInput={onInput} rows={8} errorLines={lines} />
      <CheckResult id="ow-script-check" verdict={verdict} />
    </Entry>
  );
}

export function ScriptEntry({ element }) {
  return <ScriptBody key={element.id} element={element} />;
}
