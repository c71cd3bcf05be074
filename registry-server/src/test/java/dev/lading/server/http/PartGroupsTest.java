package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.model.ByteRange;
import dev.lading.core.storage.BlobSource;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Nearby parts of a multipart answer share one ranged read; farther ones do not. */
class PartGroupsTest {
  private static final long K = 1024;

  private static ByteRange r(long first, long last) {
    return new ByteRange(first, last);
  }

  @Test
  void partsInOrderWithSmallGapsAreOneGroup() {
    List<ByteRange> parts = List.of(r(0, 9), r(10, 19), r(100, 199), r(100 + 64 * K, 100 + 64 * K));
    assertThat(PartGroups.plan(parts)).containsOnly(r(0, 100 + 64 * K));
  }

  @Test
  void aLargerGapADescendingPartOrTheSpanBoundStartsAnotherGroup() {
    long gap = PartGroups.GAP_LIMIT_BYTES;
    assertThat(PartGroups.plan(List.of(r(0, 9), r(10 + gap, 20 + gap))))
        .containsExactly(r(0, 9), r(10 + gap, 20 + gap));
    assertThat(PartGroups.plan(List.of(r(500, 599), r(0, 9), r(20, 29))))
        .containsExactly(r(500, 599), r(0, 29), r(0, 29));
    long span = PartGroups.MAX_SPAN_BYTES;
    assertThat(
            PartGroups.plan(List.of(r(0, span / 2), r(span / 2 + 10, span), r(span + 5, span + 9))))
        .containsExactly(r(0, span / 2), r(span / 2 + 10, span + 9), r(span / 2 + 10, span + 9));
  }

  @Test
  void eachPartGetsExactlyItsBytesFromOneReadPerGroup() throws IOException {
    byte[] blob = new byte[300_000];
    new Random(5).nextBytes(blob);
    List<ByteRange> parts =
        List.of(r(10, 19), r(20, 29), r(5000, 5099), r(200_000, 200_099), r(0, 3), r(7, 8));
    List<ByteRange> groups = PartGroups.plan(parts);
    List<ByteRange> opened = new ArrayList<>();
    PartBytes.Opener opener =
        range -> {
          opened.add(range);
          return stream(blob, range);
        };
    ByteRange first = groups.get(0);
    opened.add(first);
    try (PartBytes.EachPart each = new PartBytes.EachPart(stream(blob, first), groups, opener)) {
      for (int i = 0; i < parts.size(); i++) {
        ByteRange part = parts.get(i);
        try (BlobSource source = each.open(i, part)) {
          InputStream in = ((BlobSource.StreamSource) source).stream();
          assertThat(source.length()).isEqualTo(part.length());
          assertThat(in.readAllBytes())
              .isEqualTo(Arrays.copyOfRange(blob, (int) part.first(), (int) part.last() + 1));
          in.close();
        }
      }
    }
    assertThat(opened).containsExactly(r(10, 5099), r(200_000, 200_099), r(0, 8));
  }

  @Test
  void aPartLeftUnfinishedMakesTheNextPartOpenItsOwnRead() throws IOException {
    byte[] blob = new byte[1000];
    new Random(6).nextBytes(blob);
    List<ByteRange> parts = List.of(r(0, 99), r(200, 299));
    List<ByteRange> groups = PartGroups.plan(parts);
    List<ByteRange> opened = new ArrayList<>();
    try (PartBytes.EachPart each =
        new PartBytes.EachPart(
            null,
            groups,
            range -> {
              opened.add(range);
              return stream(blob, range);
            })) {
      try (BlobSource source = each.open(0, parts.get(0))) {
        ((BlobSource.StreamSource) source).stream().readNBytes(10);
      }
      try (BlobSource source = each.open(1, parts.get(1))) {
        assertThat(((BlobSource.StreamSource) source).stream().readAllBytes())
            .isEqualTo(Arrays.copyOfRange(blob, 200, 300));
      }
    }
    assertThat(opened).containsExactly(r(0, 299), r(200, 299));
  }

  @Test
  void aReadShorterThanAskedIsABlobThatChanged() {
    List<ByteRange> parts = List.of(r(0, 9), r(20, 29));
    PartBytes.EachPart each =
        new PartBytes.EachPart(
            null,
            PartGroups.plan(parts),
            range -> new BlobSource.StreamSource(new ByteArrayInputStream(new byte[5]), 5));
    assertThatThrownBy(() -> each.open(0, parts.get(0)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("changed");
  }

  private static BlobSource stream(byte[] blob, ByteRange range) {
    return new BlobSource.StreamSource(
        new ByteArrayInputStream(blob, (int) range.first(), (int) range.length()), range.length());
  }
}
