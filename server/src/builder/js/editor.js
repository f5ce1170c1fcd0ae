// The form editor: every field type and option of the Form widget's schema, keyboard-only usable
// (reordering is a pair of buttons per field, focus follows the moved field), every control
// labelled, errors shown at the control they concern. Self-contained, so the builder and the
// dashboard mount the same module:
//
//   import { mountEditor } from '/assets/builder/editor.js';
//   const editor = mountEditor(container, config, (config, error) => { … });
//   editor.config();       // the current config (plain JSON)
//   editor.set(config);    // replaces what is edited
//   editor.focusError();   // moves focus to the control of the current error
//
// `onChange` runs after every edit with the config and the check's verdict: `null` when the
// server would accept it, else `{path, reason}` (ck-form's own parser, compiled to wasm: check.js).
// Nothing here re-implements those rules; the editor only decides which inputs a type shows.

import { loadCheck } from './check.js';

const TYPES = [
  ['text', 'Short text'],
  ['email', 'Email'],
  ['tel', 'Phone'],
  ['url', 'Web address'],
  ['number', 'Number'],
  ['textarea', 'Long text'],
  ['select', 'Drop-down'],
  ['radio', 'Choice (radio)'],
  ['checkbox', 'Checkbox'],
  ['hidden', 'Hidden value'],
];
const TEXTS = ['text', 'email', 'tel', 'url', 'textarea'];
// Which inputs each key gets, and for which types (what is shown, not what is allowed: the
// check decides that).
const FIELD_KEYS = [
  { key: 'placeholder', label: 'Placeholder', kind: 'text', types: [...TEXTS, 'number'] },
  { key: 'required', label: 'Required', kind: 'bool', types: TYPES.map(([t]) => t).filter((t) => t !== 'hidden') },
  { key: 'min_length', label: 'Minimum length', kind: 'int', types: TEXTS, pair: 'length' },
  { key: 'max_length', label: 'Maximum length', kind: 'int', types: [...TEXTS, 'hidden'], pair: 'length' },
  { key: 'min', label: 'Minimum', kind: 'num', types: ['number'], pair: 'range' },
  { key: 'max', label: 'Maximum', kind: 'num', types: ['number'], pair: 'range' },
  { key: 'pattern', label: 'Pattern', hint: 'a regular expression the whole value must match', kind: 'text', types: ['text', 'email', 'tel', 'url'] },
  { key: 'options', label: 'Options', hint: 'one per line; "value | Label" to send a different value', kind: 'options', types: ['select', 'radio'] },
  { key: 'autocomplete', label: 'Autocomplete', hint: 'e.g. name, email, tel', kind: 'text', types: ['text', 'email', 'tel', 'url', 'textarea'] },
  { key: 'value', label: 'Default value', hint: 'sent with every submission unless the page sets another; never shown', kind: 'text', types: ['hidden'] },
  // Which of the page URL's query parameters may fill the field (never all of them).
  { key: 'query', label: 'Fill from URL parameters', hint: 'comma-separated names, e.g. utm_source, ref', kind: 'list', types: TYPES.map(([t]) => t) },
];
// The `brand` object's inputs (accent colour, corner radius, font stack).
const BRAND_KEYS = [
  { key: 'accent', label: 'Accent colour', hint: '#rgb or #rrggbb', kind: 'text', placeholder: '#2563eb' }, // ck-style-allow: an example value shown to the publisher, not a style
  { key: 'radius', label: 'Corner radius (px)', hint: '0 to 32', kind: 'int' },
  { key: 'font', label: 'Font stack', hint: 'family names separated by commas, no quotes', kind: 'text', placeholder: 'Inter, system-ui, sans-serif' },
];
const FORM_KEYS = [
  { key: 'title', label: 'Title', kind: 'text' },
  { key: 'description', label: 'Description', kind: 'long' },
  { key: 'submit_label', label: 'Submit button label', kind: 'text', placeholder: 'Send' },
  { key: 'success_message', label: 'Success message', kind: 'long', placeholder: 'Thank you! Your message has been sent.' },
  { key: 'redirect_url', label: 'Redirect after submit', hint: 'optional https:// address', kind: 'url' },
  { key: 'min_fill_ms', label: 'Minimum fill time (ms)', hint: 'faster submissions are treated as bots', kind: 'int', placeholder: '1500' },
];

let editors = 0;

