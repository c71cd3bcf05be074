package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RequestBodyStreamTest {

  private static ByteBuf chunk(int size, int value) {
    byte[] b = new byte[size];
    Arrays.fill(b, (byte) value);
    return Unpooled.wrappedBuffer(b);
  }

  @Test
  void firstReadSendsContinueAndTurnsReadingOn() throws IOException {
    EmbeddedChannel channel = new EmbeddedChannel();
    channel.config().setAutoRead(false);
    AtomicInteger continues = new AtomicInteger();
    RequestBodyStream body = new RequestBodyStream(channel, true, continues::incrementAndGet);
    body.offer(chunk(10, 1), true);
    assertThat(continues).hasValue(0);
    byte[] out = new byte[20];
    assertThat(body.read(out, 0, 20)).isEqualTo(10);
    assertThat(continues).hasValue(1);
    assertThat(body.read(out, 0, 20)).isEqualTo(-1);
    assertThat(body.read()).isEqualTo(-1);
    assertThat(continues).hasValue(1);
  }

  @Test
  void readingPausesAboveHighWaterAndResumesBelowLowWater() throws IOException {
    EmbeddedChannel channel = new EmbeddedChannel();
    RequestBodyStream body = new RequestBodyStream(channel, true, () -> {});
    byte[] sink = new byte[64 << 10];
    body.read(sink, 0, 0); // no demand yet for len 0
    // Demand: the reader is waiting; feed until the bound trips.
    int fed = 0;
    body.offer(chunk(1, 0), false);
    assertThat(body.read(sink, 0, 1)).isEqualTo(1);
    channel.runPendingTasks();
    assertThat(channel.config().isAutoRead()).isTrue();
    while (channel.config().isAutoRead()) {
      body.offer(chunk(64 << 10, 2), false);
      fed += 64 << 10;
      assertThat(fed).isLessThanOrEqualTo(RequestBodyStream.HIGH_WATER_BYTES);
    }
    assertThat(body.available()).isEqualTo(RequestBodyStream.HIGH_WATER_BYTES);
    // Draining to just above low water keeps it paused; one more read below resumes.
    while (body.available() >= RequestBodyStream.LOW_WATER_BYTES + (64 << 10)) {
      body.read(sink, 0, sink.length);
      channel.runPendingTasks();
      assertThat(channel.config().isAutoRead()).isFalse();
    }
    body.read(sink, 0, sink.length);
    channel.runPendingTasks();
    assertThat(channel.config().isAutoRead()).isTrue();
  }

  @Test
  void deadConnectionFailsTheReader() {
    EmbeddedChannel channel = new EmbeddedChannel();
    RequestBodyStream body = new RequestBodyStream(channel, true, () -> {});
    body.offer(chunk(4, 1), false);
    body.fail(RequestBodyException.connectionLost());
    byte[] out = new byte[10];
    assertThatThrownBy(
            () -> {
              while (body.read(out, 0, 10) >= 0) {
                // drain what arrived before the failure
              }
            })
        .isInstanceOf(RequestBodyException.class)
        .hasMessageContaining("connection closed");
  }

  @Test
  void closeReleasesBufferedChunks() {
    EmbeddedChannel channel = new EmbeddedChannel();
    RequestBodyStream body = new RequestBodyStream(channel, true, () -> {});
    ByteBuf c = chunk(8, 1);
    body.offer(c, false);
    body.close();
    assertThat(c.refCnt()).isZero();
  }

  @Test
  void requestWithoutBodyIsEndedAtOnce() throws IOException {
    RequestBodyStream body = new RequestBodyStream(new EmbeddedChannel(), false, () -> {});
    assertThat(body.ended()).isTrue();
    assertThat(body.read()).isEqualTo(-1);
  }
}
