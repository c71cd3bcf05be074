package dev.lading.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.model.Digest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class GeneratedBlobTest {

  private static final long SIZE = 3L * GeneratedBlob.BLOCK + 12_345;

  @Test
  void digestIsTheSha256OfTheWrittenBytes() throws IOException {
    GeneratedBlob blob = new GeneratedBlob(1, SIZE);
    ByteArrayOutputStream whole = new ByteArrayOutputStream();
    blob.writeTo(whole, 0, SIZE);

    assertThat(whole.size()).isEqualTo(SIZE);
    assertThat(blob.digest()).isEqualTo(Digest.sha256(whole.toByteArray()));
  }

  @Test
  void rangesWrittenSeparatelyJoinToTheWholeBlob() throws IOException {
    GeneratedBlob blob = new GeneratedBlob(1, SIZE);
    ByteArrayOutputStream whole = new ByteArrayOutputStream();
    blob.writeTo(whole, 0, SIZE);
    ByteArrayOutputStream pieces = new ByteArrayOutputStream();
    long chunk = 777_777;
    for (long offset = 0; offset < SIZE; offset += chunk) {
      blob.writeTo(pieces, offset, Math.min(chunk, SIZE - offset));
    }

    assertThat(pieces.toByteArray()).isEqualTo(whole.toByteArray());
  }

  @Test
  void theCheckerTakesTheBlobsOwnBytesAndRefusesAnyOther() throws IOException {
    GeneratedBlob blob = new GeneratedBlob(1, SIZE);
    long offset = GeneratedBlob.BLOCK - 100;
    ByteArrayOutputStream range = new ByteArrayOutputStream();
    blob.writeTo(range, offset, 300_000);
    byte[] bytes = range.toByteArray();
    try (var checker = blob.checker(offset)) {
      checker.write(bytes, 0, 1000);
      checker.write(bytes, 1000, bytes.length - 1000);
    }

    bytes[150_000] ^= 1;
    assertThatThrownBy(() -> blob.checker(offset).write(bytes, 0, bytes.length))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("differs");
    assertThatThrownBy(() -> blob.checker(SIZE - 10).write(new byte[11], 0, 11))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("past the blob's end");
  }

  @Test
  void blocksAndSeedsDiffer() {
    assertThat(new GeneratedBlob(1, SIZE).digest())
        .isNotEqualTo(new GeneratedBlob(2, SIZE).digest());
    GeneratedBlob twoBlocks = new GeneratedBlob(1, 2L * GeneratedBlob.BLOCK);
    ByteArrayOutputStream first = new ByteArrayOutputStream();
    ByteArrayOutputStream second = new ByteArrayOutputStream();
    try {
      twoBlocks.writeTo(first, 0, GeneratedBlob.BLOCK);
      twoBlocks.writeTo(second, GeneratedBlob.BLOCK, GeneratedBlob.BLOCK);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    assertThat(first.toByteArray()).isNotEqualTo(second.toByteArray());
  }
}
