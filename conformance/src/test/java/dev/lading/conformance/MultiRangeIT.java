package dev.lading.conformance;

import static dev.lading.conformance.Checks.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.testing.StrictMultipart;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Several byte ranges in one blob GET, as lazy pulls (containers/storage's zstd:chunked and
 * eStargz) send them: {@code 206} with a {@code multipart/byteranges} body (RFC 9110 §14.6), read
 * by a strict reader and by mime4j and compared byte for byte with the blob, on the filesystem
 * store (parts as regions of one open file) and on S3 (one ranged read per part). Stricter than RFC
 * 9110 where it allows a choice: an exact {@code Content-Length} (never chunked), parts in the
 * header's order, no preamble or epilogue, overlapping ranges merged so no byte comes twice (ranges
 * that only touch stay apart: containers/storage asks for them and counts the parts), and never a
 * {@code 200} for a ranged request.
 */
class MultiRangeIT {
  @RegisterExtension static final RegistryProcess registry = RegistryProcess.create();

  /** The same store served with {@code limits.max_ranges} 8, set from the environment. */
  @RegisterExtension
  static final RegistryProcess capped =
      RegistryProcess.sharingStoreWith(registry).withEnvironment("LADING_LIMITS_MAX_RANGES", "8");

  static RegistryClient client;
  static String repo;
  static Blob blob;
  static long size;

  @BeforeAll
  static void pushBlob() {
    client = registry.client();
    repo = Checks.uniqueRepo("multirange");
    // Over one S3 read window (8 MiB), at an odd length.
    blob = Blob.random(9 * 1024 * 1024 + 4321);
    size = blob.size();
    client.pushBlob(repo, blob);
  }

  private static Reply get(String range, String... moreHeaders) {
    List<String> headers = new ArrayList<>(List.of("Range", range));
    headers.addAll(List.of(moreHeaders));
    return client.getBlob(repo, blob.digest(), headers.toArray(String[]::new));
  }

  /** The parts of a multipart answer, after every check that holds for all of them. */
  private static List<StrictMultipart.Part> multipart(Reply reply) {
    assertThat(reply.status()).as("%s", reply).isEqualTo(206);
    String type = reply.headerOrNull("Content-Type");
    assertThat(type).startsWith("multipart/byteranges; boundary=");
    assertThat(reply.headerOrNull("Content-Range"))
        .as("RFC 9110 §15.3.7.2: never in the header section of a multipart answer")
        .isNull();
    assertThat(reply.headerOrNull("Content-Length"))
        .isEqualTo(Integer.toString(reply.body().length));
    assertThat(reply.headerOrNull("Transfer-Encoding")).isNull();
    assertThat(reply.headerOrNull("Docker-Content-Digest")).isEqualTo(blob.digest());
    assertThat(reply.headerOrNull("ETag")).isEqualTo("\"" + blob.digest() + "\"");
    assertThat(reply.headerOrNull("Accept-Ranges")).isEqualTo("bytes");
    List<StrictMultipart.Part> parts = ByteRanges.parse(type, reply.body());
    for (StrictMultipart.Part p : parts) {
      assertThat(p.headers())
          .as("part %s", p.range())
          .containsOnlyKeys("content-type", "content-range")
          .containsEntry("content-type", "application/octet-stream");
      assertThat(p.size()).isEqualTo(size);
      assertThat(p.bytes())
          .as("part %s byte for byte", p.range())
          .isEqualTo(Arrays.copyOfRange(blob.bytes(), (int) p.first(), (int) p.last() + 1));
    }
    return parts;
  }

  private static List<String> ranges(List<StrictMultipart.Part> parts) {
    return parts.stream().map(StrictMultipart.Part::range).toList();
  }

  @Test
  void twoRangesAre206MultipartWithBothPartsExact() {
    assertThat(ranges(multipart(get("bytes=0-9,100-109")))).containsExactly("0-9", "100-109");
  }

  @Test
  void disjointRangesComeBackInTheHeadersOrder() {
    // RFC 9110 §15.3.7.2 (SHOULD); containers/image matches parts to its ranges by position.
    Reply reply = get("bytes=9000000-9000099,0-0,-7,4194304-4195327,8388600-8388700");
    assertThat(ranges(multipart(reply)))
        .containsExactly(
            "9000000-9000099",
            "0-0",
            (size - 7) + "-" + (size - 1),
            "4194304-4195327",
            "8388600-8388700");
  }

