// Demo page script (the publisher's page, not the embed): creates a draft form on this server,
// then adds the mount point. The runtime picks it up through its MutationObserver.
(function () {
  var config = {
    title: 'Get a quote',
    description: 'Tell us what you need; we answer within one working day.',
    fields: [
      { type: 'text', name: 'name', label: 'Your name', required: true, autocomplete: 'name', max_length: 80 },
      { type: 'email', name: 'email', label: 'Email', required: true, autocomplete: 'email' },
      { type: 'tel', name: 'phone', label: 'Phone', autocomplete: 'tel' },
      { type: 'select', name: 'service', label: 'Service', required: true,
        options: ['Repair', 'Installation', { value: 'other', label: 'Something else' }] },
      { type: 'radio', name: 'when', label: 'When', options: ['This week', 'This month', 'No rush'] },
      { type: 'number', name: 'rooms', label: 'Number of rooms', min: 1, max: 50 },
      { type: 'text', name: 'zip', label: 'Postcode (5 digits)', pattern: '\\d{5}' },
      { type: 'textarea', name: 'message', label: 'Message', required: true, min_length: 10 },
      { type: 'checkbox', name: 'agree', label: 'I agree to be contacted about my request', required: true },
      { type: 'hidden', name: 'source', value: 'form-demo' }
    ],
    submit_label: 'Request quote',
    success_message: 'Thank you! We will get back to you within one working day.'
  };
  var log = function (line) {
    var pre = document.getElementById('log');
    if (pre) pre.textContent += line + '\n';
  };
  window.ck = window.ck || function () { (window.ck.q = window.ck.q || []).push(arguments); };
  ['form:submit', 'form:success', 'form:error', 'widget:error'].forEach(function (name) {
    window.ck('on', name, function (detail) {
      log(name + ' ' + JSON.stringify({ id: detail && detail.id, reason: detail && detail.reason }));
    });
  });
  var slot = document.getElementById('slot');
  document.querySelectorAll('[data-theme],[data-dir]').forEach(function (button) {
    button.addEventListener('click', function () {
      var widget = slot.firstElementChild;
      if (!widget) return;
      if (button.dataset.theme) widget.setAttribute('data-ck-theme', button.dataset.theme);
      if (button.dataset.dir) widget.setAttribute('dir', button.dataset.dir);
    });
  });
  fetch('/api/v1/drafts', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'form', config: config, name: 'Demo quote form' })
  }).then(function (r) {
    if (!r.ok) throw new Error('draft: HTTP ' + r.status);
    return r.json();
  }).then(function (draft) {
    var mount = document.createElement('div');
    mount.setAttribute('data-ck-widget', 'form');
    mount.setAttribute('data-ck-id', draft.instance_id);
    mount.setAttribute('data-ck-token', draft.embed_token);
    slot.appendChild(mount);
  }).catch(function (e) { log('demo setup failed: ' + e.message); });
})();
