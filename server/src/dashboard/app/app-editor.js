// The widget page's form editor and live preview: the builder's own modules (the same editor
// and the real embed as preview), mounted over the plain config form. Without this script the
// page still works: the JSON textarea posts and the server checks it.
//
// The textarea stays the one thing the form posts; the editor writes into it on every change,
// and an edit of the JSON (under "Edit as JSON") is read back into the editor.

import { mountEditor } from '/assets/builder/editor.js';
import { mountPreview } from '/assets/builder/preview.js';

const form = document.querySelector('form.config-form');
const textarea = form && form.querySelector('textarea[name=config]');
const shell = document.getElementById('config-editor');

function parse(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const initial = textarea && parse(textarea.value);
if (shell && initial) {
  shell.hidden = false;
  // The JSON stays reachable, folded: the editor is the main way to edit.
  const details = form.querySelector('details.json');
  if (details) details.open = false;
  const message = document.getElementById('config-check');
  const preview = mountPreview(document.getElementById('config-preview'));
  let lastError = null;
  const editor = mountEditor(document.getElementById('config-fields'), initial, (config, error) => {
    lastError = error;
    textarea.value = JSON.stringify(config, null, 2);
    message.hidden = !error;
    message.textContent = error ? `Not saved yet: ${error.path}: ${error.reason}` : '';
    // An invalid config is not previewed: the widget would refuse it too.
    if (!error) preview.show(config, 'auto');
  });
  preview.show(initial, 'auto');
  textarea.addEventListener('input', () => {
    const config = parse(textarea.value);
    if (config) editor.set(config);
  });
  form.addEventListener('submit', (event) => {
    // The server would refuse it: keep the page and take the owner to the field instead.
    if (lastError) {
      event.preventDefault();
      editor.focusError();
    }
  });
}
