// fangkong: small behaviours shared by every page. No inline script anywhere (CSP: script-src 'self').
(function () {
  "use strict";
  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  // htmx requests carry the CSRF token.
  document.addEventListener("htmx:configRequest", function (evt) {
    evt.detail.headers["X-CSRFToken"] = csrfToken();
  });
  function bind(root) {
    root.querySelectorAll("select[data-autosubmit]").forEach(function (el) {
      if (el.dataset.bound) return;
      el.dataset.bound = "1";
      el.addEventListener("change", function () { el.form.submit(); });
    });
    root.querySelectorAll("[data-confirm]").forEach(function (el) {
      if (el.dataset.boundConfirm) return;
      el.dataset.boundConfirm = "1";
      var evtName = el.tagName === "FORM" ? "submit" : "click";
      el.addEventListener(evtName, function (evt) {
        if (!window.confirm(el.dataset.confirm)) { evt.preventDefault(); evt.stopPropagation(); }
      });
    });
    root.querySelectorAll("[data-copy]").forEach(function (el) {
      if (el.dataset.boundCopy) return;
      el.dataset.boundCopy = "1";
      el.addEventListener("click", function () {
        var target = document.querySelector(el.dataset.copy);
        if (target && navigator.clipboard) { navigator.clipboard.writeText(target.textContent.trim()); el.textContent = el.dataset.copied || "OK"; }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { bind(document); });
  document.addEventListener("htmx:load", function (evt) { bind(evt.target); });
})();
