package dev.lading.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class S3StoreConfigTest {
  private static S3StoreConfig config() {
    return S3StoreConfig.of(
        Optional.of(URI.create("http://127.0.0.1:9000")),
        "us-east-1",
        "bucket",
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI-secret");
  }

  @Test
  void defaultPartSizeFitsAHundredGigabyteLayerInTenThousandParts() {
    S3StoreConfig config = config();
    long hundredGiB = 100L * 1024 * 1024 * 1024;
    assertThat(config.partSize()).isLessThanOrEqualTo(S3StoreConfig.MAX_PART_SIZE);
    assertThat(config.maxObjectSize()).isGreaterThanOrEqualTo(3 * hundredGiB);
    long partsFor100GiB = (hundredGiB + config.partSize() - 1) / config.partSize();
    assertThat(partsFor100GiB).isLessThanOrEqualTo(S3StoreConfig.MAX_PARTS).isEqualTo(3200);
    // Distribution's fixed 10 MiB parts stop short of 100 GiB.
    assertThat(10 * S3StoreConfig.MIB * S3StoreConfig.MAX_PARTS).isLessThan(hundredGiB);
  }

  @Test
  void defaultBudgetHoldsAPartFillingAndEveryPartInFlightAndAQuarterOfTheHeapBeyondThat() {
    S3StoreConfig config = config();
    long oneWrite = (1L + config.partsInFlight()) * config.partSize();
    assertThat(config.partsInFlight()).isEqualTo(2);
    assertThat(config.memoryBudget()).isGreaterThanOrEqualTo(oneWrite);
    assertThat(config.memoryBudget())
        .isLessThanOrEqualTo(Math.max(oneWrite, Runtime.getRuntime().maxMemory() / 4));
    assertThat(S3StoreConfig.defaultMemoryBudget(128 * S3StoreConfig.MIB, 4))
        .isGreaterThanOrEqualTo(5 * 128 * S3StoreConfig.MIB);
  }

  @Test
  void partsInFlightOutsideOneToSixteenAreRefused() {
    assertThatThrownBy(() -> config().withPartsInFlight(0)).hasMessageContaining("partsInFlight");
    assertThatThrownBy(() -> config().withPartsInFlight(17)).hasMessageContaining("partsInFlight");
    assertThat(config().withPartsInFlight(16).partsInFlight()).isEqualTo(16);
  }

  @Test
  void secretNeverAppearsInToString() {
    assertThat(config().toString()).doesNotContain("wJalrXUtnFEMI").contains("secretKey=****");
  }

  @Test
  void partSizesOutsideFiveToOneHundredTwentyEightMebibytesAreRefused() {
    assertThatThrownBy(() -> config().withPartSize(5 * S3StoreConfig.MIB - 1024))
        .hasMessageContaining("partSize");
    assertThatThrownBy(() -> config().withPartSize(129 * S3StoreConfig.MIB))
        .hasMessageContaining("partSize");
    assertThatThrownBy(() -> config().withPartSize(6 * S3StoreConfig.MIB + 1))
        .hasMessageContaining("partSize");
    assertThat(config().withPartSize(128 * S3StoreConfig.MIB).memoryBudget())
        .isGreaterThanOrEqualTo(128 * S3StoreConfig.MIB);
  }

  @Test
  void budgetSmallerThanOnePartIsRefused() {
    assertThatThrownBy(() -> config().withMemoryBudget(S3StoreConfig.MIB))
        .hasMessageContaining("memoryBudget");
  }

  @Test
  void invalidPlacesAreRefusedNamingTheField() {
    assertThatThrownBy(() -> config().withPrefix("no-slash")).hasMessageContaining("prefix");
    assertThatThrownBy(() -> config().withPrefix("../x/")).hasMessageContaining("invalid key");
    assertThatThrownBy(() -> config().withPrefix("+tails/")).hasMessageContaining("invalid key");
    assertThatThrownBy(
            () -> S3StoreConfig.of(Optional.of(URI.create("ftp://h")), "r", "bucket", "a", "s"))
        .hasMessageContaining("endpoint");
    assertThatThrownBy(() -> S3StoreConfig.of(Optional.empty(), "r", "Bad_Bucket", "a", "s"))
        .hasMessageContaining("bucket");
    assertThatThrownBy(() -> S3StoreConfig.of(Optional.empty(), "r", "bucket", "a", " "))
        .hasMessageContaining("secretKey");
    assertThat(config().withPrefix("lading/registry/").prefix()).isEqualTo("lading/registry/");
  }

  @Test
  void checksumModeParsesTheConfigSpelling() {
    assertThat(S3StoreConfig.ChecksumMode.parse("when_required"))
        .isEqualTo(S3StoreConfig.ChecksumMode.WHEN_REQUIRED);
    assertThat(S3StoreConfig.ChecksumMode.parse("WHEN_SUPPORTED"))
        .isEqualTo(S3StoreConfig.ChecksumMode.WHEN_SUPPORTED);
    assertThat(config().checksumMode()).isEqualTo(S3StoreConfig.ChecksumMode.WHEN_REQUIRED);
    assertThatThrownBy(() -> S3StoreConfig.ChecksumMode.parse("always"))
        .hasMessageContaining("when_required");
  }

  @Test
  void resumeTokenRoundTripsAndRejectsForgeries() {
    ResumeToken token =
        new ResumeToken(Optional.of("2~odd/upload+id=="), 5 * S3StoreConfig.MIB, 17, 1234, 9, true);
    assertThat(ResumeToken.parse(token.encode())).isEqualTo(token);
    assertThat(
            ResumeToken.parse(ResumeToken.fresh(S3StoreConfig.DEFAULT_PART_SIZE).encode()).size())
        .isZero();
    assertThatThrownBy(() -> ResumeToken.parse("42")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ResumeToken.parse("s3mp1::5242880:3:0:1:0"))
        .hasMessageContaining("parts without an upload id");
    assertThatThrownBy(() -> ResumeToken.parse("s3mp1::5242880:0:5242880:1:0"))
        .hasMessageContaining("tail size");
  }
}
