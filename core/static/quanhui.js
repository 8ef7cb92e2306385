// Shows the server's message when an htmx request fails (403, 404, 429, 500, 503...),
// since htmx does not swap error responses into the page by itself.
(function () {
  function showMessage(text) {
    var box = document.getElementById("messages");
    if (!box) { return; }
    var note = document.createElement("div");
    note.className = "error-fragment";
    note.setAttribute("role", "alert");
    note.textContent = text;
    box.replaceChildren(note);
  }
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var header = xhr.getResponseHeader("X-Quanhui-Message");
    showMessage(header ? decodeURIComponent(header) : "请求失败(" + xhr.status + "),请稍后重试。");
  });
  document.addEventListener("htmx:sendError", function () {
    showMessage("无法连接服务器,请检查网络后重试。");
  });
})();
