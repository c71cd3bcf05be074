package dev.lading.server.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PEM certificate chains and private keys, with the JDK alone. Keys come as PKCS#8 ({@code PRIVATE
 * KEY}), PKCS#1 ({@code RSA PRIVATE KEY}: cert-manager's default encoding for RSA) or SEC1 ({@code
 * EC PRIVATE KEY}: what {@code openssl ecparam -genkey} writes); the last two are rewrapped as
 * PKCS#8, which is all the JDK's key factories read. Encrypted keys are refused with a message
 * saying so: there is nowhere safe to keep their password.
 *
 * <p>Messages describe the problem, never the content, since the input holds a secret.
 */
final class PemFiles {
  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);

  /** rsaEncryption, with its NULL parameters. */
  private static final byte[] RSA_ALGORITHM =
      der(0x30, concat(hex("06092a864886f70d010101"), hex("0500")));

  /** id-ecPublicKey. */
  private static final byte[] EC_PUBLIC_KEY_OID = hex("06072a8648ce3d0201");

  private static final String[] KEY_FACTORIES = {
    "RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS", "XDH"
  };

  private PemFiles() {}

  /** The certificates in {@code pem}, in file order (leaf first, then intermediates). */
  static List<X509Certificate> certificates(byte[] pem) {
    List<X509Certificate> out = new ArrayList<>();
    CertificateFactory factory;
    try {
      factory = CertificateFactory.getInstance("X.509");
    } catch (CertificateException e) {
      throw new IllegalStateException("the JDK has no X.509 support", e);
    }
    Matcher m = BLOCK.matcher(new String(pem, StandardCharsets.US_ASCII));
    while (m.find()) {
      if (!m.group(1).equals("CERTIFICATE")) {
        continue; // a bundle may hold other blocks (a key, parameters): not certificates
      }
      try {
        out.add(
            (X509Certificate)
                factory.generateCertificate(new ByteArrayInputStream(body(m.group(2)))));
      } catch (CertificateException | IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "certificate " + (out.size() + 1) + " does not parse: " + e.getMessage());
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("holds no PEM CERTIFICATE block");
    }
    return out;
  }

  /** The first private key in {@code pem}. */
  static PrivateKey privateKey(byte[] pem) {
    Matcher m = BLOCK.matcher(new String(pem, StandardCharsets.US_ASCII));
    while (m.find()) {
      String type = m.group(1);
      switch (type) {
        case "PRIVATE KEY" -> {
          return pkcs8(body(m.group(2)));
        }
        case "RSA PRIVATE KEY", "EC PRIVATE KEY" -> {
          if (m.group(2).contains("ENCRYPTED")) {
            throw encrypted();
          }
          byte[] der = body(m.group(2));
          return pkcs8(type.startsWith("RSA") ? rsaToPkcs8(der) : sec1ToPkcs8(der));
        }
        case "ENCRYPTED PRIVATE KEY" -> throw encrypted();
        default -> {
          // EC PARAMETERS before an EC key (openssl ecparam writes both), certificates in a bundle
        }
      }
    }
    throw new IllegalArgumentException(
        "holds no PEM PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block");
  }

  private static IllegalArgumentException encrypted() {
    return new IllegalArgumentException(
        "holds an encrypted private key; give it unencrypted (openssl pkey -in KEY -out KEY.plain) "
            + "and protect the file instead");
  }

  private static byte[] body(String base64) {
    try {
      return Base64.getMimeDecoder().decode(base64.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("a PEM block is not valid base64");
    }
  }

  private static PrivateKey pkcs8(byte[] der) {
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
    for (String algorithm : KEY_FACTORIES) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(spec);
      } catch (GeneralSecurityException | RuntimeException e) {
        // not this algorithm; try the next
      }
    }
    throw new IllegalArgumentException(
        "the private key is of no algorithm the JDK reads (RSA, EC, EdDSA)");
  }

  /**
   * PKCS#1 RSAPrivateKey into PrivateKeyInfo: version 0, rsaEncryption, the key as an OCTET STRING.
   */
  static byte[] rsaToPkcs8(byte[] pkcs1) {
    return der(0x30, concat(hex("020100"), RSA_ALGORITHM, der(0x04, pkcs1)));
  }

  /**
   * SEC1 ECPrivateKey ({@code SEQUENCE {version, privateKey, [0] parameters, [1] publicKey}}) into
   * PrivateKeyInfo: the curve moves from {@code [0]} into the algorithm identifier.
   */
  static byte[] sec1ToPkcs8(byte[] sec1) {
    Der outer = Der.read(sec1, 0);
    if (outer.tag != 0x30) {
      throw new IllegalArgumentException("the EC private key is not a DER sequence");
    }
    byte[] curve = null;
    int at = outer.contentStart;
    while (at < outer.end) {
      Der field = Der.read(sec1, at);
      if (field.tag == 0xa0) {
        Der oid = Der.read(sec1, field.contentStart);
        if (oid.tag != 0x06) {
          throw new IllegalArgumentException(
              "the EC private key names its curve by explicit parameters, not by name");
        }
        curve = Arrays.copyOfRange(sec1, field.contentStart, oid.end);
      }
      at = field.end;
    }
    if (curve == null) {
      throw new IllegalArgumentException("the EC private key does not name its curve");
    }
    return der(
        0x30, concat(hex("020100"), der(0x30, concat(EC_PUBLIC_KEY_OID, curve)), der(0x04, sec1)));
  }

  /** One DER element: its tag, where its content starts and where it ends. */
  private record Der(int tag, int contentStart, int end) {
    static Der read(byte[] b, int at) {
      if (at + 2 > b.length) {
        throw new IllegalArgumentException("the key's DER is truncated");
      }
      int tag = b[at] & 0xff;
      int len = b[at + 1] & 0xff;
      int start = at + 2;
      if (len > 0x80) {
        int n = len & 0x7f;
        if (n > 3 || start + n > b.length) {
          throw new IllegalArgumentException("the key's DER has an invalid length");
        }
        len = 0;
        for (int i = 0; i < n; i++) {
          len = len << 8 | b[start + i] & 0xff;
        }
        start += n;
      } else if (len == 0x80) {
        throw new IllegalArgumentException("the key's DER has an indefinite length");
      }
      if (start + len > b.length) {
        throw new IllegalArgumentException("the key's DER is truncated");
      }
      return new Der(tag, start, start + len);
    }
  }

  private static byte[] der(int tag, byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
    out.write(tag);
    int len = content.length;
    if (len < 0x80) {
      out.write(len);
    } else if (len < 0x100) {
      out.write(0x81);
      out.write(len);
    } else if (len < 0x10000) {
      out.write(0x82);
      out.write(len >> 8);
      out.write(len);
    } else {
      out.write(0x83);
      out.write(len >> 16);
      out.write(len >> 8);
      out.write(len);
    }
    out.writeBytes(content);
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static byte[] hex(String s) {
    return HexFormat.of().parseHex(s);
  }
}
