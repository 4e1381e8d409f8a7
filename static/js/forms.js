// Form behaviour that would otherwise be inline handlers (the CSP allows no inline
// script): a <select data-autosubmit> submits its form when changed, and a
// <form data-confirm="question"> asks before it submits.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("select[data-autosubmit]") && field.form) field.form.submit();
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });
})();
