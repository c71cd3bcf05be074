package dev.lading.gc;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ByteSizeTest {
  @Test
  void sizesReadAsPeopleReadThem() {
    assertThat(ByteSize.human(0)).isEqualTo("0 B");
    assertThat(ByteSize.human(1023)).isEqualTo("1023 B");
    assertThat(ByteSize.human(1024)).isEqualTo("1.0 KiB");
    assertThat(ByteSize.human(1_288_490_189L)).isEqualTo("1.2 GiB");
    assertThat(ByteSize.human((1L << 20) - 1)).isEqualTo("1.0 MiB");
    assertThat(ByteSize.human(Long.MAX_VALUE)).isEqualTo("8.0 EiB");
  }
}
