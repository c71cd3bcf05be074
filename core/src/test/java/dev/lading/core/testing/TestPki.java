package dev.lading.core.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemObjectGenerator;

/**
 * A test certificate authority, made in memory: a CA and server certificates for {@code localhost}
 * and {@code 127.0.0.1} with chosen serial numbers (how a test tells which certificate a connection
 * got), written as PEM the way cert-manager and openssl write them. Shared through core's test-jar
 * by the server's TLS tests and the conformance suite; a module that uses it brings Bouncy Castle
 * ({@code bcpkix-jdk18on}) to its own test classpath.
 */
public final class TestPki {
  private final KeyPair caKeys;
  private final X509Certificate ca;

  private TestPki(KeyPair caKeys, X509Certificate ca) {
    this.caKeys = caKeys;
    this.ca = ca;
  }

  /** A new self-signed CA. */
  public static TestPki create(String name) {
    KeyPair keys = keys("EC");
    X500Name subject = new X500Name("CN=" + name);
    try {
      JcaX509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              subject,
              BigInteger.ONE,
              Date.from(Instant.now().minus(Duration.ofHours(1))),
              Date.from(Instant.now().plus(Duration.ofDays(2))),
              subject,
              keys.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      b.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      return new TestPki(keys, sign(b, keys));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A server certificate, its key of {@code algorithm} ({@code RSA} or {@code EC}). */
  public Issued issue(long serial, String algorithm, String... hosts) {
    KeyPair keys = keys(algorithm);
    try {
      JcaX509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              new X500Name(ca.getSubjectX500Principal().getName()),
              BigInteger.valueOf(serial),
              Date.from(Instant.now().minus(Duration.ofHours(1))),
              Date.from(Instant.now().plus(Duration.ofDays(1))),
              new X500Name("CN=" + hosts[0]),
              keys.getPublic());
      GeneralName[] names = new GeneralName[hosts.length];
      for (int i = 0; i < hosts.length; i++) {
        names[i] =
            new GeneralName(
                hosts[i].matches("[0-9.]+") ? GeneralName.iPAddress : GeneralName.dNSName,
                hosts[i]);
      }
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      b.addExtension(
          Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
      return new Issued(sign(b, caKeys), keys);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A server certificate for {@code localhost} and {@code 127.0.0.1}. */
  public Issued issue(long serial, String algorithm) {
    return issue(serial, algorithm, "localhost", "127.0.0.1");
  }

  public X509Certificate caCertificate() {
    return ca;
  }

  public String caPem() {
    return pem(ca);
  }

  /** A client context trusting this CA only. */
  public SSLContext clientContext() {
    try {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("ca", ca);
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A certificate and its key pair. */
  public record Issued(X509Certificate certificate, KeyPair keys) {
    public String certificatePem() {
      return pem(certificate);
    }

    /** PKCS#8 ({@code PRIVATE KEY}). */
    public String keyPkcs8Pem() {
      try {
        return pem(new JcaPKCS8Generator(keys.getPrivate(), null));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /**
     * The traditional form: PKCS#1 for RSA, SEC1 for EC (cert-manager's and openssl's defaults).
     * SEC1 written as openssl writes it, naming its curve and carrying the public key (the JDK's
     * own encoding leaves the curve to the PKCS#8 wrapper).
     */
    public String keyTraditionalPem() {
      if (keys.getPrivate() instanceof java.security.interfaces.ECPrivateKey ec) {
        SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded());
        try {
          byte[] sec1 =
              new org.bouncycastle.asn1.sec.ECPrivateKey(
                      256, ec.getS(), spki.getPublicKeyData(), SECObjectIdentifiers.secp256r1)
                  .getEncoded();
          return pem(new PemObject("EC PRIVATE KEY", sec1));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      return pem(keys.getPrivate());
    }

    /**
     * Writes the certificate (then {@code more} PEM, an intermediate) and the key as PKCS#8 into
     * {@code dir}.
     */
    public void writeTo(Path cert, Path key, String... more) throws IOException {
      Files.writeString(cert, certificatePem() + String.join("", more));
      Files.writeString(key, keyPkcs8Pem());
    }
  }

  private static X509Certificate sign(JcaX509v3CertificateBuilder b, KeyPair signer) {
    try {
      String algorithm =
          signer.getPrivate().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
      return new JcaX509CertificateConverter()
          .getCertificate(
              b.build(new JcaContentSignerBuilder(algorithm).build(signer.getPrivate())));
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }

  private static KeyPair keys(String algorithm) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm);
      if (algorithm.equals("EC")) {
        g.initialize(new ECGenParameterSpec("secp256r1"));
      } else {
        g.initialize(2048);
      }
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String pem(Object o) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      if (o instanceof PemObjectGenerator g) {
        w.writeObject(g);
      } else {
        w.writeObject(o);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }
}
