package dev.lading.bench;

import dev.lading.core.model.Digest;
import java.io.IOException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Pushes one blob as clients do, through crashes: monolithic ({@code POST ?digest=}), a session
 * closed by one {@code PUT}, or a session of {@code PATCH}es whose closing {@code PUT} carries the
 * last chunk. When a request dies with the server, the session is asked where it stands ({@code
 * GET} of the upload): 204 with a Range continues from there, 404 BLOB_UPLOAD_UNKNOWN starts a new
 * upload. A request that keeps answering 5xx with the server up is a stuck session: counted, then
 * the blob is uploaded afresh. The blob is acknowledged only by a 201.
 */
final class BlobPusher {

  enum Mode {
    MONOLITHIC,
    SESSION_PUT,
    CHUNKED
  }

  /** Answered 5xx tries of one request (the server up) before the session counts as stuck. */
  static final int MAX_5XX_TRIES = 8;

  /** Fresh uploads of one blob before it is given up. */
  private static final int MAX_UPLOADS = 5;

  /** Requests one upload may make: bounds a session that never moves on. */
  private static final int MAX_REQUESTS = 200;

  private static final String OCTETS = "application/octet-stream";
  private static final Pattern RANGE = Pattern.compile("^0-(\\d+)$");

  private final SoakClient client;
  private final SoakStats stats;
  private final Random random;
  private final KillAim aim;

  BlobPusher(SoakClient client, SoakStats stats, Random random, KillAim aim) {
    this.client = client;
    this.stats = stats;
    this.random = random;
    this.aim = aim;
  }

  /** True when the server answered 201 for the blob. */
  boolean push(String repo, GeneratedBlob blob, Digest digest, Mode mode)
      throws InterruptedException {
    stats.count("push.blob." + mode.name().toLowerCase(Locale.ROOT));
    for (int upload = 0; upload < MAX_UPLOADS; upload++) {
      boolean done =
          mode == Mode.MONOLITHIC
              ? monolithic(repo, blob, digest)
              : session(
                  repo, blob, digest, mode == Mode.CHUNKED ? chunkEnds(blob.size()) : new long[0]);
      if (done) {
        return true;
      }
      stats.count("push.blob.restarted");
    }
    stats.anomaly(
        "gave up "
            + blob.size()
            + "-byte blob "
            + digest
            + " in "
            + repo
            + " after "
            + MAX_UPLOADS
            + " uploads");
    return false;
  }

  private boolean monolithic(String repo, GeneratedBlob blob, Digest digest)
      throws InterruptedException {
    String target = "/v2/" + repo + "/blobs/uploads/?digest=" + digest;
    int fiveHundreds = 0;
    for (int request = 0; request < MAX_REQUESTS; request++) {
      HttpConnection.Response r;
      try {
        r =
            client.send(
                "POST",
                target,
                Map.of("Content-Type", OCTETS),
                blob.size(),
                out -> blob.writeTo(out, 0, blob.size()));
      } catch (SoakClient.ServerGone e) {
        stats.count("interrupted.blob.monolithic");
        continue; // nothing to resume: send it all again
      }
      if (r.status() == 201) {
        return true;
      }
      if (r.status() >= 500 && ++fiveHundreds < MAX_5XX_TRIES) {
        backOff(fiveHundreds);
        continue;
      }
      stats.anomaly("monolithic POST of " + digest + " in " + repo + " answered " + r);
      return false;
    }
    return false;
  }

