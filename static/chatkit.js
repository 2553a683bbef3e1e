// Wires the ChatKit web component (from OpenAI's CDN) to taskchat's /api/v1/chatkit.
// The page is signed in by an HttpOnly cookie; cookie-authenticated POSTs need the
// double-submit CSRF token, which the readable csrf_access_token cookie carries.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("chatkit-config").textContent);

  function cookie(name) {
    var pairs = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < pairs.length; i++) {
      var at = pairs[i].indexOf("=");
      if (pairs[i].slice(0, at) === name) {
        return decodeURIComponent(pairs[i].slice(at + 1));
      }
    }
    return null;
  }

  // ChatKit calls this for every request; it adds our credentials and nothing else.
  function chatkitFetch(input, init) {
    init = init || {};
    var headers = new Headers(init.headers || {});
    var csrf = cookie("csrf_access_token");
    if (csrf) {
      headers.set("X-CSRF-TOKEN", csrf);
    }
    if (!headers.has("Content-Type")) {
      headers.set("Content-Type", "application/json");
    }
    return fetch(input, Object.assign({}, init, { headers: headers, credentials: "same-origin" })).then(
      function (response) {
        if (response.status === 401) {
          // The sign-in expired: go through the login page and come back here.
          window.location.assign(config.loginUrl + "?next=" + encodeURIComponent(window.location.pathname));
        }
        return response;
      }
    );
  }

  window.taskchatChatkitFetch = chatkitFetch;

  var element = document.getElementById("chatkit");
  var offline = window.setTimeout(function () {
    document.getElementById("chatkit-offline").hidden = false;
  }, 8000);

  customElements.whenDefined("openai-chatkit").then(function () {
    window.clearTimeout(offline);
    element.setOptions({
      api: { url: config.apiUrl, domainKey: config.domainKey, fetch: chatkitFetch },
      history: { enabled: true, showDelete: true, showRename: true },
      threadItemActions: { feedback: true, retry: true },
      composer: { placeholder: "Add a task, or ask what's due…", attachments: { enabled: false } },
      startScreen: {
        greeting: "What's on your list?",
        prompts: [
          { label: "Show my tasks", prompt: "Show me all my tasks", icon: "check-circle" },
          { label: "Add a task", prompt: "Add a task to buy groceries tomorrow", icon: "plus" },
          { label: "Due this week", prompt: "What's due this week?", icon: "calendar" },
        ],
      },
    });
  });
})();
