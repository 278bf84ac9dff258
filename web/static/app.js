// Tell the server the browser's time zone, so times are shown in it (pages fall back to the office's).
(function () {
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && document.cookie.indexOf("sanshen_tz=" + zone) === -1) {
    document.cookie = "sanshen_tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
  }
})();
