/* Learning pages: show the course fields that fit the chosen content kind, a small
   formatting toolbar for article text, and confirmation before cancelling a task.
   Without JavaScript every field is shown and every form still works. */
(function () {
  "use strict";

  function syncSourceFields(form) {
    var checked = form.querySelector("input[name=source]:checked, input[name=source][type=hidden]");
    if (!checked) return;
    form.querySelectorAll("[data-show-for]").forEach(function (block) {
      block.hidden = block.getAttribute("data-show-for").split(" ").indexOf(checked.value) === -1;
    });
    var body = form.querySelector("label[for=id_body]");
    if (body) body.textContent = checked.value === "free_form" ? "Content" : "Article text";
  }

  var TOOLS = [
    ["H", "Heading", "<h2>", "</h2>"], ["B", "Bold", "<strong>", "</strong>"],
    ["I", "Italic", "<em>", "</em>"], ["• List", "Bulleted list", "<ul>\n  <li>", "</li>\n</ul>"],
    ["1. List", "Numbered list", "<ol>\n  <li>", "</li>\n</ol>"], ["¶", "Paragraph", "<p>", "</p>"],
    ["Link", "Link", '<a href="https://">', "</a>"],
  ];

  function addToolbar(textarea) {
    var bar = document.createElement("div");
    bar.className = "rich-toolbar";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", "Formatting");
    TOOLS.forEach(function (tool) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-outline-secondary";
      button.textContent = tool[0];
      button.setAttribute("aria-label", tool[1]);
      button.addEventListener("click", function () {
        var start = textarea.selectionStart, end = textarea.selectionEnd, value = textarea.value;
        textarea.value = value.slice(0, start) + tool[2] + value.slice(start, end) + tool[3] + value.slice(end);
        textarea.focus();
        textarea.selectionStart = start + tool[2].length;
        textarea.selectionEnd = end + tool[2].length;
      });
      bar.appendChild(button);
    });
    textarea.parentNode.insertBefore(bar, textarea);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-course-form]").forEach(function (form) {
      syncSourceFields(form);
      form.addEventListener("change", function (event) {
        if (event.target.name === "source") syncSourceFields(form);
      });
    });
    document.querySelectorAll("textarea[data-rich-text]").forEach(addToolbar);
  });

  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });
})();
