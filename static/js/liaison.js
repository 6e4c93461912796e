// Small behaviours shared by every page.
(function () {
  "use strict";

  // A second click on a submit button while the first request is on its way does
  // nothing: the button is disabled just after the browser has collected the form
  // data (so the clicked button's name and value are still sent). The server guards
  // against doubles as well; this only spares the user a confusing second request.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.submitting === "1") {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "1";
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit], button:not([type]), [data-disable-on-submit]").forEach(function (button) {
        button.disabled = true;
      });
    }, 0);
  });

  // Coming back with the browser's back button shows the page from its cache:
  // re-enable what was disabled above.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submitting]").forEach(function (form) {
      delete form.dataset.submitting;
      form.querySelectorAll("button").forEach(function (button) { button.disabled = false; });
    });
  });
})();
