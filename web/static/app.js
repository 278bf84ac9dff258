// Progressive enhancements; every page works without this file.
(function () {
  document.documentElement.classList.add("js");
  // Tell the server the browser's time zone, so times are shown in it (pages fall back to the office's).
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && document.cookie.indexOf("sanshen_tz=" + zone) === -1) {
    document.cookie = "sanshen_tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
  }
  // A notice ("saved", "published" …) arrives as ?done=…: show it once, and keep it out of a reload.
  function forgetNotice() {
    var url = new URL(window.location.href);
    if (url.searchParams.has("done")) {
      url.searchParams.delete("done");
      window.history.replaceState(window.history.state, "", url.pathname + url.search + url.hash);
    }
  }
  forgetNotice();
  document.addEventListener("htmx:afterSettle", forgetNotice);
})();