  @Test
  void overlappingRangesAreMergedAndNoByteComesTwice() {
    Reply reply = get("bytes=1000-1099,100-199,150-299,300-399,1100-1100,120-130");
    assertThat(ranges(multipart(reply)))
        .as("touching ranges stay apart, each where it was asked")
        .containsExactly("1000-1099", "100-299", "300-399", "1100-1100");
    // The shape of a zstd:chunked partial pull (containers/storage 1.43): one range per file,
    // each ending where the next begins; containers/image wants one part per range, in order.
    assertThat(ranges(multipart(get("bytes=161-300384,300385-600648,600649-900914"))))
        .containsExactly("161-300384", "300385-600648", "600649-900914");
    // A gap of one byte is a gap: two parts.
    assertThat(ranges(multipart(get("bytes=0-9,11-20")))).containsExactly("0-9", "11-20");
    // The §17.15 amplification: the whole blob many times over in one header is sent once.
    Reply stacked = get("bytes=" + String.join(",", Collections.nCopies(200, "0-")));
    assertThat(ranges(multipart(stacked))).containsExactly("0-" + (size - 1));
    assertThat((long) stacked.body().length).isLessThan(size + 200);
  }

  @Test
  void unsatisfiableRangesAmongSatisfiableOnesAreDropped() {
    Reply reply = get("bytes=" + size + "-,0-9," + (size + 10) + "-" + (size + 20) + ",-5,-0");
    assertThat(ranges(multipart(reply))).containsExactly("0-9", (size - 5) + "-" + (size - 1));
    // One part left of several asked: still multipart, its Content-Range says what it is.
    assertThat(ranges(multipart(get("bytes=0-9," + size + "-")))).containsExactly("0-9");
  }

  @Test
  void noSatisfiableRangeIs416WithTheSize() {
    Reply reply = get("bytes=" + size + "-," + (size + 1) + "-" + (size + 2) + ",-0");
    assertError(reply, 416, "UNSUPPORTED");
    assertThat(reply.headerOrNull("Content-Range")).isEqualTo("bytes */" + size);
  }

  @Test
  void aMalformedOrBackwardsRangeAmongOthersIs416() {
    for (String range : List.of("bytes=0-9,x", "bytes=0-9,20-10", "bytes=0-9,1-2-3", "bytes=,")) {
      Reply reply = get(range);
      assertError(reply, 416, "UNSUPPORTED");
      assertThat(reply.headerOrNull("Content-Range")).as(range).isEqualTo("bytes */" + size);
    }
  }

  @Test
  void headAnswersTheMultipartHeadersWithoutABody() {
    String range = "bytes=0-9,5000000-5000999";
    Reply head =
        client.send(
            "HEAD",
            client.resolve("/v2/" + repo + "/blobs/" + blob.digest()),
            HttpRequest.BodyPublishers.noBody(),
            "Range",
            range);
    Reply got = get(range);
    assertThat(head.status()).as("%s", head).isEqualTo(206);
    assertThat(head.body()).isEmpty();
    assertThat(head.headerOrNull("Content-Range")).isNull();
    assertThat(StrictMultipart.boundary(head.headerOrNull("Content-Type"))).isNotEmpty();
    assertThat(head.headerOrNull("Content-Length"))
        .as("what the GET sends: its boundary differs, its length does not")
        .isEqualTo(got.headerOrNull("Content-Length"));
    multipart(got);
  }

  @Test
  void sixtyFourRangesAcrossTheBlobAreEachExact() {
    Random random = new Random(64);
    List<String> asked = new ArrayList<>();
    long step = size / 64;
    for (int i = 0; i < 64; i++) {
      long first = i * step + random.nextInt(1000);
      asked.add(first + "-" + (first + 1 + random.nextInt(20_000)));
    }
    // Apart from each other (each under 21 KB, 147 KB apart), in a shuffled order: 64 parts as
    // asked.
    Collections.shuffle(asked, random);
    assertThat(ranges(multipart(get("bytes=" + String.join(",", asked))))).isEqualTo(asked);
  }

  @Test
  void theDefaultCapAdmitsTheRangesContainersStorageSendsAndRefusesOneMore() {
    List<String> specs = new ArrayList<>();
    for (int i = 0; i < 1024; i++) {
      specs.add(i * 3 + "-" + (i * 3 + 1));
    }
    assertThat(multipart(get("bytes=" + String.join(",", specs)))).hasSize(1024);
    specs.add("5000-5000");
    Reply over = get("bytes=" + String.join(",", specs));
    assertError(over, 416, "UNSUPPORTED");
    assertThat(over.headerOrNull("Content-Range")).isEqualTo("bytes */" + size);
  }

