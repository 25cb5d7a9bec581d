// The public notice and lists: a 打印本页 button (no inline handlers under the page's CSP).
document.querySelectorAll("[data-print]").forEach((button) => button.addEventListener("click", () => window.print()));
