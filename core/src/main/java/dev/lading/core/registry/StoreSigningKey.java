package dev.lading.core.registry;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.UrlSigningKeyKey;
import dev.lading.core.layout.StoredValues.UrlSigningKey;
import dev.lading.core.storage.ObjectStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HMAC key every instance on one store shares ({@code auth/url-signing-key}): what one instance
 * signs (a blob URL, an upload id) every other checks, across restarts. Created by the first
 * instance that needs it, create-if-absent, so instances racing agree on the first one written.
 */
public final class StoreSigningKey {
  private static final Logger LOG = LoggerFactory.getLogger(StoreSigningKey.class);

  private StoreSigningKey() {}

  /**
   * The store's key; created there when missing and {@code mayCreate}. A read-only instance on a
   * store without the key gets a key of its own, said in the log (what it signs is then good only
   * on it). A store that fails is {@code STORAGE_UNAVAILABLE}: the caller's request fails, the next
   * one reads again.
   */
  public static byte[] load(ObjectStore store, boolean mayCreate) {
    String key = StorageLayout.keyOf(new UrlSigningKeyKey());
    try {
      var stored = store.read(key);
      if (stored.isEmpty() && mayCreate) {
        store.writeIfAbsent(key, new UrlSigningKey(random()).write());
        stored = store.read(key);
      }
      if (stored.isPresent()) {
        return UrlSigningKey.read(stored.get()).key();
      }
    } catch (IOException e) {
      throw ErrorCode.STORAGE_UNAVAILABLE
          .exception("cannot read the store's signing key")
          .withCause(e);
    }
    LOG.warn(
        "no {} in the store and this instance may not create it: what it signs is good only on"
            + " this instance",
        key);
    return random();
  }

  /** A key for one purpose only, derived from {@code key}, so no signature serves two. */
  public static byte[] derive(byte[] key, String purpose) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(purpose.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  /**
   * HMAC-SHA256 under a key asked for when the first message is signed (a server nobody asks for a
   * signature never reads or creates one); a failure there fails that signature, and the next one
   * asks again.
   */
  public static final class Hmac {
    private final Supplier<byte[]> keySource;
    private volatile Keyed keyed;

    /**
     * The key and a Mac initialised with it that is never used itself: each signature works on a
     * clone, which copies the keyed state. Looking the algorithm up among the providers and keying
     * a new Mac cost more than the signature of a short message, twice on every upload request.
     */
    private record Keyed(SecretKeySpec key, Mac prototype) {}

    public Hmac(Supplier<byte[]> keySource) {
      this.keySource = keySource;
    }

    public byte[] sign(String message) {
      try {
        return newMac().doFinal(message.getBytes(StandardCharsets.UTF_8));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("HmacSHA256 unavailable", e);
      }
    }

    private Mac newMac() throws GeneralSecurityException {
      Keyed k = keyed();
      try {
        return (Mac) k.prototype().clone();
      } catch (CloneNotSupportedException e) {
        // A provider whose Macs cannot be cloned: key a new one.
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(k.key());
        return mac;
      }
    }

    private Keyed keyed() throws GeneralSecurityException {
      Keyed k = keyed;
      if (k == null) {
        synchronized (this) {
          if (keyed == null) {
            SecretKeySpec key = new SecretKeySpec(keySource.get(), "HmacSHA256");
            Mac prototype = Mac.getInstance("HmacSHA256");
            prototype.init(key);
            keyed = new Keyed(key, prototype);
          }
          k = keyed;
        }
      }
      return k;
    }
  }

  /** A fresh random key of {@link UrlSigningKey#MIN_BYTES} bytes. */
  public static byte[] random() {
    byte[] k = new byte[UrlSigningKey.MIN_BYTES];
    new SecureRandom().nextBytes(k);
    return k;
  }
}
