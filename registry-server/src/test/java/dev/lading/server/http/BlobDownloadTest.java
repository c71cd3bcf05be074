package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.testing.StrictMultipart;
import dev.lading.server.config.LadingConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BlobDownloadTest {
  RunningRegistry registry;
  final byte[] blob = new byte[1000];
  String digest;

  @BeforeAll
  void start(@TempDir Path root) throws Exception {
    registry = new RunningRegistry(root);
    new Random(7).nextBytes(blob);
    digest = registry.pushBlob("p2p/cache", blob);
  }

  @AfterAll
  void stop() {
    registry.close();
  }

  @Test
  void wholeBlobWithCacheHeaders() throws Exception {
    HttpResponse<byte[]> r =
        registry.sendForBytes(registry.request("/v2/p2p/cache/blobs/" + digest).GET().build());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(blob);
    assertThat(r.headers().firstValue("Content-Length")).hasValue("1000");
    assertThat(r.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
    assertThat(r.headers().firstValue("ETag")).hasValue("\"" + digest + "\"");
    assertThat(r.headers().firstValue("Cache-Control")).hasValue("max-age=31536000, immutable");
    assertThat(r.headers().firstValue("Accept-Ranges")).hasValue("bytes");
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
  }

  @Test
  void headAnswersSizeWithoutBody() throws Exception {
    HttpResponse<byte[]> r =
        registry.sendForBytes(
            registry
                .request("/v2/p2p/cache/blobs/" + digest)
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Length")).hasValue("1000");
    assertThat(r.body()).isEmpty();
  }

  @ParameterizedTest(name = "{0} -> 206 {1}-{2}")
  @CsvSource({
    "'bytes=0-0',     0,   0",
    "'bytes=0-999',   0,   999",
    "'bytes=100-199', 100, 199",
    "'bytes=900-',    900, 999",
    "'bytes=-24',     976, 999",
    "'bytes=990-5000', 990, 999",
    "'bytes=0-99999999999999999999999', 0, 999",
    "'bytes=500-99999999999999999999999', 500, 999",
    "'bytes=-99999999999999999999', 0, 999",
  })
  void rangeIsAlways206WithExactContentRange(String range, int first, int last) throws Exception {
    HttpResponse<byte[]> r =
        registry.sendForBytes(
            registry.request("/v2/p2p/cache/blobs/" + digest).header("Range", range).GET().build());
    assertThat(r.statusCode()).isEqualTo(206);
    assertThat(r.headers().firstValue("Content-Range"))
        .hasValue("bytes " + first + "-" + last + "/1000");
    assertThat(r.headers().firstValue("Content-Length")).hasValue(String.valueOf(last - first + 1));
    assertThat(r.body()).isEqualTo(Arrays.copyOfRange(blob, first, last + 1));
  }

  @ParameterizedTest(name = "{0} -> 416")
  @CsvSource({
    "'bytes=1000-'",
    "'bytes=5-1'",
    "'bytes=1000-,2000-'",
    "'bytes=0-1,3-2'",
    "'bytes=x'",
    "'bytes=99999999999999999999-'",
    "'bytes=99999999999999999999-99999999999999999999'"
  })
  void unsatisfiableOrUnsupportedRangeIs416WithSize(String range) throws Exception {
    HttpResponse<String> r =
        registry.send(
            registry.request("/v2/p2p/cache/blobs/" + digest).header("Range", range).GET().build());
    assertThat(r.statusCode()).isEqualTo(416);
    assertThat(r.headers().firstValue("Content-Range")).hasValue("bytes */1000");
    assertThat(RunningRegistry.errorCode(r)).isEqualTo("UNSUPPORTED");
  }

  @ParameterizedTest(name = "{0} -> 200")
  @CsvSource({"'items=0-1'", "'pages=1-2,3-4'"})
  void rangeInAnotherUnitIsIgnoredAndTheWholeBlobSent(String range) throws Exception {
    HttpResponse<byte[]> r =
        registry.sendForBytes(
            registry.request("/v2/p2p/cache/blobs/" + digest).header("Range", range).GET().build());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Range")).isEmpty();
    assertThat(r.body()).isEqualTo(blob);
  }

  @Test
  void ifRangeWithTheEtagHonoursTheRange() throws Exception {
    HttpResponse<byte[]> r =
        registry.sendForBytes(
            registry
                .request("/v2/p2p/cache/blobs/" + digest)
                .header("Range", "bytes=10-19")
                .header("If-Range", "\"" + digest + "\"")
                .GET()
                .build());
    assertThat(r.statusCode()).isEqualTo(206);
    assertThat(r.body()).isEqualTo(Arrays.copyOfRange(blob, 10, 20));
  }

  @Test
  void ifRangeThatDoesNotMatchGetsTheWholeBlob() throws Exception {
    HttpResponse<byte[]> r =
        registry.sendForBytes(
            registry
                .request("/v2/p2p/cache/blobs/" + digest)
                .header("Range", "bytes=10-19")
                .header("If-Range", "\"sha256:other\"")
                .GET()
                .build());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(blob);
  }

  @Test
  void unknownBlobIs404BlobUnknown() throws Exception {
    HttpResponse<String> r =
        registry.get("/v2/p2p/cache/blobs/" + RunningRegistry.sha256(new byte[] {9}));
    RunningRegistry.assertError(r, 404, "BLOB_UNKNOWN");
  }

  @Test
  void manyRequestsReuseOneConnection() throws Exception {
    for (int i = 0; i < 20; i++) {
      HttpResponse<byte[]> r =
          registry.sendForBytes(
              registry
                  .request("/v2/p2p/cache/blobs/" + digest)
                  .header("Range", "bytes=" + i + "-" + i)
                  .GET()
                  .build());
      assertThat(r.body()).containsExactly(blob[i]);
    }
  }

  // ---- several ranges: multipart/byteranges ------------------------------------------------

  @ParameterizedTest(name = "{0} -> parts {1}")
  @CsvSource(
      delimiter = ';',
      value = {
        "bytes=0-9,100-109,990-;     0-9 100-109 990-999",
        "bytes=500-599,0-9;          500-599 0-9",
        "bytes=0-9,5-19,20-29;       0-19 20-29",
        "bytes=0-9,5-19,15-29;       0-29",
        "bytes=0-9,2000-,-5;         0-9 995-999",
        "bytes=10-19,10-19;          10-19",
      })
  void severalRangesAre206MultipartWithEveryPartExact(String range, String expected)
      throws Exception {
    HttpResponse<byte[]> r =
        registry.sendForBytes(
            registry.request("/v2/p2p/cache/blobs/" + digest).header("Range", range).GET().build());
    assertThat(r.statusCode()).isEqualTo(206);
    assertThat(r.headers().firstValue("Content-Range"))
        .as("never on a multipart answer (RFC 9110 §15.3.7.2)")
        .isEmpty();
    assertThat(r.headers().firstValue("Content-Length")).hasValue(String.valueOf(r.body().length));
    assertThat(r.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
    assertThat(r.headers().firstValue("ETag")).hasValue("\"" + digest + "\"");
    List<StrictMultipart.Part> parts =
        StrictMultipart.parse(r.headers().firstValue("Content-Type").orElseThrow(), r.body());
    assertThat(parts)
        .extracting(p -> p.first() + "-" + p.last())
        .containsExactly(expected.strip().split(" "));
    for (StrictMultipart.Part p : parts) {
      assertThat(p.size()).isEqualTo(1000);
      assertThat(p.headers()).containsEntry("content-type", "application/octet-stream");
      assertThat(p.bytes())
          .isEqualTo(Arrays.copyOfRange(blob, (int) p.first(), (int) p.last() + 1));
    }
  }

  @Test
  void headWithSeveralRangesAnswersTheMultipartHeadersWithoutBody() throws Exception {
    String range = "bytes=0-9,100-109";
    HttpResponse<byte[]> head =
        registry.sendForBytes(
            registry
                .request("/v2/p2p/cache/blobs/" + digest)
                .header("Range", range)
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build());
    HttpResponse<byte[]> get =
        registry.sendForBytes(
            registry.request("/v2/p2p/cache/blobs/" + digest).header("Range", range).GET().build());
    assertThat(head.statusCode()).isEqualTo(206);
    assertThat(head.body()).isEmpty();
    assertThat(head.headers().firstValue("Content-Range")).isEmpty();
    assertThat(StrictMultipart.boundary(head.headers().firstValue("Content-Type").orElseThrow()))
        .hasSize(48);
    assertThat(head.headers().firstValue("Content-Length"))
        .as("the GET's length: the boundary is new each time but always as long")
        .isEqualTo(get.headers().firstValue("Content-Length"))
        .hasValue(String.valueOf(get.body().length));
  }

  @Test
  void severalRangesWithAnIfRangeThatDoesNotMatchGetTheWholeBlob() throws Exception {
    HttpResponse<byte[]> r =
        registry.sendForBytes(
            registry
                .request("/v2/p2p/cache/blobs/" + digest)
                .header("Range", "bytes=0-9,20-29")
                .header("If-Range", "\"sha256:other\"")
                .GET()
                .build());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(blob);
  }

  @Test
  void moreRangesThanTheCapAre416AndTheCapItselfIsServed(@TempDir Path root) throws Exception {
    try (RunningRegistry capped =
        new RunningRegistry(LadingConfig.forTests(root).withMaxRanges(4))) {
      String d = capped.pushBlob("p2p/capped", blob);
      HttpResponse<String> over =
          capped.send(
              capped
                  .request("/v2/p2p/capped/blobs/" + d)
                  .header("Range", "bytes=0-0,2-2,4-4,6-6,8-8")
                  .GET()
                  .build());
      assertThat(over.statusCode()).isEqualTo(416);
      assertThat(over.headers().firstValue("Content-Range")).hasValue("bytes */1000");
      assertThat(RunningRegistry.errorCode(over)).isEqualTo("UNSUPPORTED");
      HttpResponse<byte[]> at =
          capped.sendForBytes(
              capped
                  .request("/v2/p2p/capped/blobs/" + d)
                  .header("Range", "bytes=0-0,2-2,4-4,6-6")
                  .GET()
                  .build());
      assertThat(at.statusCode()).isEqualTo(206);
      assertThat(
              StrictMultipart.parse(
                  at.headers().firstValue("Content-Type").orElseThrow(), at.body()))
          .hasSize(4);
    }
  }

  @Test
  void aThousandOneByteRangesAllComeBackFromOneOpenFile() throws Exception {
    byte[] big = new byte[256 * 1024];
    new Random(11).nextBytes(big);
    String d = registry.pushBlob("p2p/many", big);
    StringBuilder range = new StringBuilder("bytes=");
    List<Long> firsts = new ArrayList<>();
    for (int i = 1023; i >= 0; i--) {
      long first = i * 250L;
      firsts.add(first);
      range.append(i == 1023 ? "" : ",").append(first).append('-').append(first + (i % 7));
    }
    HttpResponse<byte[]> r =
        registry.sendForBytes(
            registry
                .request("/v2/p2p/many/blobs/" + d)
                .header("Range", range.toString())
                .GET()
                .build());
    assertThat(r.statusCode()).isEqualTo(206);
    List<StrictMultipart.Part> parts =
        StrictMultipart.parse(r.headers().firstValue("Content-Type").orElseThrow(), r.body());
    assertThat(parts)
        .extracting(StrictMultipart.Part::first)
        .as("in the header's (descending) order")
        .isEqualTo(firsts);
    for (StrictMultipart.Part p : parts) {
      assertThat(p.bytes()).isEqualTo(Arrays.copyOfRange(big, (int) p.first(), (int) p.last() + 1));
    }
  }

  @Test
  void multipartAnswersCloseTheirFileAndKeepTheConnection() throws Exception {
    Path fds = Path.of("/proc/self/fd");
    Assumptions.assumeTrue(Files.isDirectory(fds), "needs /proc/self/fd");
    byte[] request =
        ("GET /v2/p2p/cache/blobs/"
                + digest
                + " HTTP/1.1\r\nHost: x\r\n"
                + "Range: bytes=0-9,100-199,300-\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    try (Socket socket = new Socket("127.0.0.1", registry.server.port())) {
      socket.setSoTimeout(20_000);
      InputStream in = socket.getInputStream();
      long before = 0;
      for (int i = 0; i < 200; i++) {
        socket.getOutputStream().write(request);
        String head = readHead(in);
        assertThat(head)
            .startsWith("HTTP/1.1 206")
            .doesNotContainIgnoringCase("transfer-encoding")
            .doesNotContainIgnoringCase("connection: close");
        Matcher length = Pattern.compile("(?im)^content-length: (\\d+)\\s*$").matcher(head);
        assertThat(length.find()).as(head).isTrue();
        Matcher type = Pattern.compile("(?im)^content-type: (.*?)\\s*$").matcher(head);
        assertThat(type.find()).isTrue();
        byte[] body = in.readNBytes(Integer.parseInt(length.group(1)));
        assertThat(StrictMultipart.parse(type.group(1), body)).hasSize(3);
        if (i == 9) {
          before = openFiles(fds);
        }
      }
      // Every answer's file is closed once its regions are sent: none piles up.
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (openFiles(fds) > before + 5 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(openFiles(fds)).isLessThanOrEqualTo(before + 5);
    }
  }

  private static long openFiles(Path fds) throws IOException {
    try (Stream<Path> list = Files.list(fds)) {
      return list.count();
    }
  }

  private static String readHead(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection ended inside a response head: " + head);
      }
      head.append((char) b);
    }
    return head.toString();
  }
}
