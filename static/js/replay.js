// Mounts asciinema-player on every element with a data-cast-url attribute.
document.addEventListener("DOMContentLoaded", () => {
  for (const element of document.querySelectorAll("[data-cast-url]")) {
    window.AsciinemaPlayer.create(element.dataset.castUrl, element, {
      fit: "width",
      idleTimeLimit: 2,
    });
  }
});
