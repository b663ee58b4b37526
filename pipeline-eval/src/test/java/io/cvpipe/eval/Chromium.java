package io.cvpipe.eval;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Opens a page in headless Chromium (Debian package {@code chromium}, which .ci/run installs) and reports
 * which of its images did not load. The page is served over HTTP on the loopback with a small harness page
 * beside it that loads it in a frame, waits for every image, and writes what it found into its own DOM,
 * which {@code --dump-dom} prints.
 */
final class Chromium {

  private static final String HARNESS = """
      <!DOCTYPE html><html><body><iframe id="page" width="1400" height="900"></iframe><script>
      const frame = document.getElementById('page');
      frame.onload = () => {
        const images = [...frame.contentDocument.images];
        Promise.all(images.map(i => i.complete ? null : new Promise(r => { i.onload = r; i.onerror = r; })))
          .then(() => {
            const broken = images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src'));
            const out = document.createElement('pre');
            out.id = 'result';
            out.textContent = 'images=' + images.length + ' broken=[' + broken.join(' ') + ']';
            document.body.appendChild(out);
          });
      };
      frame.src = new URLSearchParams(location.search).get('page');
      </script></body></html>
      """;

  record Check(int images, List<String> broken) {}

  private Chromium() {}

  static Check check(Path root, String page) throws IOException, InterruptedException {
    Path binary = Path.of("/usr/bin/chromium");
    if (!Files.isExecutable(binary)) {
      throw new IllegalStateException("/usr/bin/chromium is missing: install the Debian package chromium "
          + "(apt-get install chromium; .ci/run does it), which the report test opens pages in");
    }
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", exchange -> {
      String path = exchange.getRequestURI().getPath();
      byte[] body;
      int status = 200;
      if (path.equals("/__harness.html")) {
        body = HARNESS.getBytes(StandardCharsets.UTF_8);
      } else {
        Path file = root.resolve(path.substring(1)).normalize();
        if (file.startsWith(root) && Files.isRegularFile(file)) {
          body = Files.readAllBytes(file);
        } else {
          body = "not found".getBytes(StandardCharsets.UTF_8);
          status = 404;
        }
      }
      String type = path.endsWith(".html") ? "text/html; charset=utf-8" : path.endsWith(".png") ? "image/png" : "application/octet-stream";
      exchange.getResponseHeaders().set("Content-Type", type);
      exchange.sendResponseHeaders(status, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    Path profile = Files.createTempDirectory("chromium-profile");
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/__harness.html?page=/" + page;
      List<String> command = new ArrayList<>(Arrays.asList(binary.toString(), "--headless", "--no-sandbox",
          "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile,
          "--virtual-time-budget=15000", "--dump-dom", url));
      Process chromium = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      String dom = new String(chromium.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!chromium.waitFor(60, TimeUnit.SECONDS)) {
        chromium.destroyForcibly();
        throw new IllegalStateException("chromium did not finish within 60 s on " + url);
      }
      Matcher m = Pattern.compile("images=(\\d+) broken=\\[([^\\]]*)\\]").matcher(dom);
      if (!m.find()) {
        throw new IllegalStateException("the harness did not report on " + page + "; chromium printed: "
            + dom.substring(0, Math.min(2000, dom.length())));
      }
      List<String> broken = m.group(2).isBlank() ? List.of() : List.of(m.group(2).trim().split(" "));
      return new Check(Integer.parseInt(m.group(1)), broken);
    } finally {
      server.stop(0);
      try (var files = Files.walk(profile)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
