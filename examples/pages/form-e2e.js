// Records the widget events for the browser tests: window.ckEvents = [{name, detail}, …].
(function () {
  window.ckEvents = [];
  window.ck = window.ck || function () { (window.ck.q = window.ck.q || []).push(arguments); };
  ['form:submit', 'form:success', 'form:error', 'widget:mounted', 'widget:error',
    'announcement:ended', 'announcement:dismissed'].forEach(function (name) {
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
