package dev.lading.conformance;

import dev.lading.core.testing.StrictMultipart;
import dev.lading.core.testing.StrictMultipart.Part;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.james.mime4j.MimeException;
import org.apache.james.mime4j.stream.EntityState;
import org.apache.james.mime4j.stream.MimeConfig;
import org.apache.james.mime4j.stream.MimeTokenStream;

/**
 * Reads {@code multipart/byteranges} answers two ways, both of which a test asks to agree: a strict
 * reader of its own, which holds the body to more than RFC 2046 asks of a reader (CRLF only, no
 * preamble or epilogue, one {@code Content-Range} per part whose length is the part's to the byte,
 * the close delimiter as the very last bytes), and Apache James mime4j, a MIME parser written by
 * others, so a framing this code and the server got wrong the same way still fails.
 */
final class ByteRanges {
  private ByteRanges() {}

  /**
   * The parts of {@code body} as the strict reader finds them, after checking mime4j finds the same
   * parts with the same headers and bytes.
   */
  static List<Part> parse(String contentType, byte[] body) {
    List<Part> strict = StrictMultipart.parse(contentType, body);
    List<Part> mime4j = mime4j(contentType, body);
    if (strict.size() != mime4j.size()) {
      throw new AssertionError(
          "mime4j read " + mime4j.size() + " parts, the strict reader " + strict.size());
    }
    for (int i = 0; i < strict.size(); i++) {
      Part a = strict.get(i);
      Part b = mime4j.get(i);
      if (!a.headers().equals(b.headers()) || !Arrays.equals(a.bytes(), b.bytes())) {
        throw new AssertionError(
            "part "
                + i
                + " differs: strict "
                + a.headers()
                + " "
                + a.bytes().length
                + " bytes, mime4j "
                + b.headers()
                + " "
                + b.bytes().length
                + " bytes");
      }
    }
    return strict;
  }

  static List<Part> mime4j(String contentType, byte[] body) {
    MimeConfig config =
        MimeConfig.custom()
            .setStrictParsing(true)
            .setMaxLineLen(-1)
            .setMaxHeaderLen(-1)
            .setMaxContentLen(-1)
            .build();
    MimeTokenStream stream = new MimeTokenStream(config);
    // An entity whose one header is the response's Content-Type, as the response carries it.
    byte[] header =
        ("Content-Type: " + contentType + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    stream.parse(
        new SequenceInputStream(new ByteArrayInputStream(header), new ByteArrayInputStream(body)));
    List<Part> parts = new ArrayList<>();
    Map<String, String> headers = null;
    try {
      for (EntityState state = stream.getState();
          state != EntityState.T_END_OF_STREAM;
          state = stream.next()) {
        switch (state) {
          case T_START_BODYPART -> headers = new LinkedHashMap<>();
          case T_FIELD -> {
            if (headers != null) {
              headers.put(
                  stream.getField().getName().toLowerCase(Locale.ROOT),
                  stream.getField().getBody().strip());
            }
          }
          case T_BODY -> {
            if (headers != null) {
              byte[] bytes = stream.getInputStream().readAllBytes();
              Part expected = StrictMultipart.part(headers, bytes, 0);
              if (expected.bytes().length != bytes.length) {
                throw new AssertionError(
                    "mime4j: part " + expected.range() + " holds " + bytes.length + " bytes");
              }
              parts.add(expected);
              headers = null;
            }
          }
          case T_PREAMBLE, T_EPILOGUE -> {
            byte[] extra = stream.getInputStream().readAllBytes();
            if (extra.length > 0) {
              throw new AssertionError("mime4j: " + extra.length + " bytes of " + state);
            }
          }
          default -> {}
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (MimeException e) {
      throw new AssertionError("mime4j could not read the body: " + e.getMessage(), e);
    }
    return parts;
  }
}
