package dev.lading.core.registry;

import dev.lading.core.layout.StorageLayout.DataKey;
import dev.lading.core.layout.StoredValues.UploadState;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.UploadId;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Upload ids that carry what a session's stored state would say when it starts, so starting a
 * session writes nothing: {@code <uuid>.<start>.<end>.<signature>} (epoch milliseconds in hex; the
 * end is the start plus the upload expiry of the instance that issued it), the signature an
 * HMAC-SHA256, truncated to 128 bits, over the repository and those parts, keyed with a key derived
 * from the store's shared key ({@link StoreSigningKey}), so an id one instance issued is good on
 * every instance. A session with such an id and no stored state is a session just started: nothing
 * received, its data key the UUID ({@link #unstored}); its state is stored from its first bytes on,
 * as every session's is, and its end is stored as a cancelled state until the id's end (GC keeps
 * that promise too: it ends such a session early with a cancelled state, and deletes the state only
 * after the id's end).
 *
 * <p>Why the signature: the UUID names the session's data object, so a client that could choose it
 * could aim a session at an existing blob's data; and the end bounds the session's life, so a
 * client that could choose it could keep a session alive forever. An id whose signature is wrong
 * (forged, altered, or for another repository) is unknown, as is one past its end. Signatures are
 * compared in constant time.
 */
final class SignedUploadIds {
  private static final String PURPOSE = "lading upload ids v1";
  private static final int SIGNATURE_BYTES = 16;
  private static final HexFormat HEX = HexFormat.of();

  private final StoreSigningKey.Hmac hmac;
  private final Duration expiry;
  private final Clock clock;

  /**
   * @param storeKey the store's shared key, asked for when the first id is issued or checked (a
   *     failure there fails that request, and the next one asks again)
   * @param expiry how long the sessions this instance starts live: the upload expiry
   */
  SignedUploadIds(Supplier<byte[]> storeKey, Duration expiry, Clock clock) {
    this.hmac = new StoreSigningKey.Hmac(() -> StoreSigningKey.derive(storeKey.get(), PURPOSE));
    this.expiry = expiry;
    this.clock = clock;
  }

  /** A new session's id, started now, in {@code repo}. */
  UploadId issue(RepositoryName repo) {
    String uuid = UUID.randomUUID().toString();
    long start = clock.millis();
    long end = start + expiry.toMillis();
    String signature = sign(repo, uuid, Long.toHexString(start), Long.toHexString(end));
    return UploadId.signed(uuid, start, end, signature);
  }

  /**
   * The state of the session {@code id} names in {@code repo} while none is stored: started at the
   * time the id carries, nothing received, its data key the id's UUID. Empty when the id is not
   * signed, its signature is wrong, or it is past its end.
   */
  Optional<UploadState> unstored(RepositoryName repo, UploadId id) {
    Optional<UploadId.Signed> signed = id.signed();
    if (signed.isEmpty()) {
      return Optional.empty();
    }
    UploadId.Signed parts = signed.get();
    byte[] expected =
        sign(repo, parts.uuid(), parts.start(), parts.end()).getBytes(StandardCharsets.US_ASCII);
    byte[] given = parts.signature().getBytes(StandardCharsets.US_ASCII);
    if (!MessageDigest.isEqual(expected, given) || !clock.instant().isBefore(parts.endsAt())) {
      return Optional.empty();
    }
    return Optional.of(UploadState.started(repo, id, parts.startedAt(), new DataKey(parts.uuid())));
  }

  /** The signature over the parts as written (so another spelling of a number is another id). */
  private String sign(RepositoryName repo, String uuid, String start, String end) {
    byte[] sig = hmac.sign("lading-upload\n" + repo + "\n" + uuid + "\n" + start + "\n" + end);
    return HEX.formatHex(sig, 0, SIGNATURE_BYTES);
  }
}
