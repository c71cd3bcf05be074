package dev.lading.core.storage.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DirectBuffersTest {
  private final DirectBuffers buffers = new DirectBuffers(8192, 4096, 4);

  @Test
  void buffersAreAlignedClearedAndOfTheConfiguredSize() {
    ByteBuffer b = buffers.tryTake().orElseThrow();
    assertThat(b.isDirect()).isTrue();
    assertThat(b.capacity()).isEqualTo(8192);
    assertThat(b.alignmentOffset(0, 4096)).isZero();
    b.put(new byte[100]);
    buffers.give(b);
    assertThat(buffers.tryTake().orElseThrow().position()).as("handed out cleared").isZero();
  }

  @Test
  void firstBuffersGoUpToTheLimitAndSpareOnesOnlyUpToHalfOfIt() {
    List<ByteBuffer> taken = new ArrayList<>();
    taken.add(buffers.tryTake().orElseThrow());
    taken.add(buffers.tryTakeSpare().orElseThrow());
    assertThat(buffers.tryTakeSpare()).as("half the pool is out").isEmpty();
    taken.add(buffers.tryTake().orElseThrow());
    taken.add(buffers.tryTake().orElseThrow());
    assertThat(buffers.tryTake()).as("the whole pool is out").isEmpty();
    assertThat(buffers.out()).isEqualTo(4);
    buffers.give(taken.remove(0));
    buffers.give(taken.remove(0));
    buffers.give(taken.remove(0));
    Optional<ByteBuffer> spare = buffers.tryTakeSpare();
    assertThat(spare).as("one of four out again").isPresent();
    assertThat(buffers.out()).isEqualTo(2);
  }
}
