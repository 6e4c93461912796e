// Drafts of the long forms (form[data-keep-draft]): what the user types is kept in this
// tab's sessionStorage as they type, so that a session that ends meanwhile (the idle
// limit, the session's lifetime) loses nothing. The form sent while signed out leads to
// the login page; after the login the same form is shown again, with the text back in it.
//
// A draft belongs to one form (the path it is sent to, and its id) and one user (the
// body's data-draft-owner); it is dropped once the form was sent and accepted, when its
// owner logs out, and after a day. Files, passwords and hidden fields (the CSRF token,
// the version a change is based on) are never kept.
(function () {
  "use strict";

  var PREFIX = "liaison-draft:";
  var PENDING = "liaison-draft-sent";
  var MAX_AGE_MS = 24 * 60 * 60 * 1000;
  var NOT_KEPT = ["hidden", "password", "file", "submit", "button", "reset", "image"];

  var storage;
  try {
    storage = window.sessionStorage;
    storage.getItem(PENDING);
  } catch (error) {
    return; // storage refused (privacy settings): forms work as before, without drafts
  }

  function read(key) {
    try {
      return JSON.parse(storage.getItem(key));
    } catch (error) {
      return null;
    }
  }

  function write(key, value) {
    try {
      storage.setItem(key, JSON.stringify(value));
    } catch (error) {
      // Storage full: the form itself still works.
    }
  }

  function keyOf(form) {
    return PREFIX + new URL(form.action, window.location.href).pathname + "#" + (form.id || "");
  }

  function owner() {
    return document.body.dataset.draftOwner || "";
  }

  function keptFields(form) {
    return Array.prototype.filter.call(form.elements, function (field) {
      return field.name && NOT_KEPT.indexOf(field.type) === -1;
    });
  }

  function snapshot(form) {
    var values = {};
    var typed = false;
    keptFields(form).forEach(function (field) {
      if (field.type === "checkbox" || field.type === "radio") {
        values[field.name] = values[field.name] || [];
        if (field.checked) {
          values[field.name].push(field.value);
        }
      } else if (field.type === "select-multiple") {
        values[field.name] = Array.prototype.filter.call(field.options, function (option) {
          return option.selected;
        }).map(function (option) { return option.value; });
      } else {
        values[field.name] = field.value;
        // A choice alone is quickly made again: a draft is kept once something is typed.
        typed = typed || (field.tagName !== "SELECT" && field.value.trim() !== "");
      }
    });
    return typed ? values : null;
  }

  function restore(form, values) {
    var changed = false;
    keptFields(form).forEach(function (field) {
      if (!Object.prototype.hasOwnProperty.call(values, field.name)) {
        return;
      }
      var value = values[field.name];
      if (field.type === "checkbox" || field.type === "radio") {
        var checked = Array.isArray(value) && value.indexOf(field.value) !== -1;
        changed = changed || field.checked !== checked;
        field.checked = checked;
      } else if (field.type === "select-multiple") {
        Array.prototype.forEach.call(field.options, function (option) {
          var selected = Array.isArray(value) && value.indexOf(option.value) !== -1;
          changed = changed || option.selected !== selected;
          option.selected = selected;
        });
      } else if (typeof value === "string" && field.value !== value) {
        if (field.tagName === "SELECT" &&
            !Array.prototype.some.call(field.options, function (o) { return o.value === value; })) {
          return; // the choice is no longer offered
        }
        field.value = value;
        changed = true;
      }
    });
    return changed;
  }

  function forgetAll() {
    for (var index = storage.length - 1; index >= 0; index--) {
      var key = storage.key(index);
      if (key && (key.indexOf(PREFIX) === 0 || key === PENDING)) {
        storage.removeItem(key);
      }
    }
  }

  function save(form) {
    if (!owner()) {
      return;
    }
    var values = snapshot(form);
    if (values) {
      write(keyOf(form), {owner: owner(), at: Date.now(), values: values});
    } else {
      storage.removeItem(keyOf(form));
    }
  }

  // The page after a form was sent. The login page (the session had ended): keep the
  // draft for the page after the login. The form back at the address it was sent to,
  // without a success message: refused, the draft stays with it. Anything else: it was
  // accepted, and the draft has done its job.
  var sent = read(PENDING);
  if (sent) {
    if (document.querySelector("form[data-sign-in]")) {
      sent.signedOut = true;
      write(PENDING, sent);
    } else {
      storage.removeItem(PENDING);
      var refused = window.location.pathname === sent.action &&
        !document.querySelector(".liaison-messages .alert-success");
      if (!refused && !sent.signedOut) {
        storage.removeItem(sent.key);
      }
    }
  }

  document.querySelectorAll("form[data-keep-draft]").forEach(function (form) {
    var draft = read(keyOf(form));
    if (!draft || !draft.values) {
      return;
    }
    if (draft.owner !== owner() || Date.now() - draft.at > MAX_AGE_MS) {
      storage.removeItem(keyOf(form));
      return;
    }
    if (restore(form, draft.values)) {
      var note = document.createElement("div");
      note.className = "alert alert-info liaison-draft-restored";
      note.setAttribute("role", "status");
      note.textContent = document.body.dataset.draftRestored || "";
      if (form.querySelector("input[type=file]") && document.body.dataset.draftRestoredFiles) {
        note.textContent += " " + document.body.dataset.draftRestoredFiles;
      }
      form.parentNode.insertBefore(note, form);
    }
  });

  function keptForm(target) {
    return target && target.closest ? target.closest("form[data-keep-draft]") : null;
  }

  document.addEventListener("input", function (event) {
    var form = keptForm(event.target);
    if (form) {
      save(form);
    }
  });
  document.addEventListener("change", function (event) {
    var form = keptForm(event.target);
    if (form) {
      save(form);
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches("[data-clears-drafts]")) {
      forgetAll(); // logging out: the next user of this tab sees none of it
    } else if (form.matches("[data-keep-draft]")) {
      save(form);
      write(PENDING, {
        key: keyOf(form),
        action: new URL(form.action, window.location.href).pathname
      });
    }
  });
})();
