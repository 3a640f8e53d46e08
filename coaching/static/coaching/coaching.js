// Assessments list: filters apply through htmx on change; the Filter button stays for
// keyboards and pages without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form.filters");
  if (form && window.htmx) {
    form.querySelector("button[type=submit]")?.classList.add("visually-hidden-focusable");
  }
});
