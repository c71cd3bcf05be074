package dev.lading.conformance;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.GZIPOutputStream;

/**
 * A real image layer made in the test: a POSIX ustar archive of random files, gzip-compressed.
 * Container tools unpack layers and check their uncompressed digest (the config's {@code
 * diff_ids}), so the archive must be well formed.
 */
public record TarLayer(Blob compressed, String diffId) {

  public static TarLayer random(String directory, int files, int fileSize) {
    SequencedMap<String, byte[]> entries = new LinkedHashMap<>();
    for (int i = 0; i < files; i++) {
      byte[] content = new byte[fileSize];
      ThreadLocalRandom.current().nextBytes(content);
      entries.put(directory + "/file-" + i + ".bin", content);
    }
    return of(entries);
  }

  /**
   * A layer of the entries given, in the map's order, owned by root: a path ending in {@code /} is
   * a directory (mode 0755, its content ignored), any other a regular file (mode 0644).
   */
  public static TarLayer of(SequencedMap<String, byte[]> files) {
    byte[] raw = plain(files).bytes();
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(raw);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new TarLayer(Blob.of(gz.toByteArray()), Blob.sha256(raw));
  }

  /**
   * An uncompressed ustar archive of the entries given, in their order (as {@link #of}): the {@code
   * .tar} layers of model artifacts (ModelPack, KitOps), which are never compressed.
   */
  public static Blob plain(Map<String, byte[]> files) {
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    files.forEach((name, content) -> writeEntry(tar, name, content));
    tar.writeBytes(new byte[1024]); // two zero blocks end the archive
    return Blob.of(tar.toByteArray());
  }

  private static void writeEntry(ByteArrayOutputStream tar, String name, byte[] content) {
    byte[] header = new byte[512];
    put(header, 0, 100, name.getBytes(StandardCharsets.US_ASCII));
    boolean directory = name.endsWith("/");
    byte[] body = directory ? new byte[0] : content;
    putOctal(header, 100, 8, directory ? 0755 : 0644);
    putOctal(header, 108, 8, 0);
    putOctal(header, 116, 8, 0);
    putOctal(header, 124, 12, body.length);
    putOctal(header, 136, 12, 1_700_000_000L);
    Arrays.fill(header, 148, 156, (byte) ' '); // checksum counts as spaces while summing
    header[156] = (byte) (directory ? '5' : '0');
    put(header, 257, 6, "ustar\0".getBytes(StandardCharsets.US_ASCII));
    put(header, 263, 2, "00".getBytes(StandardCharsets.US_ASCII));
    long sum = 0;
    for (byte b : header) {
      sum += b & 0xff;
    }
    byte[] checksum = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
    put(header, 148, 8, checksum);
    tar.writeBytes(header);
    tar.writeBytes(body);
    int padding = (512 - body.length % 512) % 512;
    tar.writeBytes(new byte[padding]);
  }

  private static void put(byte[] header, int offset, int length, byte[] value) {
    System.arraycopy(value, 0, header, offset, Math.min(length, value.length));
  }

  private static void putOctal(byte[] header, int offset, int length, long value) {
    String octal = String.format("%0" + (length - 1) + "o", value);
    put(header, offset, length, (octal + "\0").getBytes(StandardCharsets.US_ASCII));
  }
}