/** Mounts the editor into `container` (emptied) with `config`; see the module comment. */
export function mountEditor(container, config, onChange) {
  const prefix = `ck-ed${++editors}`;
  let uids = 0;
  let model = fromConfig(config);
  let error = null;
  let check = null;

  const root = el('div', { class: 'editor' });
  const live = el('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  const summary = el('p', { class: 'field-error', role: 'alert', hidden: '' });
  const form = el('fieldset');
  form.append(el('legend', {}, 'Form'));
  const fieldsBox = el('div', { class: 'stack' });
  const addType = select(TYPES, 'text');
  addType.id = `${prefix}-add-type`;
  const addButton = el('button', { type: 'button', class: 'quiet' }, 'Add field');
  const adder = el('div', { class: 'row' });
  adder.append(el('label', { for: addType.id }, 'New field type'), addType, addButton);
  const fieldsHead = el('h3', {}, 'Fields');
  root.append(summary, form, fieldsHead, fieldsBox, adder, live);
  container.replaceChildren(root);

  function fromConfig(c) {
    const top = {};
    // Keys without inputs here (e.g. `strings`) pass through unchanged.
    for (const [k, v] of Object.entries(c || {})) if (k !== 'fields' && v != null) top[k] = v;
    top.brand = { ...(c && typeof c.brand === 'object' ? c.brand : {}) };
    const fields = (c && Array.isArray(c.fields) ? c.fields : []).map((f) => ({
      uid: ++uids,
      auto: false,
      data: { ...f },
    }));
    return { top, fields };
  }

  function toConfig() {
    const out = {};
    for (const [k, v] of Object.entries(model.top)) if (v !== '' && v != null && k !== 'brand') out[k] = v;
    const brand = {};
    for (const [k, v] of Object.entries(model.top.brand)) if (v !== '' && v != null) brand[k] = v;
    if (Object.keys(brand).length) out.brand = brand;
    out.fields = model.fields.map((f) => {
      const data = {};
      for (const [k, v] of Object.entries(f.data)) {
        if (v === '' || v == null || v === false) continue;
        if (Array.isArray(v) && !v.length) continue;
        data[k] = v;
      }
      return data;
    });
    return out;
  }

  // --- the form-level inputs ---------------------------------------------------------------

  function renderForm() {
    form.replaceChildren(el('legend', {}, 'Form'));
    for (const spec of FORM_KEYS) {
      form.append(control(spec, model.top[spec.key], spec.key, (v) => {
        model.top[spec.key] = v;
        changed();
      }));
    }
    const brand = el('fieldset');
    brand.append(el('legend', {}, 'Brand'));
    for (const spec of BRAND_KEYS) {
      brand.append(control(spec, model.top.brand[spec.key], `brand.${spec.key}`, (v) => {
        model.top.brand[spec.key] = v;
        changed();
      }, `${prefix}-brand-${spec.key}`));
    }
    form.append(brand);
  }

  // --- the fields -----------------------------------------------------------------------------

  function renderFields(focus) {
    fieldsBox.replaceChildren();
    model.fields.forEach((f, i) => fieldsBox.append(fieldCard(f, i)));
    if (focus) {
      const target = document.getElementById(focus);
      if (target) target.focus();
    }
  }

  function legendText(f, i) {
    const type = TYPES.find(([t]) => t === f.data.type);
    const name = f.data.label || f.data.name || 'untitled';
    return `Field ${i + 1}: ${name} (${type ? type[1] : f.data.type})`;
  }

  function fieldCard(f, i) {
    const id = `${prefix}-f${f.uid}`;
    const card = el('fieldset', { class: 'field-card', id });
    const legend = el('legend', { id: `${id}-legend` }, legendText(f, i));
    card.append(legend);
    const path = `fields[${i}]`;
    const refresh = () => { legend.textContent = legendText(f, model.fields.indexOf(f)); };

    const typeSelect = select(TYPES, f.data.type || 'text');
    typeSelect.id = `${id}-type`;
    typeSelect.dataset.path = `${path}.type`;
    typeSelect.addEventListener('change', () => {
      f.data.type = typeSelect.value;
      // Keys the new type does not show would be refused by the check: drop them.
      for (const spec of FIELD_KEYS) {
        if (!spec.types.includes(f.data.type)) delete f.data[spec.key];
      }
      if (['select', 'radio'].includes(f.data.type) && !f.data.options) f.data.options = ['Option 1', 'Option 2'];
      renderFields(typeSelect.id);
      changed();
    });
    const top = el('div', { class: 'pair' });
    top.append(wrap('Type', typeSelect));
    if (f.data.type !== 'hidden') {
      top.append(control({ key: 'label', label: 'Label', kind: 'text' }, f.data.label, `${path}.label`, (v) => {
        f.data.label = v;
        if (f.auto) {
          f.data.name = nameFrom(v, f);
          const nameInput = document.getElementById(`${id}-name`);
          if (nameInput) nameInput.value = f.data.name;
        }
        refresh();
        changed();
      }, `${id}-label`));
    }
    card.append(top);
    card.append(control({ key: 'name', label: 'Name', hint: 'the key of this value in submissions', kind: 'text' },
      f.data.name, `${path}.name`, (v) => {
        f.data.name = v;
        f.auto = false;
        refresh();
        changed();
      }, `${id}-name`));

    let pairBox = null;
    let pairName = null;
    for (const spec of FIELD_KEYS) {
      if (!spec.types.includes(f.data.type)) continue;
      const c = control(spec, f.data[spec.key], `${path}.${spec.key}`, (v) => {
        f.data[spec.key] = v;
        changed();
      }, `${id}-${spec.key}`);
      if (spec.pair) {
        if (pairName !== spec.pair) {
          pairBox = el('div', { class: 'pair' });
          pairName = spec.pair;
          card.append(pairBox);
        }
        pairBox.append(c);
      } else {
        pairName = null;
        card.append(c);
      }
    }

    const tools = el('div', { class: 'tools' });
    const name = () => f.data.label || f.data.name || `field ${model.fields.indexOf(f) + 1}`;
    const up = el('button', { type: 'button', class: 'quiet', id: `${id}-up`, 'aria-label': `Move up: ${name()}` }, 'Move up');
    const down = el('button', { type: 'button', class: 'quiet', id: `${id}-down`, 'aria-label': `Move down: ${name()}` }, 'Move down');
    const remove = el('button', { type: 'button', class: 'quiet', id: `${id}-remove`, 'aria-label': `Remove ${name()}` }, 'Remove');
    if (i === 0) up.disabled = true;
    if (i === model.fields.length - 1) down.disabled = true;
    up.addEventListener('click', () => move(f, -1));
    down.addEventListener('click', () => move(f, 1));
    remove.addEventListener('click', () => removeField(f));
    tools.append(up, down, remove);
    card.append(tools);
    return card;
  }

  function move(f, by) {
    const from = model.fields.indexOf(f);
    const to = from + by;
    if (to < 0 || to >= model.fields.length) return;
    model.fields.splice(from, 1);
    model.fields.splice(to, 0, f);
    const id = `${prefix}-f${f.uid}`;
    // Focus stays on the button pressed, unless the field reached the edge (then it is disabled).
    const atEdge = (by < 0 && to === 0) || (by > 0 && to === model.fields.length - 1);
    const focus = `${id}-${(by < 0) !== atEdge ? 'up' : 'down'}`;
    renderFields(focus);
    say(`${f.data.label || f.data.name} moved to position ${to + 1} of ${model.fields.length}.`);
    changed();
  }

  function removeField(f) {
    const at = model.fields.indexOf(f);
    model.fields.splice(at, 1);
    const next = model.fields[Math.min(at, model.fields.length - 1)];
    renderFields(next ? `${prefix}-f${next.uid}-remove` : addType.id);
    if (!next) addType.focus();
    say(`${f.data.label || f.data.name} removed.`);
    changed();
  }

  function nameFrom(label, f) {
    let base = (label || '').toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 40);
    if (!base || base.startsWith('ck_')) base = `field_${f.uid}`;
    let name = base;
    for (let n = 2; model.fields.some((o) => o !== f && o.data.name === name); n++) name = `${base}_${n}`;
    return name;
  }

  addButton.addEventListener('click', () => {
    const type = addType.value;
    const f = { uid: ++uids, auto: true, data: { type } };
    const label = TYPES.find(([t]) => t === type)[1];
    if (type !== 'hidden') f.data.label = label;
    f.data.name = nameFrom(label, f);
    if (type === 'select' || type === 'radio') f.data.options = ['Option 1', 'Option 2'];
    if (type === 'hidden') f.data.value = 'value';
    model.fields.push(f);
    renderFields(`${prefix}-f${f.uid}-${type === 'hidden' ? 'name' : 'label'}`);
    say(`${label} field added as field ${model.fields.length}.`);
    changed();
  });

  // --- errors ---------------------------------------------------------------------------------

  function showError() {
    for (const old of root.querySelectorAll('.field-error[data-for]')) old.remove();
    for (const bad of root.querySelectorAll('[aria-invalid]')) {
      bad.removeAttribute('aria-invalid');
      bad.removeAttribute('aria-describedby');
    }
    summary.hidden = true;
    if (!error) return;
    const target = errorTarget();
    const text = `${describe(error.path)}: ${error.reason}`;
    if (!target) {
      summary.textContent = text;
      summary.hidden = false;
      return;
    }
    const message = el('p', { class: 'field-error', id: `${prefix}-error`, 'data-for': error.path }, text);
    target.setAttribute('aria-invalid', 'true');
    target.setAttribute('aria-describedby', message.id);
    (target.closest('label') || target).after(message);
  }

  function errorTarget() {
    if (!error) return null;
    const exact = root.querySelector(`[data-path="${CSS.escape(error.path)}"]`);
    if (exact) return exact;
    const m = /^fields\[(\d+)\]/.exec(error.path);
    const f = m && model.fields[Number(m[1])];
    return f ? document.getElementById(`${prefix}-f${f.uid}-type`) : null;
  }

  function describe(path) {
    const m = /^fields\[(\d+)\](?:\.(.+))?$/.exec(path);
    if (!m) return path ? path.replace(/_/g, ' ') : 'The form';
    const f = model.fields[Number(m[1])];
    const field = f ? (f.data.label || f.data.name || `field ${Number(m[1]) + 1}`) : `field ${Number(m[1]) + 1}`;
    return m[2] ? `${field}, ${m[2].replace(/_/g, ' ')}` : field;
  }

  // --- changes --------------------------------------------------------------------------------

  function changed() {
    const config = toConfig();
    error = check ? check(config) : null;
    showError();
    onChange(config, check ? error : undefined);
  }

  function say(text) {
    live.textContent = text;
  }

  renderForm();
  renderFields();
  // The page works at once; the verdict follows when the check's wasm is ready.
  changed();
  loadCheck().then((fn) => {
    check = fn;
    changed();
  }, (e) => {
    summary.textContent = `The config check did not load (${e}); the server still checks on publish.`;
    summary.hidden = false;
  });

  return {
    config: toConfig,
    set(next) {
      model = fromConfig(next);
      renderForm();
      renderFields();
      changed();
    },
    focusError() {
      const target = errorTarget() || summary;
      if (target === summary) summary.tabIndex = -1;
      target.focus();
    },
    error: () => error,
    ready: () => loadCheck(),
  };
}

