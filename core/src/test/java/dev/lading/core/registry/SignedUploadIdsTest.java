package dev.lading.core.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.layout.StorageLayout.DataKey;
import dev.lading.core.layout.StoredValues.UploadState;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.UploadId;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SignedUploadIdsTest {
  private static final RepositoryName REPO = RepositoryName.parse("team/app");
  private static final Instant NOW = Instant.parse("2026-12-03T08:00:00.123Z");
  private static final Duration EXPIRY = Duration.ofHours(24);
  private static final byte[] KEY = StoreSigningKey.random();

  private static SignedUploadIds ids(byte[] key, Instant now) {
    return new SignedUploadIds(() -> key, EXPIRY, Clock.fixed(now, ZoneOffset.UTC));
  }

  @Test
  void anIssuedIdReadsAsASessionJustStartedWithItsUuidAsDataKey() {
    UploadId id = ids(KEY, NOW).issue(REPO);

    assertThat(id.isSigned()).isTrue();
    assertThat(ids(KEY, NOW.plusSeconds(60)).unstored(REPO, id))
        .as("checked by another instance with the same store key, a minute later")
        .contains(UploadState.started(REPO, id, NOW, new DataKey(id.uuid())));
  }

  @Test
  void anIdIsGoodUntilTheEndItCarriesAndNotAfter() {
    UploadId id = ids(KEY, NOW).issue(REPO);

    assertThat(id.signed().orElseThrow().startedAt()).isEqualTo(NOW);
    assertThat(id.signed().orElseThrow().endsAt()).isEqualTo(NOW.plus(EXPIRY));
    assertThat(ids(KEY, NOW.plus(EXPIRY).minusMillis(1)).unstored(REPO, id)).isPresent();
    assertThat(ids(KEY, NOW.plus(EXPIRY)).unstored(REPO, id)).isEmpty();
    SignedUploadIds shorterExpiryHere =
        new SignedUploadIds(
            () -> KEY, Duration.ofHours(1), Clock.fixed(NOW.plusSeconds(7200), ZoneOffset.UTC));
    assertThat(shorterExpiryHere.unstored(REPO, id))
        .as("the issuer's expiry decides, whatever the checking instance is configured with")
        .isPresent();
  }

  @Test
  void anIdOfAnotherRepositoryOrAnotherStoreIsUnknown() {
    UploadId id = ids(KEY, NOW).issue(REPO);

    assertThat(ids(KEY, NOW).unstored(RepositoryName.parse("team/other"), id)).isEmpty();
    assertThat(ids(StoreSigningKey.random(), NOW).unstored(REPO, id)).isEmpty();
  }

  @Test
  void anyAlteredPartMakesTheIdUnknown() {
    UploadId.Signed id = ids(KEY, NOW).issue(REPO).signed().orElseThrow();
    String uuid = id.uuid();
    String start = id.start();
    String end = id.end();
    String signature = id.signature();
    String otherUuid = (uuid.charAt(0) == 'a' ? 'b' : 'a') + uuid.substring(1);
    String laterEnd = Long.toHexString(Long.parseLong(end, 16) + 3_600_000);
    String earlierStart = Long.toHexString(Long.parseLong(start, 16) - 1);
    String otherSignature = (signature.charAt(0) == '0' ? '1' : '0') + signature.substring(1);
    for (String forged :
        new String[] {
          otherUuid + "." + start + "." + end + "." + signature,
          uuid + "." + start + "." + laterEnd + "." + signature,
          uuid + "." + earlierStart + "." + end + "." + signature,
          uuid + "." + "0" + start + "." + end + "." + signature,
          uuid + "." + start + "." + end + "." + otherSignature,
        }) {
      assertThat(ids(KEY, NOW).unstored(REPO, UploadId.parse(forged))).as(forged).isEmpty();
    }
  }

  @Test
  void aPlainIdIsNeverReadFromItself() {
    assertThat(ids(KEY, NOW).unstored(REPO, UploadId.random())).isEmpty();
  }

  @Test
  void theStoreKeyIsAskedForOnce() {
    AtomicInteger asked = new AtomicInteger();
    SignedUploadIds ids =
        new SignedUploadIds(
            () -> {
              asked.incrementAndGet();
              return KEY;
            },
            EXPIRY,
            Clock.fixed(NOW, ZoneOffset.UTC));

    for (int i = 0; i < 3; i++) {
      assertThat(ids.unstored(REPO, ids.issue(REPO))).isPresent();
    }
    assertThat(asked).hasValue(1);
  }
}
