// Live boards: the page's [data-live] element listens to its store's server-sent events and, on each
// `refresh`, asks htmx to fetch its content again (hx-trigger="refresh"). No page reload.
document.addEventListener("DOMContentLoaded", () => {
  const board = document.querySelector("[data-live]");
  if (!board) return;
  const source = new EventSource(board.dataset.live);
  source.addEventListener("open", () => { board.dataset.connected = "1"; });
  source.addEventListener("error", () => { board.dataset.connected = "0"; });
  source.addEventListener("refresh", () => htmx.trigger(board, "refresh"));
  window.addEventListener("pagehide", () => source.close());
});
