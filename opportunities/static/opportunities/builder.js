// Condition builder enhancements. Without this file the form still works: "Add a rule" and
// "Remove" submit the form and the page comes back with the rows changed.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("opportunity-form");
  if (!form) return;
  form.classList.add("js-builder");

  // Show only the editor that is in use.
  const editors = form.querySelectorAll("[data-editor]");
  const syncMode = () => {
    const mode = form.querySelector("[data-mode]:checked")?.value || "rules";
    editors.forEach((el) => { el.hidden = el.dataset.editor !== mode; });
  };
  form.querySelectorAll("[data-mode]").forEach((el) => el.addEventListener("change", syncMode));
  syncMode();

  // Add and remove rule rows in place.
  const rules = document.getElementById("rules");
  const count = document.getElementById("rule-count");
  const template = document.getElementById("rule-template");
  const renumber = (row, index) => {
    row.querySelectorAll("[name], [id], label[for]").forEach((el) => {
      for (const attr of ["name", "id", "for"]) {
        const value = el.getAttribute(attr);
        if (value) el.setAttribute(attr, value.replace(/^rule-(\d+|__i__)-/, `rule-${index}-`));
      }
    });
    const remove = row.querySelector("[data-remove-rule]");
    if (remove) {
      remove.value = `remove-${index}`;
      remove.setAttribute("aria-label", `Remove rule ${index + 1}`);
    }
  };
  const renumberAll = () => {
    const rows = rules.querySelectorAll("[data-rule]");
    rows.forEach((row, index) => renumber(row, index));
    count.value = rows.length;
  };
  form.querySelector("[data-add-rule]")?.addEventListener("click", (event) => {
    event.preventDefault();
    const row = template.content.firstElementChild.cloneNode(true);
    rules.appendChild(row);
    renumberAll();
    row.querySelector("select")?.focus();
  });
  rules.addEventListener("click", (event) => {
    const button = event.target.closest("[data-remove-rule]");
    if (!button) return;
    event.preventDefault();
    const rows = rules.querySelectorAll("[data-rule]");
    if (rows.length > 1) {
      button.closest("[data-rule]").remove();
    } else {
      rows[0].querySelectorAll("input, select").forEach((el) => { el.value = ""; });
    }
    renumberAll();
    form.dispatchEvent(new Event("change", { bubbles: true }));
  });
});
