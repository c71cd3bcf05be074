package dev.lading.server.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.testing.TestPki;
import dev.lading.server.config.LadingConfig;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificatePairTest {
  private static final TestPki PKI = TestPki.create("Lading Test CA");
  @TempDir Path dir;

  private LadingConfig.Tls files(String cert, String key) throws Exception {
    Path c = dir.resolve("tls.crt");
    Path k = dir.resolve("tls.key");
    Files.writeString(c, cert);
    Files.writeString(k, key);
    return new LadingConfig.Tls(c, k);
  }

  @Test
  void readsPkcs8Pkcs1AndSec1KeysWithTheJdkAlone() throws Exception {
    for (String algorithm : new String[] {"RSA", "EC"}) {
      TestPki.Issued issued = PKI.issue(7, algorithm);
      assertThat(issued.keyTraditionalPem())
          .startsWith(
              algorithm.equals("RSA")
                  ? "-----BEGIN RSA PRIVATE KEY-----"
                  : "-----BEGIN EC PRIVATE KEY-----");
      for (String key : new String[] {issued.keyPkcs8Pem(), issued.keyTraditionalPem()}) {
        CertificatePair pair = CertificatePair.load(files(issued.certificatePem(), key));
        assertThat(pair.leaf().getSerialNumber()).isEqualTo(BigInteger.valueOf(7));
        // The same secret, however encoded (the JDK's PKCS#8 and openssl's SEC1 differ in optional
        // fields).
        assertThat(secret(pair.key())).isEqualTo(secret(issued.keys().getPrivate()));
      }
    }
  }

  private static BigInteger secret(PrivateKey key) {
    return key instanceof ECPrivateKey ec ? ec.getS() : ((RSAPrivateKey) key).getPrivateExponent();
  }

  @Test
  void theCertificateFileMayHoldTheChainLeafFirst() throws Exception {
    TestPki.Issued issued = PKI.issue(8, "EC");
    CertificatePair pair =
        CertificatePair.load(files(issued.certificatePem() + PKI.caPem(), issued.keyPkcs8Pem()));
    assertThat(pair.chain()).containsExactly(issued.certificate(), PKI.caCertificate());
  }

  @Test
  void aKeyOfAnotherCertificateIsRefusedNamingTheKey() throws Exception {
    TestPki.Issued issued = PKI.issue(9, "RSA");
    TestPki.Issued other = PKI.issue(10, "RSA");
    assertThatThrownBy(
            () -> CertificatePair.load(files(issued.certificatePem(), other.keyPkcs8Pem())))
        .isInstanceOf(TlsFileException.class)
        .hasMessageStartingWith("http.tls.key_file: the key in ")
        .hasMessageContaining("does not belong to the first certificate");
    TestPki.Issued ec = PKI.issue(11, "EC");
    TestPki.Issued otherEc = PKI.issue(12, "EC");
    assertThatThrownBy(
            () -> CertificatePair.load(files(ec.certificatePem(), otherEc.keyTraditionalPem())))
        .hasMessageContaining("does not belong");
    // The chain in the wrong order is the same mistake: the first certificate is not the key's.
    assertThatThrownBy(
            () -> CertificatePair.load(files(PKI.caPem() + ec.certificatePem(), ec.keyPkcs8Pem())))
        .hasMessageContaining("does not belong");
  }

  @Test
  void unusableFilesAreRefusedNamingTheirKeyAndNeverQuotingTheKey() throws Exception {
    TestPki.Issued issued = PKI.issue(13, "EC");
    String key = issued.keyPkcs8Pem();
    assertThatThrownBy(() -> CertificatePair.load(files("not a certificate", key)))
        .hasMessageStartingWith("http.tls.cert_file: ")
        .hasMessageContaining("no PEM CERTIFICATE block");
    assertThatThrownBy(
            () -> CertificatePair.load(files(issued.certificatePem(), issued.certificatePem())))
        .hasMessageStartingWith("http.tls.key_file: ")
        .hasMessageContaining("no PEM PRIVATE KEY");
    assertThatThrownBy(
            () ->
                CertificatePair.load(
                    files(
                        issued.certificatePem(),
                        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG\n-----END ENCRYPTED PRIVATE KEY-----\n")))
        .hasMessageContaining("encrypted private key");
    String corrupt = key.replace(key.substring(60, 100), "A".repeat(40));
    assertThatThrownBy(() -> CertificatePair.load(files(issued.certificatePem(), corrupt)))
        .isInstanceOf(TlsFileException.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(corrupt.substring(40, 80)));
    Files.delete(dir.resolve("tls.key"));
    assertThatThrownBy(
            () ->
                CertificatePair.load(
                    new LadingConfig.Tls(dir.resolve("tls.crt"), dir.resolve("tls.key"))))
        .hasMessage("http.tls.key_file: " + dir.resolve("tls.key") + ": no such file");
  }
}
