package dev.lading.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The soaks share their options through one mixin, each with its own defaults where both may run at
 * once.
 */
class SoakOptionsTest {

  @Test
  void eachSoakKeepsItsOwnDefaultsForWhatMustDiffer() {
    CrashSoak crash = new CrashSoak();
    new CommandLine(crash).parseArgs();
    GcSoak gc = new GcSoak();
    new CommandLine(gc).parseArgs();

    assertThat(crash.options.s3Bucket).isEqualTo("lading-soak");
    assertThat(crash.options.s3proxyPort).isEqualTo(15277);
    assertThat(crash.options.dataDir).isEqualTo(Path.of("/work/soak-data"));
    assertThat(gc.options.s3Bucket).isEqualTo("lading-gcsoak");
    assertThat(gc.options.s3proxyPort).isEqualTo(15278);
    assertThat(gc.options.dataDir).isEqualTo(Path.of("/work/gcsoak-data"));
    for (SoakOptions o : new SoakOptions[] {crash.options, gc.options}) {
      assertThat(o.fenceDelaySeconds).isEqualTo(6);
      assertThat(o.heap).isEqualTo("256m");
      assertThat(o.s3PartMib).isEqualTo(8);
      assertThat(o.seed).isNull();
    }
  }

  @Test
  void theSharedOptionsParseOnEitherCommand() {
    GcSoak gc = new GcSoak();
    new CommandLine(gc)
        .parseArgs(
            "--s3-bucket",
            "other",
            "--s3proxy-port",
            "16000",
            "--seed",
            "7",
            "--gc-fence-delay-s",
            "9",
            "--keep",
            "--gc-grace-minutes",
            "3");

    assertThat(gc.options.s3Bucket).isEqualTo("other");
    assertThat(gc.options.s3proxyPort).isEqualTo(16000);
    assertThat(gc.options.seedOrRandom()).isEqualTo(7);
    assertThat(gc.options.fenceDelaySeconds).isEqualTo(9);
    assertThat(gc.options.keep).isTrue();
    assertThat(gc.graceMinutes).isEqualTo(3);
  }
}
