// The freeze window form: show the fields of the kind chosen (once, or by cron).
// Without this script both sets of fields show and the choice still decides.
(function () {
  "use strict";

  function showChosen(form) {
    const chosen = form.querySelector("input[name=repeats]:checked");
    form.querySelectorAll("[data-repeats]").forEach(function (fields) {
      fields.hidden = chosen !== null && fields.dataset.repeats !== chosen.value;
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.name === "repeats") showChosen(event.target.form);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-freeze-form]").forEach(showChosen);
  });
})();
