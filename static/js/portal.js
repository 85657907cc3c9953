/*
 * Small progressive enhancements. Every page works without this file.
 *
 * 1. Skip link: make sure focus really lands on <main> (older browsers
 *    scroll but leave focus behind).
 * 2. Double submit guard: a second click on a POST form's button while the
 *    first submission is still loading is ignored (common with unsteady
 *    hands), for 8 seconds at most. Buttons are not disabled, so their
 *    name/value still submit.
 * 3. [data-autofocus]: a page marks an element (e.g. an error summary) to
 *    receive focus on load, or after htmx swaps it in.
 */
(function () {
  "use strict";

  // 1. Skip link.
  var skip = document.querySelector(".skip-link");
  var main = document.getElementById("main");
  if (skip && main) {
    skip.addEventListener("click", function () {
      window.setTimeout(function () {
        main.focus();
      }, 0);
    });
  }

  // 2. Double submit guard.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) {
      return;
    }
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post") {
      return;
    }
    // htmx forms manage their own requests.
    if (form.hasAttribute("hx-post") || form.hasAttribute("hx-put") || form.hasAttribute("hx-patch")) {
      return;
    }
    if (event.defaultPrevented) {
      return;
    }
    if (form.getAttribute("data-submitting") === "true") {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-submitting", "true");
    // A response that does not replace the page (a download, say) must not
    // lock the form: let it be sent again after a few seconds.
    window.setTimeout(function () {
      form.removeAttribute("data-submitting");
    }, 8000);
  });
  // Back/forward cache: a restored page must be usable again.
  window.addEventListener("pageshow", function () {
    var busy = document.querySelectorAll("form[data-submitting]");
    for (var i = 0; i < busy.length; i++) {
      busy[i].removeAttribute("data-submitting");
    }
  });

  // 3. [data-autofocus].
  function autofocus(root) {
    var el = (root || document).querySelector("[data-autofocus]");
    if (!el) {
      return;
    }
    if (!el.matches("a[href], button, input, select, textarea, [tabindex]")) {
      el.setAttribute("tabindex", "-1");
    }
    el.focus();
  }
  autofocus(document);
  document.body.addEventListener("htmx:afterSwap", function (event) {
    autofocus(event.target);
  });
})();
