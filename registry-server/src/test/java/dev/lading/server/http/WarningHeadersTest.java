package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** distribution-spec's {@code Warning} form: code 299, agent "-", no date, at most 4096 bytes. */
class WarningHeadersTest {
  @Test
  void eachMessageIsOneWarningOfCode299WithoutADate() {
    HttpHeaders headers = new DefaultHttpHeaders();
    WarningHeaders.add(headers, List.of("first thing", "second thing", "first thing"));
    assertThat(headers.getAll("Warning"))
        .containsExactly("299 - \"first thing\"", "299 - \"second thing\"");
  }

  @Test
  void quotesAndControlCharactersCannotBreakTheHeader() {
    assertThat(WarningHeaders.quoted("a \"b\" \\ c\r\nX-Evil: 1 é"))
        .isEqualTo("\"a \\\"b\\\" \\\\ c??X-Evil: 1 ?\"");
  }

  @Test
  void theWarningDataStaysWithin4096Bytes() {
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      many.add(i + " " + "x".repeat(100));
    }
    HttpHeaders headers = new DefaultHttpHeaders();
    WarningHeaders.add(headers, many);
    List<String> sent = headers.getAll("Warning");
    assertThat(sent).isNotEmpty().hasSizeLessThan(100);
    assertThat(sent.stream().mapToInt(v -> v.getBytes(StandardCharsets.US_ASCII).length).sum())
        .isLessThanOrEqualTo(WarningHeaders.MAX_BYTES);
    assertThat(sent.get(sent.size() - 1)).endsWith("x\""); // whole messages only
  }

  @Test
  void noMessagesNoHeader() {
    HttpHeaders headers = new DefaultHttpHeaders();
    WarningHeaders.add(headers, List.of());
    assertThat(headers.contains("Warning")).isFalse();
  }
}