  /**
   * One upload session: PATCHes ending at {@code ends}, then the closing PUT with the rest. False
   * when the session was lost (404), stuck, or refused: the caller starts another.
   */
  private boolean session(String repo, GeneratedBlob blob, Digest digest, long[] ends)
      throws InterruptedException {
    String location = open(repo);
    if (location == null) {
      return false;
    }
    long size = blob.size();
    long offset = 0;
    int fiveHundreds = 0;
    boolean crashed = false;
    for (int request = 0; request < MAX_REQUESTS; request++) {
      long end = nextEnd(ends, offset);
      boolean closing = end < 0;
      HttpConnection.Response r;
      try {
        r = closing ? close(location, blob, offset, digest) : patch(location, blob, offset, end);
      } catch (SoakClient.ServerGone e) {
        stats.count(closing ? "interrupted.upload.put" : "interrupted.upload.patch");
        crashed = true;
        // Where does the session stand now?
        Status status = status(location);
        if (status.gone()) {
          if (closing) {
            // The PUT may have committed before the crash (a completed session is unknown to
            // GET): retry it without a body; a committed session answers 201 again.
            offset = size;
            continue;
          }
          stats.count("session.unknown.after-crash");
          return false;
        }
        if (status.stuck()) {
          stats.stuck(
              describe(
                  repo,
                  digest,
                  size,
                  location,
                  "GET of the session after a crash",
                  status.answer()));
          return false;
        }
        stats.count("session.resumed.after-crash");
        offset = status.offset();
        continue;
      }
      int code = r.status();
      if (code == 201 && closing) {
        if (!digest.toString().equals(r.header("Docker-Content-Digest"))) {
          stats.anomaly(
              "closing PUT of " + digest + " answered digest " + r.header("Docker-Content-Digest"));
        }
        return true;
      }
      if (code == 202 && !closing) {
        // A PATCH that took bytes leaves at least one: "0-0" here can only mean 1.
        offset = Math.max(1, rangeEnd(r) + 1);
        location = nextLocation(r, location);
        fiveHundreds = 0;
        continue;
      }
      if (code == 404 && r.bodyText().contains("BLOB_UPLOAD_UNKNOWN")) {
        stats.count(crashed ? "session.unknown.after-crash" : "session.unknown");
        return false;
      }
      if (code == 416) {
        // The server holds a different offset (it kept part of a body that broke off).
        Status status = status(location);
        if (status.stuck()) {
          stats.stuck(
              describe(
                  repo, digest, size, location, "GET of the session after a 416", status.answer()));
        }
        if (status.gone() || status.stuck()) {
          return false;
        }
        if (status.offset() == offset) {
          if (offset != 0) {
            stats.anomaly(
                "PATCH at "
                    + offset
                    + " of "
                    + location
                    + " refused with 416 while GET says "
                    + status.answer());
            return false;
          }
          // "0-0" answers both an empty session and one holding one byte; 416 at 0 says which.
          offset = 1;
          continue;
        }
        offset = status.offset();
        continue;
      }
      if (code >= 500) {
        if (++fiveHundreds >= MAX_5XX_TRIES) {
          stats.stuck(
              describe(
                  repo,
                  digest,
                  size,
                  location,
                  (closing ? "closing PUT" : "PATCH") + (crashed ? " after a crash" : ""),
                  r.toString()));
          return false;
        }
        backOff(fiveHundreds);
        continue;
      }
      if (code == 400 && r.bodyText().contains("DIGEST_INVALID")) {
        // The session's bytes do not hash to the blob: what it kept across a crash was wrong.
        stats.anomaly(
            "session "
                + location
                + " of "
                + digest
                + " ("
                + size
                + " bytes) in "
                + repo
                + (crashed ? ", resumed after a crash," : "")
                + " closed with DIGEST_INVALID: "
                + r);
        return false;
      }
      stats.anomaly((closing ? "closing PUT " : "PATCH ") + location + " answered " + r);
      return false;
    }
    stats.anomaly("session " + location + " made no progress in " + MAX_REQUESTS + " requests");
    return false;
  }

  /** What GET of an upload session answered: its offset, gone (404), or 5xx every try. */
  private record Status(long offset, boolean gone, boolean stuck, String answer) {}

  private Status status(String location) throws InterruptedException {
    int fiveHundreds = 0;
    for (int request = 0; request < MAX_REQUESTS; request++) {
      HttpConnection.Response r;
      try {
        r = client.send("GET", location, Map.of());
      } catch (SoakClient.ServerGone e) {
        continue;
      }
      if (r.status() == 204) {
        return new Status(rangeEnd(r) + 1, false, false, r.toString());
      }
      if (r.status() == 404) {
        return new Status(-1, true, false, r.toString());
      }
      if (r.status() >= 500 && ++fiveHundreds < MAX_5XX_TRIES) {
        backOff(fiveHundreds);
        continue;
      }
      return new Status(-1, false, true, r.toString());
    }
    return new Status(-1, false, true, "no answer");
  }