// --- small DOM helpers (text always through textContent / value, never markup) -----------------

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text != null) node.textContent = text;
  return node;
}

function select(options, value) {
  const s = el('select');
  for (const [v, label] of options) s.append(el('option', { value: v }, label));
  s.value = value;
  return s;
}

function wrap(label, input, hint) {
  const l = el('label', {}, label);
  if (hint) l.append(el('span', { class: 'hint' }, hint));
  l.append(input);
  return l;
}

/** One labelled input for `spec` (`kind`: text, long, url, int, num, bool, options, list). */
function control(spec, value, path, set, id) {
  let input;
  if (spec.kind === 'bool') {
    input = el('input', { type: 'checkbox' });
    input.checked = value === true;
    input.addEventListener('change', () => set(input.checked));
  } else if (spec.kind === 'list') {
    input = el('input', { type: 'text' });
    input.value = Array.isArray(value) ? value.join(', ') : '';
    input.addEventListener('input', () => set(input.value.split(',').map((s) => s.trim()).filter(Boolean)));
  } else if (spec.kind === 'long' || spec.kind === 'options') {
    input = el('textarea', { rows: spec.kind === 'options' ? '4' : '2' });
    input.value = spec.kind === 'options' ? optionsText(value) : (value ?? '');
    input.addEventListener('input', () => set(spec.kind === 'options' ? parseOptions(input.value) : input.value));
  } else {
    const numeric = spec.kind === 'int' || spec.kind === 'num';
    input = el('input', { type: numeric ? 'number' : spec.kind === 'url' ? 'url' : 'text' });
    if (numeric) input.step = spec.kind === 'int' ? '1' : 'any';
    if (spec.placeholder) input.placeholder = spec.placeholder;
    input.value = value ?? '';
    input.addEventListener('input', () => {
      const raw = input.value.trim();
      // An unparsable number is sent as the text it is, so the check names it (not silently dropped).
      set(numeric ? (raw === '' ? '' : (Number.isFinite(Number(raw)) ? Number(raw) : raw)) : input.value);
    });
  }
  if (id) input.id = id;
  input.dataset.path = path;
  if (spec.kind === 'bool') {
    const l = el('label', { class: 'check' });
    l.append(input, document.createTextNode(spec.label));
    return l;
  }
  return wrap(spec.label, input, spec.hint);
}

function optionsText(options) {
  return (Array.isArray(options) ? options : [])
    .map((o) => (typeof o === 'string' ? o : o.label && o.label !== o.value ? `${o.value} | ${o.label}` : o.value))
    .join('\n');
}

function parseOptions(text) {
  return text.split('\n').map((line) => line.trim()).filter(Boolean).map((line) => {
    const bar = line.indexOf(' | ');
    return bar < 0 ? line : { value: line.slice(0, bar).trim(), label: line.slice(bar + 3).trim() };
  });
}
