package dev.lading.server.tls;

import dev.lading.server.config.ConfigKey;
import dev.lading.server.config.LadingConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.util.List;

/**
 * A certificate chain and the private key of its first certificate, read from the two files
 * together, with the fingerprint of both files' bytes (how a reload knows whether anything
 * changed). Reading checks what a TLS handshake would otherwise find out with every client: that
 * the key belongs to the leaf.
 */
record CertificatePair(List<X509Certificate> chain, PrivateKey key, byte[] fingerprint) {
  static final String CERT_KEY = ConfigKey.HTTP_TLS_CERT_FILE.path();
  static final String KEY_KEY = ConfigKey.HTTP_TLS_KEY_FILE.path();

  CertificatePair {
    chain = List.copyOf(chain);
  }

  X509Certificate leaf() {
    return chain.get(0);
  }

  /** A short description for the log: subject, serial, validity. Nothing secret. */
  String describe() {
    X509Certificate leaf = leaf();
    return leaf.getSubjectX500Principal().getName()
        + ", serial "
        + leaf.getSerialNumber().toString(16)
        + ", valid until "
        + leaf.getNotAfter().toInstant()
        + (chain.size() > 1 ? ", " + (chain.size() - 1) + " more in the chain" : "");
  }

  /**
   * The files' raw bytes, read once each: the fingerprint and the parse see the same content even
   * if a file is replaced meanwhile.
   */
  record PairBytes(byte[] cert, byte[] key) {
    byte[] fingerprint() {
      try {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(cert);
        sha.update((byte) 0);
        sha.update(key);
        return sha.digest();
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("the JDK has no SHA-256", e);
      }
    }
  }

  /**
   * Reads both files, following symbolic links anew each time (a Kubernetes Secret volume swaps its
   * {@code ..data} link to publish a new pair).
   *
   * @throws TlsFileException naming the configuration key of the file at fault
   */
  static PairBytes readFiles(LadingConfig.Tls files) {
    return new PairBytes(read(files.certFile(), CERT_KEY), read(files.keyFile(), KEY_KEY));
  }

  /** Parses and checks what {@link #readFiles} read. */
  static CertificatePair parse(PairBytes bytes, LadingConfig.Tls files) {
    List<X509Certificate> chain;
    try {
      chain = PemFiles.certificates(bytes.cert());
    } catch (IllegalArgumentException e) {
      throw new TlsFileException(CERT_KEY, files.certFile() + ": " + e.getMessage());
    }
    PrivateKey key;
    try {
      key = PemFiles.privateKey(bytes.key());
    } catch (IllegalArgumentException e) {
      throw new TlsFileException(KEY_KEY, files.keyFile() + ": " + e.getMessage());
    }
    if (!matches(key, chain.get(0).getPublicKey())) {
      throw new TlsFileException(
          KEY_KEY,
          "the key in "
              + files.keyFile()
              + " does not belong to the first certificate in "
              + files.certFile()
              + " ("
              + CERT_KEY
              + " must start with the server's own certificate, then its intermediates)");
    }
    return new CertificatePair(chain, key, bytes.fingerprint());
  }

  static CertificatePair load(LadingConfig.Tls files) {
    return parse(readFiles(files), files);
  }

  private static byte[] read(Path file, String configKey) {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new TlsFileException(configKey, file + ": no such file");
    } catch (IOException e) {
      throw new TlsFileException(configKey, file + ": cannot read: " + e.getMessage());
    }
  }

  /**
   * Whether {@code key} is the private half of {@code pub}: compared for RSA, by a test signature
   * otherwise.
   */
  static boolean matches(PrivateKey key, PublicKey pub) {
    if (key instanceof RSAPrivateKey rsa) {
      return pub instanceof RSAPublicKey p && p.getModulus().equals(rsa.getModulus());
    }
    String algorithm =
        switch (key.getAlgorithm()) {
          case "EC" -> "SHA256withECDSA";
          case "Ed25519", "Ed448", "EdDSA" -> key.getAlgorithm();
          default -> null;
        };
    if (algorithm == null || !key.getAlgorithm().equals(pub.getAlgorithm())) {
      return false;
    }
    try {
      byte[] probe =
          "lading: does this key belong to this certificate".getBytes(StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(pub);
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
