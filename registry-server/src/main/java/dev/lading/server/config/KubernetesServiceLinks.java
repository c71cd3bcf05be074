package dev.lading.server.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Recognises the variables the kubelet injects for every Service in the pod's namespace, so a
 * Service named {@code lading} (or {@code lading-something}) does not stop the start as unknown
 * {@code LADING_*} configuration. For a Service {@code lading} with cluster IP 10.96.0.10 and TCP
 * port 5000 named {@code http}, the kubelet sets:
 *
 * <pre>
 * LADING_SERVICE_HOST=10.96.0.10
 * LADING_SERVICE_PORT=5000
 * LADING_SERVICE_PORT_HTTP=5000            (one per named port)
 * LADING_PORT=tcp://10.96.0.10:5000        (the first port)
 * LADING_PORT_5000_TCP=tcp://10.96.0.10:5000
 * LADING_PORT_5000_TCP_PROTO=tcp
 * LADING_PORT_5000_TCP_PORT=5000
 * LADING_PORT_5000_TCP_ADDR=10.96.0.10
 * </pre>
 *
 * (UDP and SCTP ports the same with {@code UDP}/{@code udp}, {@code SCTP}/{@code sctp}; an IPv6
 * cluster IP bracketed in the URLs.) A variable is ignored only when its name AND its value have
 * these shapes: {@code LADING_PORT=5000} is still a mistake worth stopping for, and so is any name
 * that merely resembles one. Known keys are matched before this is asked, so no real key is ever
 * shadowed.
 */
final class KubernetesServiceLinks {
  /** The Service name after {@code LADING}: empty, or {@code _} and more (lading-x is LADING_X). */
  private static final String SERVICE = "LADING(?:_[A-Z0-9_]+)?";

  private static final String PROTO = "(TCP|UDP|SCTP)";
  private static final Pattern SERVICE_HOST = Pattern.compile(SERVICE + "_SERVICE_HOST");
  private static final Pattern SERVICE_PORT =
      Pattern.compile(SERVICE + "_SERVICE_PORT(?:_[A-Z0-9_]+)?");
  private static final Pattern FIRST_PORT = Pattern.compile(SERVICE + "_PORT");
  private static final Pattern PORT_URL = Pattern.compile(SERVICE + "_PORT_([0-9]{1,5})_" + PROTO);
  private static final Pattern PORT_PART =
      Pattern.compile(SERVICE + "_PORT_([0-9]{1,5})_" + PROTO + "_(PROTO|PORT|ADDR)");

  /**
   * A cluster IP: IPv4 dotted quad or an IPv6 literal (hex digits, colons, maybe a dotted tail).
   */
  private static final String IP =
      "(?:[0-9]{1,3}(?:\\.[0-9]{1,3}){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)";

  private static final Pattern IP_VALUE = Pattern.compile(IP);
  private static final Pattern PORT_VALUE = Pattern.compile("[0-9]{1,5}");

  /** {@code tcp://10.96.0.10:5000}, {@code udp://[fd00::a]:53}. */
  private static final Pattern URL_VALUE =
      Pattern.compile(
          "(tcp|udp|sctp)://(?:[0-9]{1,3}(?:\\.[0-9]{1,3}){3}|\\[[0-9A-Fa-f:.]+\\]):([0-9]{1,5})");

  private KubernetesServiceLinks() {}

  /** True when {@code name=value} is a variable the kubelet makes for a Service. */
  static boolean isServiceLink(String name, String value) {
    if (value == null) {
      return false;
    }
    // Every shape is tried: a name can fit two (LADING_PORT_5000_TCP_PORT is also the first-port
    // variable of a Service "lading-port-5000-tcp"), and the value decides.
    if (SERVICE_HOST.matcher(name).matches() && IP_VALUE.matcher(value).matches()) {
      return true;
    }
    if (SERVICE_PORT.matcher(name).matches() && PORT_VALUE.matcher(value).matches()) {
      return true;
    }
    if (FIRST_PORT.matcher(name).matches() && URL_VALUE.matcher(value).matches()) {
      return true;
    }
    Matcher url = PORT_URL.matcher(name);
    if (url.matches()) {
      Matcher v = URL_VALUE.matcher(value);
      if (v.matches()
          && v.group(1).equals(url.group(2).toLowerCase(Locale.ROOT))
          && samePort(v.group(2), url.group(1))) {
        return true;
      }
    }
    Matcher part = PORT_PART.matcher(name);
    if (part.matches()) {
      return switch (part.group(3)) {
        case "PROTO" -> value.equals(part.group(2).toLowerCase(Locale.ROOT));
        case "PORT" -> PORT_VALUE.matcher(value).matches() && samePort(value, part.group(1));
        default -> IP_VALUE.matcher(value).matches();
      };
    }
    return false;
  }

  private static boolean samePort(String a, String b) {
    return Integer.parseInt(a) == Integer.parseInt(b);
  }
}
