// A form with data-confirm="…" asks before it is sent (closing a department or an org unit, disabling an
// account). The server checks everything again; this only saves a slip of the mouse.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
