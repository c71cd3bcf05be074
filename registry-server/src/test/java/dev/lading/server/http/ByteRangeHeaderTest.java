package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.model.ByteRange;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
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
    assertThat(ByteRangeHeader.resolve(header, size))
        .hasValue(new ByteRangeHeader.Ranges(List.of(new ByteRange(first, last)), false));
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
    "'bytes=0-1,5-6',     0",
    "'bytes=100-,200-300', 100",
    "'bytes=-0,-0',       100",
    "'bytes=0-1,5-4',     100",
    "'bytes=0-1,x',       100",
    "'bytes=0-1,5-6-7',   100",
    "'bytes=,',           100",
    "'bytes= , ,',        100",
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
        .isInstanceOfSatisfying(
            RegistryException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.RANGE_NOT_SATISFIABLE));
  }

  @ParameterizedTest(name = "{0} of 1000 bytes -> parts {1}")
  @CsvSource(
      delimiter = ';',
      value = {
        // Kept in the header's order when nothing is merged (RFC 9110 §15.3.7.2's SHOULD).
        "bytes=0-9,100-109;        0-9 100-109",
        "bytes=100-109,0-9;        100-109 0-9",
        "bytes=900-,-5,0-0;        900-999 0-0",
        // Overlapping ranges become one part, where the first of them was.
        "bytes=0-9,5-14;           0-14",
        "bytes=0-9,9-19;           0-19",
        "bytes=10-19,0-10;         0-19",
        "bytes=500-599,0-9,5-20;   500-599 0-20",
        "bytes=0-9,500-599,5-20;   0-20 500-599",
        "bytes=0-9,0-9;            0-9",
        "bytes=-10,0-;             0-999",
        "bytes=0-2,1-1,2-2;        0-2",
        "bytes=20-29,0-9,5-25;     0-29",
        // Touching ranges stay apart: containers/storage asks for them and counts the parts.
        "bytes=0-9,10-19;          0-9 10-19",
        "bytes=10-19,0-9;          10-19 0-9",
        "bytes=20-29,0-9,10-19;    20-29 0-9 10-19",
        "bytes=0-0,2-2,1-1;        0-0 2-2 1-1",
        "bytes=161-384,385-648,649-914; 161-384 385-648 649-914",
        // One byte between them: two parts (a gap is never merged).
        "bytes=0-9,11-19;          0-9 11-19",
        // Unsatisfiable ranges among satisfiable ones are dropped; empty list elements skipped.
        "bytes=0-9,1000-1009;      0-9",
        "bytes=2000-,-0,990-;      990-999",
        "bytes=0-9,,20-29,;        0-9 20-29",
        "bytes = 0 - 9 , 20 - 29;  0-9 20-29",
        "bytes=0-5,99999999999999999999-; 0-5",
      })
  void resolvesSeveralRangesToTheParts(String header, String expected) {
    List<ByteRange> parts = new ArrayList<>();
    for (String p : expected.strip().split(" ")) {
      String[] ends = p.split("-");
      parts.add(new ByteRange(Long.parseLong(ends[0]), Long.parseLong(ends[1])));
    }
    assertThat(ByteRangeHeader.resolve(header, 1000))
        .hasValue(new ByteRangeHeader.Ranges(parts, true));
  }

  @Test
  void oneRangeWithEmptyListElementsIsStillASingleRange() {
    assertThat(ByteRangeHeader.resolve("bytes=,0-9,", 1000))
        .hasValue(new ByteRangeHeader.Ranges(List.of(new ByteRange(0, 9)), false));
  }

  @Test
  void theCapCountsTheRangesAsSentBeforeAnyIsMerged() {
    String four = "bytes=0-0,0-0,0-0,0-0";
    assertThat(ByteRangeHeader.resolve(four, 1000, 4)).isPresent();
    assertThatThrownBy(() -> ByteRangeHeader.resolve(four + ",0-0", 1000, 4))
        .isInstanceOfSatisfying(
            RegistryException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.RANGE_NOT_SATISFIABLE);
              assertThat(e.getMessage()).contains("more than 4 ranges");
            });
    // Unsatisfiable ranges count too: the cap bounds the work of reading the header.
    assertThatThrownBy(() -> ByteRangeHeader.resolve("bytes=0-0,5000-,6000-", 1000, 2))
        .isInstanceOf(RegistryException.class);
    // Empty list elements do not count.
    assertThat(ByteRangeHeader.resolve("bytes=0-0,,,,,1-1", 1000, 2)).isPresent();
  }

  @Test
  void theDefaultCapIsWhatContainersStorageAsksAtMost() {
    List<String> specs = new ArrayList<>();
    for (int i = 0; i < 1024; i++) {
      specs.add(i * 4 + "-" + (i * 4 + 1));
    }
    String header = "bytes=" + String.join(",", specs);
    assertThat(ByteRangeHeader.resolve(header, 1 << 20).orElseThrow().parts()).hasSize(1024);
    assertThatThrownBy(() -> ByteRangeHeader.resolve(header + ",5000-5001", 1 << 20))
        .isInstanceOf(RegistryException.class);
  }

  @Test
  void stackedRangesNeverSendAByteTwice() {
    // RFC 9110 §17.15's amplification: a thousand times the whole blob in one small header.
    String header = "bytes=" + String.join(",", Collections.nCopies(1000, "0-"));
    assertThat(ByteRangeHeader.resolve(header, 1000).orElseThrow().parts())
        .containsExactly(new ByteRange(0, 999));
    String shifted =
        "bytes="
            + String.join(",", IntStream.range(0, 999).mapToObj(i -> i + "-" + (i + 1)).toList());
    assertThat(ByteRangeHeader.resolve(shifted, 1000).orElseThrow().parts())
        .containsExactly(new ByteRange(0, 999));
    // Touching ranges are parts of their own, and still every byte comes once.
    String touching =
        "bytes=" + String.join(",", IntStream.range(0, 1000).mapToObj(i -> i + "-" + i).toList());
    List<ByteRange> parts = ByteRangeHeader.resolve(touching, 1000).orElseThrow().parts();
    assertThat(parts).hasSize(1000);
    assertThat(parts.stream().mapToLong(ByteRange::length).sum()).isEqualTo(1000);
  }

  @ParameterizedTest(name = "{0} asks for several: {1}")
  @CsvSource(
      delimiter = ';',
      value = {
        "bytes=0-1,5-6; true",
        "BYTES = 0-1 , -5; true",
        "bytes=0-1; false",
        "bytes=0-1,; false",
        "bytes=,0-1,,; false",
        "items=0-1,5-6; false",
        "0-1,5-6; false",
      })
  void tellsWhetherSeveralRangesAreAsked(String header, boolean several) {
    assertThat(ByteRangeHeader.asksForSeveral(header)).isEqualTo(several);
  }
}
