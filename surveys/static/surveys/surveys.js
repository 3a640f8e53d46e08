/* Surveys pages: show only the parts of the question form its type uses, keep focus on the
   move button after an htmx reorder, confirm deletes, and submit selects marked
   data-autosubmit. Without JavaScript every form still works as a full page. */
(function () {
  "use strict";

  function syncKindSections(form) {
    var kind = form.querySelector("select[name=kind]");
    if (!kind) return;
    form.querySelectorAll("[data-kind-section]").forEach(function (section) {
      var kinds = section.getAttribute("data-kind-section").split(" ");
      section.hidden = kinds.indexOf(kind.value) === -1;
    });
  }

  function init() {
    document.querySelectorAll("form[data-question-form]").forEach(syncKindSections);
    document.querySelectorAll(".scoring-help.open-always").forEach(function (d) { d.open = true; });
  }

  document.addEventListener("DOMContentLoaded", init);

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("form[data-question-form] select[name=kind]")) {
      syncKindSections(target.form);
    }
    if (target.matches("select[data-autosubmit]")) target.form.requestSubmit();
  });

  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  document.addEventListener("htmx:afterSwap", function () {
    var moved = document.querySelector("#question-list [data-focus]");
    if (!moved) return;
    if (moved.disabled) {
      // Reached the top or bottom: keep focus on the same question's other move button.
      var other = moved.getAttribute("data-move") === "up" ? "down" : "up";
      moved = document.querySelector(
        "#question-list [data-move=" + other + "][data-question='" +
        moved.getAttribute("data-question") + "']");
    }
    if (moved) moved.focus();
  });
})();
