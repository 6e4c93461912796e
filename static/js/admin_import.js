// The admin's import from Excel (templates/admin/imports/import.html): a double click on
// "Confirm import" sends the form once (the server imports once anyway).
(function () {
  "use strict";

  var form = document.getElementById("import-confirm");
  if (!form) {
    return;
  }
  form.addEventListener("submit", function (event) {
    if (form.dataset.sent) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
  });
})();
