package dev.lading.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class MultipartPartsTest {
  private static final byte[] BLOB =
      "0123456789abcdefghijklmnopqrstuvwxyz".getBytes(StandardCharsets.US_ASCII);

  @Test
  void readsThePartsWhateverTheWritesLookLike() throws IOException {
    byte[] body = frame("b0", List.of(new long[] {30, 35}, new long[] {0, 2}, new long[] {10, 10}));
    for (int step : new int[] {1, 2, 7, body.length}) {
      MultipartParts parts = new MultipartParts();
      for (int at = 0; at < body.length; at += step) {
        parts.write(body, at, Math.min(step, body.length - at));
      }
      assertThat(parts.complete()).isTrue();
      assertThat(parts.boundary()).isEqualTo("b0");
      assertThat(parts.ranges()).containsExactly("30-35", "0-2", "10-10");
      assertThat(parts.payloadBytes()).isEqualTo(10);
    }
  }

  @Test
  void refusesFramingThatIsNotRfc2046s() {
    byte[] good = frame("b0", List.of(new long[] {0, 2}));
    String text = new String(good, StandardCharsets.ISO_8859_1);
    for (String bad :
        List.of(
            text.replace("012\r\n--b0--", "012--b0--"),
            text.replace("\r\n\r\n012", "\n\r\n012"),
            text.replace("Content-Range: bytes 0-2/36\r\n", ""),
            text + "x")) {
      MultipartParts parts = new MultipartParts();
      assertThatThrownBy(
              () -> {
                parts.write(bad.getBytes(StandardCharsets.ISO_8859_1));
                if (!parts.complete()) {
                  throw new IOException("incomplete");
                }
              })
          .as(bad)
          .isInstanceOf(IOException.class);
    }
  }

  private static byte[] frame(String boundary, List<long[]> parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < parts.size(); i++) {
      long[] p = parts.get(i);
      out.writeBytes(
          ((i == 0 ? "" : "\r\n")
                  + "--"
                  + boundary
                  + "\r\nContent-Type: application/octet-stream\r\n"
                  + "Content-Range: bytes "
                  + p[0]
                  + "-"
                  + p[1]
                  + "/"
                  + BLOB.length
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.write(BLOB, (int) p[0], (int) (p[1] - p[0] + 1));
    }
    out.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }
}
