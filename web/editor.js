// The run panel's code editor: CodeMirror 6 with the grammar of the
// language picked, in place of the plain text area (which stays the form's
// value, kept in step, and is what a browser without modules uses).
//
// - The editor lives in a shadow root: there CodeMirror's styles are
//   constructed style sheets, which the page's strict CSP allows.
// - Its text and language are kept in localStorage, so they survive a
//   reload.
import { EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter,
  highlightSpecialChars, drawSelection } from '@codemirror/view';
import { EditorState, Compartment } from '@codemirror/state';
import { syntaxHighlighting, defaultHighlightStyle, bracketMatching, indentOnInput,
  indentUnit } from '@codemirror/language';
import { history, defaultKeymap, historyKeymap, indentWithTab } from '@codemirror/commands';
import { closeBrackets, closeBracketsKeymap } from '@codemirror/autocomplete';
import { oneDark } from '@codemirror/theme-one-dark';
import { python } from '@codemirror/lang-python';
import { javascript } from '@codemirror/lang-javascript';
import { cpp } from '@codemirror/lang-cpp';

const SAVED_KEY = 'polyrun.editor';
const GRAMMARS = {
  python: () => [python(), indentUnit.of('    ')],
  javascript: () => javascript(),
  typescript: () => javascript({ typescript: true }),
  c: () => cpp(),
  'c++': () => cpp(),
};

const picker = document.getElementById('run-language');
const textArea = document.getElementById('run-code');
const host = document.getElementById('run-editor');

function load() {
  try {
    const saved = JSON.parse(localStorage.getItem(SAVED_KEY) || 'null');
    if (saved && typeof saved.code === 'string' && GRAMMARS[saved.language]) return saved;
  } catch { /* nothing saved, or not by us */ }
  return null;
}

function save(code) {
  try {
    localStorage.setItem(SAVED_KEY, JSON.stringify({ language: picker.value, code }));
  } catch { /* storage full or disabled: the text still runs */ }
}

const saved = load();
if (saved) {
  picker.value = saved.language;
  textArea.value = saved.code;
}

const grammar = new Compartment();
const shadow = host.attachShadow({ mode: 'open' });
const view = new EditorView({
  root: shadow,
  parent: shadow,
  state: EditorState.create({
    doc: textArea.value,
    extensions: [
      lineNumbers(),
      highlightActiveLineGutter(),
      highlightSpecialChars(),
      history(),
      drawSelection(),
      indentOnInput(),
      syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
      bracketMatching(),
      closeBrackets(),
      highlightActiveLine(),
      keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, indentWithTab]),
      oneDark,
      EditorView.theme({
        '&': { height: '100%', fontSize: '13px' },
        '.cm-scroller': { fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace' },
      }),
      grammar.of(GRAMMARS[picker.value]()),
      EditorView.updateListener.of((update) => {
        if (!update.docChanged) return;
        textArea.value = update.state.doc.toString();
        save(textArea.value);
      }),
    ],
  }),
});
host.hidden = false;
textArea.hidden = true;

picker.addEventListener('change', () => {
  view.dispatch({ effects: grammar.reconfigure(GRAMMARS[picker.value]()) });
  save(textArea.value);
});

// For tests and the curious.
window.polyrun = { ...(window.polyrun || {}), editor: view };
