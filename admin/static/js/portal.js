// The citizen portal's only script: print buttons and confirmations (no inline script under the CSP).
(function () {
  document.querySelectorAll("[data-pt-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
  document.querySelectorAll("form[data-pt-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.getAttribute("data-pt-confirm"))) { e.preventDefault(); }
    });
  });
})();
