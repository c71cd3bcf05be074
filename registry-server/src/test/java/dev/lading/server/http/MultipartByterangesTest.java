package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.model.ByteRange;
import dev.lading.core.testing.StrictMultipart;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MultipartByterangesTest {
  private static final byte[] BLOB =
      "0123456789abcdefghijklmnopqrstuvwxyz".getBytes(StandardCharsets.US_ASCII);

  @Test
  void framesEachPartExactlyAsRfc9110AndRfc2046Say() {
    MultipartByteranges body =
        new MultipartByteranges(
            "SEP", List.of(new ByteRange(0, 2), new ByteRange(30, 35)), BLOB.length);
    String expected =
        "--SEP\r\n"
            + "Content-Type: application/octet-stream\r\n"
            + "Content-Range: bytes 0-2/36\r\n"
            + "\r\n"
            + "012"
            + "\r\n--SEP\r\n"
            + "Content-Type: application/octet-stream\r\n"
            + "Content-Range: bytes 30-35/36\r\n"
            + "\r\n"
            + "uvwxyz"
            + "\r\n--SEP--\r\n";
    assertThat(new String(assemble(body), StandardCharsets.US_ASCII)).isEqualTo(expected);
    assertThat(body.contentLength()).isEqualTo(expected.length());
    assertThat(body.contentType()).isEqualTo("multipart/byteranges; boundary=SEP");
    assertThat(body.covering()).isEqualTo(new ByteRange(0, 35));
  }

  @Test
  void theLengthIsExactForManyPartsAndLongPositions() {
    long size = 5_000_000_000L;
    List<ByteRange> parts =
        List.of(
            new ByteRange(4_999_999_990L, 4_999_999_999L),
            new ByteRange(0, 0),
            new ByteRange(123_456_789, 123_456_799));
    MultipartByteranges body = new MultipartByteranges(parts, size);
    long expected = body.tail().length;
    for (int i = 0; i < parts.size(); i++) {
      expected += body.head(i).length + parts.get(i).length();
    }
    assertThat(body.contentLength()).isEqualTo(expected);
    assertThat(new String(body.head(0), StandardCharsets.US_ASCII))
        .contains("Content-Range: bytes 4999999990-4999999999/5000000000\r\n");
    assertThat(body.covering()).isEqualTo(new ByteRange(0, 4_999_999_999L));
  }

  @Test
  void everyResponseHasItsOwnUnguessableBoundary() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 100; i++) {
      String boundary =
          StrictMultipart.boundary(
              new MultipartByteranges(List.of(new ByteRange(0, 0)), 1).contentType());
      assertThat(boundary).matches("[0-9a-f]{48}");
      assertThat(seen.add(boundary)).isTrue();
    }
  }

  @Test
  void theStrictReaderReadsBackWhatWasFramed() {
    MultipartByteranges body =
        new MultipartByteranges(
            List.of(new ByteRange(10, 19), new ByteRange(0, 0), new ByteRange(35, 35)),
            BLOB.length);
    List<StrictMultipart.Part> parts = StrictMultipart.parse(body.contentType(), assemble(body));
    assertThat(parts).extracting(StrictMultipart.Part::first).containsExactly(10L, 0L, 35L);
    assertThat(parts.get(0).bytes()).isEqualTo("abcdefghij".getBytes(StandardCharsets.US_ASCII));
    assertThat(parts.get(2).headers()).containsEntry("content-type", "application/octet-stream");
  }

  private static byte[] assemble(MultipartByteranges body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < body.parts().size(); i++) {
      ByteRange r = body.parts().get(i);
      out.writeBytes(body.head(i));
      out.write(BLOB, (int) r.first(), (int) r.length());
    }
    out.writeBytes(body.tail());
    return out.toByteArray();
  }
}