  /** POST that opens a session; its Location, or null when the server keeps refusing. */
  private String open(String repo) throws InterruptedException {
    int fiveHundreds = 0;
    for (int request = 0; request < MAX_REQUESTS; request++) {
      HttpConnection.Response r;
      try {
        r = client.send("POST", "/v2/" + repo + "/blobs/uploads/", Map.of());
      } catch (SoakClient.ServerGone e) {
        stats.count("interrupted.upload.post");
        continue;
      }
      if (r.status() == 202) {
        try {
          return RegistryClient.pathOf(r.header("Location"));
        } catch (IOException e) {
          stats.anomaly("upload POST in " + repo + " answered 202 without a Location");
          return null;
        }
      }
      if (r.status() >= 500 && ++fiveHundreds < MAX_5XX_TRIES) {
        backOff(fiveHundreds);
        continue;
      }
      stats.anomaly("upload POST in " + repo + " answered " + r);
      return null;
    }
    return null;
  }

  private HttpConnection.Response patch(String location, GeneratedBlob blob, long from, long to)
      throws SoakClient.ServerGone {
    return client.send(
        "PATCH",
        location,
        Map.of("Content-Type", OCTETS, "Content-Range", from + "-" + (to - 1)),
        to - from,
        out -> blob.writeTo(out, from, to - from));
  }

  private HttpConnection.Response close(
      String location, GeneratedBlob blob, long from, Digest digest) throws SoakClient.ServerGone {
    String target = RegistryClient.withDigest(location, digest);
    long rest = blob.size() - from;
    aim.closingPutSent();
    if (rest == 0) {
      return client.send("PUT", target, Map.of());
    }
    return client.send(
        "PUT",
        target,
        Map.of("Content-Type", OCTETS, "Content-Range", from + "-" + (blob.size() - 1)),
        rest,
        out -> blob.writeTo(out, from, rest));
  }

  /** Where the PATCHes end: 1 to 4 cuts; a quarter of the time the closing PUT has no body. */
  private long[] chunkEnds(long size) {
    if (size < 2) {
      return new long[0];
    }
    int cuts = 1 + random.nextInt(4);
    long[] ends = new long[cuts];
    for (int i = 0; i < cuts; i++) {
      ends[i] = 1 + (long) (random.nextDouble() * (size - 1));
    }
    if (random.nextInt(4) == 0) {
      ends[cuts - 1] = size;
    }
    Arrays.sort(ends);
    return Arrays.stream(ends).distinct().toArray();
  }

  /** The first PATCH end beyond {@code offset}, or -1 when the closing PUT is next. */
  private static long nextEnd(long[] ends, long offset) {
    for (long end : ends) {
      if (end > offset) {
        return end;
      }
    }
    return -1;
  }

  /** Where the session continues: the answer's Location, or where it was when there is none. */
  private static String nextLocation(HttpConnection.Response r, String current) {
    try {
      return RegistryClient.pathOf(r.header("Location"));
    } catch (IOException e) {
      return current;
    }
  }

  /**
   * The end of the server's {@code Range: 0-<last>}, or -1 for {@code 0-0}: the spec's form cannot
   * say "nothing received", so Lading (like Distribution) answers {@code 0-0} for both an empty
   * session and one holding one byte; the callers tell them apart.
   */
  private static long rangeEnd(HttpConnection.Response r) {
    String range = r.header("Range");
    Matcher m = range == null ? null : RANGE.matcher(range.trim());
    if (m == null || !m.matches()) {
      return -1;
    }
    long last = Long.parseLong(m.group(1));
    return last == 0 ? -1 : last;
  }

  private static String describe(
      String repo, Digest digest, long size, String location, String what, String answer) {
    return what
        + " of a "
        + size
        + "-byte blob "
        + digest
        + " in "
        + repo
        + " ("
        + location
        + ") answered 5xx "
        + MAX_5XX_TRIES
        + " times with the server up; last: "
        + answer;
  }

  static void backOff(int attempt) throws InterruptedException {
    Thread.sleep(Math.min(3000, 250L << Math.min(attempt, 4)));
  }
}
