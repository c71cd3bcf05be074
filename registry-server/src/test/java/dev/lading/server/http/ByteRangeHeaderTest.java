package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.model.ByteRange;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ByteRangeHeaderTest {

  @ParameterizedTest(name = "{0} of {1} bytes -> {2}-{3}")
  @CsvSource({
    "'bytes=0-0',      100, 0,  0",
    "'bytes=0-99',     100, 0,  99",
    "'bytes=10-19',    100, 10, 19",
    "'bytes=10-',      100, 10, 99",
    "'bytes=90-500',   100, 90, 99",
    "'bytes=-10',      100, 90, 99",
    "'bytes=-1000',    100, 0,  99",
    "'BYTES = 5 - 6',  100, 5,  6",
    "'bytes=0-99999999999999999999999', 100, 0, 99",
    "'bytes=10-9223372036854775807',    100, 10, 99",
    "'bytes=-99999999999999999999',     100, 0, 99",
    "'bytes=000000000000000000000005-6', 100, 5, 6",
  })
  void resolvesOneRange(String header, long size, long first, long last) {
    assertThat(ByteRangeHeader.resolve(header, size)).hasValue(new ByteRange(first, last));
  }

  @ParameterizedTest(name = "{0} is ignored")
  @CsvSource({"'items=0-1'", "'pages = 1-2,5-6'", "'x=whatever'"})
  void ignoresOtherUnits(String header) {
    assertThat(ByteRangeHeader.resolve(header, 100)).isEmpty();
  }

  @ParameterizedTest(name = "{0} of {1} bytes is refused")
  @CsvSource({
    "'bytes=100-',        100",
    "'bytes=100-200',     100",
    "'bytes=5-4',         100",
    "'bytes=-0',          100",
    "'bytes=0-0',         0",
    "'bytes=0-1,5-6',     100",
    "'=0-1',              100",
    "'by tes=0-1',        100",
    "'bytes=a-b',         100",
    "'bytes=',            100",
    "'0-10',              100",
    "'bytes=99999999999999999999-', 100",
    "'bytes=99999999999999999999-99999999999999999999', 100",
  })
  void refusesWhatItCannotHonourExactly(String header, long size) {
    assertThatThrownBy(() -> ByteRangeHeader.resolve(header, size))
        .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.RANGE_INVALID));
  }
}
