// Polling fragments carry the ETag they were rendered with (data-etag). Sending it back as
// If-None-Match makes the server answer 304 while nothing changed, and htmx (configured in
// base.html) swaps nothing on a 304.
document.addEventListener("htmx:configRequest", function (event) {
  var tag = event.detail.elt && event.detail.elt.getAttribute("data-etag");
  if (tag) {
    event.detail.headers["If-None-Match"] = '"' + tag + '"';
  }
});
