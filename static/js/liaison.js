// Small behaviours shared by every page.
(function () {
  "use strict";

  // A second click on a submit button while the first request is on its way does
  // nothing: the button is disabled just after the browser has collected the form
  // data (so the clicked button's name and value are still sent). The server guards
  // against doubles as well; this only spares the user a confusing second request.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    // A button with data-confirm (withdraw, revoke, delete…) asks first; "Cancel" sends
    // nothing. (A confirm() here, not an onclick attribute: the policy runs no inline code.)
    var asking = event.submitter && event.submitter.dataset ? event.submitter.dataset.confirm : "";
    if (form.dataset.submitting !== "1" && asking && !window.confirm(asking)) {
      event.preventDefault();
      return;
    }
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

  // Error pages: "Back to the previous page" where the tab has one, "Try again" reloads.
  document.querySelectorAll("[data-liaison-back]").forEach(function (button) {
    if (window.history.length > 1) {
      button.hidden = false;
      button.addEventListener("click", function () { window.history.back(); });
    }
  });
  document.querySelectorAll("[data-liaison-reload]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.location.reload(); });
  });

  // A "Print" button (data-print) prints the page. A handler here, not an onclick
  // attribute: the Content-Security-Policy runs no inline code.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) {
      window.print();
    }
  });

  // A bar whose width the server computed (data-progress-width, a percentage): set
  // through the CSSOM, which the policy allows, where a style attribute is refused.
  document.querySelectorAll("[data-progress-width]").forEach(function (bar) {
    var percent = Math.max(0, Math.min(100, parseFloat(bar.dataset.progressWidth) || 0));
    bar.style.width = percent + "%";
  });

  // A refused form comes back with a summary of its errors (templates/liaison/includes/
  // error_summary.html, or an error message): focus moves there, so that keyboard and
  // screen-reader users start from what to correct. (This script is deferred: the page
  // is parsed by now.)
  var summary = document.querySelector("form [data-error-summary]") ||
    document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }

  // A link of the summary moves focus to its field, opening a folded section around it.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-error-summary] a[href^='#']");
    var field = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!field) {
      return;
    }
    event.preventDefault();
    var folded = field.closest("details");
    if (folded) {
      folded.open = true;
    }
    field.focus();
  });

  // A "select all" check box (data-select-all="<name>") ticks or clears the check
  // boxes of that name in its form.
  document.addEventListener("change", function (event) {
    var all = event.target;
    if (!all.matches || !all.matches("input[data-select-all]") || !all.form) {
      return;
    }
    all.form.querySelectorAll('input[type=checkbox][name="' + all.dataset.selectAll + '"]').forEach(function (box) {
      box.checked = all.checked;
    });
  });

  // A table wider than the screen scrolls sideways inside its box (Bootstrap's
  // .table-responsive). Keyboard users must be able to reach and scroll it, so such a
  // box becomes a tab stop, a group named after its section's heading (not a second
  // region of the same name); one that fits is not.
  function markScrollingTables() {
    document.querySelectorAll(".table-responsive").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.tabIndex = 0;
        var section = box.closest("[aria-labelledby]");
        if (section && !box.hasAttribute("aria-labelledby")) {
          box.setAttribute("role", "group");
          box.setAttribute("aria-labelledby", section.getAttribute("aria-labelledby"));
        }
      } else if (box.hasAttribute("tabindex")) {
        box.removeAttribute("tabindex");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", markScrollingTables);
  document.addEventListener("htmx:afterSettle", markScrollingTables);
  window.addEventListener("resize", markScrollingTables);

  // Coming back with the browser's back button shows the page from its cache:
  // re-enable what was disabled above.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submitting]").forEach(function (form) {
      delete form.dataset.submitting;
      form.querySelectorAll("button").forEach(function (button) { button.disabled = false; });
    });
  });
})();
