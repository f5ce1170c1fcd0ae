// Records the widget events for the browser tests: window.ckEvents = [{name, detail}, …].
// A page records more names with data-ck-events="a:b c:d" on this script tag (a widget's own
// events, e.g. the pages `cargo xtask new-widget` writes).
(function () {
  window.ckEvents = [];
  window.ck = window.ck || function () { (window.ck.q = window.ck.q || []).push(arguments); };
  var own = document.currentScript && document.currentScript.getAttribute('data-ck-events');
  ['form:submit', 'form:success', 'form:error', 'widget:mounted', 'widget:error',
    'announcement:ended', 'announcement:dismissed'].concat(own ? own.split(' ') : []).forEach(function (name) {
    window.ck('on', name, function (detail) {
      var copy = {};
      if (detail && typeof detail === 'object') {
        Object.keys(detail).forEach(function (k) {
          var v = detail[k];
          copy[k] = (v && typeof v === 'object') ? '[object]' : v;
        });
      }
      window.ckEvents.push({ name: name, detail: copy });
    });
  });
})();
