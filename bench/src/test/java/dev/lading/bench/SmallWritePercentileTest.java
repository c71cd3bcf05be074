package dev.lading.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** The nearest-rank percentiles SmallWriteBench prints for its per-image latencies. */
class SmallWritePercentileTest {

  @Test
  void nearestRankOfTwoHundredSamples() {
    long[] sorted = LongStream.rangeClosed(1, 200).toArray();

    assertThat(Measurement.percentile(sorted, 0.50)).isEqualTo(100);
    assertThat(Measurement.percentile(sorted, 0.99)).isEqualTo(198);
    assertThat(Measurement.percentile(sorted, 1.0)).isEqualTo(200);
  }

  @Test
  void fewSamplesNeverInterpolate() {
    assertThat(Measurement.percentile(new long[] {7}, 0.99)).isEqualTo(7);
    assertThat(Measurement.percentile(new long[] {1, 9}, 0.50)).isEqualTo(1);
    assertThat(Measurement.percentile(new long[] {1, 9}, 0.51)).isEqualTo(9);
    assertThat(Measurement.percentile(new long[] {3, 5, 8, 40}, 0.99)).isEqualTo(40);
  }

  @Test
  void noSamplesIsAnError() {
    assertThatThrownBy(() -> Measurement.percentile(new long[0], 0.5))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
