/* Skills pages: open a matrix cell's editor in place (htmx), keep focus where the person
   works, and submit select boxes marked data-autosubmit. Without JavaScript every link and
   form still works as a full page. */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-cell]");
    if (!link || !window.htmx || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    window.htmx.ajax("GET", link.getAttribute("href"), {
      source: link, target: link.closest("td"), swap: "innerHTML",
    });
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var cell = event.detail.target;
    if (!cell || cell.tagName !== "TD") return;
    var select = cell.querySelector("select");
    if (select) { select.focus(); return; }
    var link = cell.querySelector("a[data-cell]");
    if (link) link.focus();
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var editor = event.target.closest && event.target.closest(".cell-editor");
    if (!editor) return;
    var cancel = editor.querySelector("[data-cancel]");
    if (cancel) { event.preventDefault(); cancel.click(); }
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) event.target.form.requestSubmit();
  });
})();