  @Test
  void aServerWithALowerCapRefusesOneRangeMoreAndServesTheCap() {
    RegistryClient other = capped.client();
    String cappedRepo = Checks.uniqueRepo("multirange-capped");
    other.pushBlob(cappedRepo, blob);
    String eight = "bytes=0-0,10-10,20-20,30-30,40-40,50-50,60-60,70-70";
    Reply atCap = other.getBlob(cappedRepo, blob.digest(), "Range", eight);
    assertThat(ranges(multipart(atCap))).hasSize(8);
    Reply over = other.getBlob(cappedRepo, blob.digest(), "Range", eight + ",80-80");
    assertError(over, 416, "UNSUPPORTED");
    assertThat(over.headerOrNull("Content-Range")).isEqualTo("bytes */" + size);
    // Merged or not, the ranges as sent are what counts.
    assertError(
        other.getBlob(
            cappedRepo, blob.digest(), "Range", "bytes=0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0"),
        416,
        "UNSUPPORTED");
  }

  @Test
  void ifRangeNamingAnotherBlobAnswersTheWholeBlob() {
    Reply reply = get("bytes=0-9,20-29", "If-Range", "\"" + Blob.unknownDigest() + "\"");
    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
    assertThat(reply.body()).isEqualTo(blob.bytes());
    Reply matching = get("bytes=0-9,20-29", "If-Range", "\"" + blob.digest() + "\"");
    assertThat(ranges(multipart(matching))).containsExactly("0-9", "20-29");
  }

  @Test
  void onTheWireTheBodyIsExactlyItsLengthAndTheConnectionGoesOn() throws IOException {
    try (Socket socket = new Socket("127.0.0.1", registry.port())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      for (String range : List.of("bytes=0-99,8388000-8389999,-100", "bytes=10-19")) {
        out.write(
            ("GET /v2/"
                    + repo
                    + "/blobs/"
                    + blob.digest()
                    + " HTTP/1.1\r\nHost: registry\r\n"
                    + "Range: "
                    + range
                    + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String head = readHead(in);
        assertThat(head).startsWith("HTTP/1.1 206 ");
        assertThat(header(head, "Transfer-Encoding")).isNull();
        assertThat(header(head, "Connection")).isNull();
        byte[] body = in.readNBytes(Integer.parseInt(header(head, "Content-Length")));
        if (range.contains(",")) {
          assertThat(ByteRanges.parse(header(head, "Content-Type"), body)).hasSize(3);
        } else {
          assertThat(body).isEqualTo(Arrays.copyOfRange(blob.bytes(), 10, 20));
        }
      }
      // Nothing followed the last body: more bytes would be a response to no request.
      socket.setSoTimeout(500);
      try {
        int more = in.read();
        throw new AssertionError("a byte after the last response: " + more);
      } catch (SocketTimeoutException expected) {
        // the connection waits for the next request
      }
    }
  }

  @Test
  void theAccessLogCountsTheWholeMultipartBody() throws Exception {
    String logged = Checks.uniqueRepo("multirange-log");
    client.pushBlob(logged, blob);
    Reply reply = client.getBlob(logged, blob.digest(), "Range", "bytes=0-999,4000000-4099999,-1");
    multipart(reply);
    String line = awaitLogLine(" GET /v2/" + logged + "/blobs/" + blob.digest() + " 206 ");
    assertThat(line).contains(" 206 " + reply.body().length + "B ");
  }

  private static String awaitLogLine(String fragment) throws Exception {
    Instant deadline = Instant.now().plusSeconds(10);
    while (true) {
      for (String line : Files.readAllLines(registry.logFile(), StandardCharsets.UTF_8)) {
        if (line.contains(fragment)) {
          return line;
        }
      }
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("no log line with " + fragment + " in " + registry.logFile());
      }
      Thread.sleep(100);
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

  private static String header(String head, String name) {
    Matcher m =
        Pattern.compile("(?im)^" + Pattern.quote(name) + ":[ \\t]*(.*?)[ \\t]*$").matcher(head);
    return m.find() ? m.group(1) : null;
  }
}
