// Adds a mount point 500 ms after load (an SPA route change); the e2e test later removes it.
window.addEventListener('load', function () {
  setTimeout(function () {
    var el = document.createElement('div');
    el.id = 'late';
    el.setAttribute('data-ck-widget', 'form');
    el.setAttribute('data-ck-config', '{"title":"Late","fields":[{"type":"text","name":"n","label":"Name"}]}');
    document.getElementById('late-slot').appendChild(el);
    window.ckLateAddedAt = performance.now();
  }, 500);
});
